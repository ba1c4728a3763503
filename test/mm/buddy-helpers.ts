// SPDX-License-Identifier: GPL-2.0-only
/** Shared set-ups for the buddy allocator tests. */
import { era } from "../../src/core/era.ts";
import { BuddyAllocator, type BuddyOptions } from "../../src/mm/buddy.ts";
import type { Gfp } from "../../src/mm/gfp.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform, platform, type RamBank } from "../../src/phys/platform.ts";
import { zonesFor } from "../../src/phys/zones.ts";

export function buddyFor(platformName: string, eraName: string, opts: BuddyOptions = {}): BuddyAllocator {
  const p = platform(platformName);
  return new BuddyAllocator(new PhysMemory(p), zonesFor(p, era(eraName)), era(eraName), opts);
}

export function smallBuddy(ram: readonly RamBank[], eraName: string, opts: BuddyOptions = {}): BuddyAllocator {
  const p = customPlatform("small", ram);
  return new BuddyAllocator(new PhysMemory(p), zonesFor(p, era(eraName)), era(eraName), opts);
}

/** Every free list of every zone, head first: the allocator's whole free state. */
export function freeLists(b: BuddyAllocator): number[][] {
  const out: number[][] = [];
  for (const z of b.zones) for (let o = 0; o < b.orders; o++) out.push(b.freeList(z.name, o));
  return out;
}

/** Allocates with `gfp` from the largest order down until nothing more comes; returns [pa, order] pairs. */
export function drain(b: BuddyAllocator, gfp: Gfp, owner: string): [number, number][] {
  const held: [number, number][] = [];
  for (let o = b.orders - 1; o >= 0; o--) {
    for (;;) {
      const pa = b.allocPages(gfp, o, owner);
      if (pa === null) break;
      held.push([pa, o]);
    }
  }
  return held;
}
