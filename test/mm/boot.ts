// SPDX-License-Identifier: GPL-2.0-only
/** The real buddy allocator (bootKernelMemory) for the sub-page allocator and strategy tests. */
import type { EraName } from "../../src/core/era.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { bootKernelMemory } from "../../src/mm/kernel.ts";
import { customPlatform } from "../../src/phys/platform.ts";

/** elm (mt8173-elm-4g) under v4.19 unless told otherwise, no background load. */
export function bootBuddy(platformName = "mt8173-elm-4g", eraName: EraName = "v4.19"): BuddyAllocator {
  return bootKernelMemory({ platform: platformName, era: eraName }).buddy;
}

/** A small machine (RAM below 4 GiB only, so one DMA32 zone in v4.19) where pressure is cheap to create. */
export function bootTiny(bytes = 8 * 1024 * 1024, eraName: EraName = "v4.19"): BuddyAllocator {
  const platform = customPlatform("tiny", [{ start: 0x4000_0000, end: 0x4000_0000 + bytes }], 4);
  return bootKernelMemory({ platform, era: eraName, minFreeKbytes: 0 }).buddy;
}

/** Free bytes per zone: the "buddy back to its initial state" check. */
export function freeSnapshot(b: BuddyAllocator): string {
  return b.zones.map((z) => `${z.name}:${b.freePagesIn(z.name)}:${b.freeCounts(z.name).join(",")}`).join(" ");
}
