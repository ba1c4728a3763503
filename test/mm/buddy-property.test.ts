// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, __GFP_COMP, gfp, type Gfp } from "../../src/mm/gfp.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { freeLists, smallBuddy } from "./buddy-helpers.ts";

// 16 MiB below 4 GiB and 16 MiB above: two populated zones in every era.
const RAM = [{ start: 0xff00_0000, end: 0x1_0100_0000 }];
const GFPS: readonly Gfp[] = [GFP_KERNEL, GFP_DMA32, GFP_DMA, GFP_ATOMIC, gfp(GFP_KERNEL, __GFP_COMP), gfp(GFP_ATOMIC, GFP_DMA32)];
const OWNERS = ["a", "b", "c"];

const allocArb = fc.record({
  order: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }) }),
  gfp: fc.constantFrom(...GFPS),
  owner: fc.constantFrom(...OWNERS),
});
const eraArb = fc.constantFrom("v4.14", "v4.19", "v5.10", "v6.6");

/** Held bytes per owner from the allocator against the live blocks the test tracks. */
function checkAccounting(b: BuddyAllocator, live: readonly { pa: number; order: number; owner: string }[]): void {
  const expected = new Map<string, number>();
  for (const l of live) expected.set(l.owner, (expected.get(l.owner) ?? 0) + (4096 << l.order));
  for (const [owner, byZone] of b.usageByOwner()) {
    let sum = 0;
    for (const v of Object.values(byZone)) {
      assert.ok(v >= 0);
      sum += v;
    }
    assert.equal(sum, expected.get(owner) ?? 0, owner);
    expected.delete(owner);
  }
  assert.equal(expected.size, 0);
}

test("allocations then LIFO frees restore the initial free lists exactly, in order", () => {
  fc.assert(
    fc.property(eraArb, fc.array(allocArb, { maxLength: 120 }), (eraName, ops) => {
      const b = smallBuddy(RAM, eraName);
      const initial = freeLists(b);
      const live: { pa: number; order: number; owner: string }[] = [];
      for (const op of ops) {
        const pa = b.allocPages(op.gfp, op.order, op.owner);
        if (pa !== null) live.push({ pa, order: op.order, owner: op.owner });
      }
      checkAccounting(b, live);
      b.checkInvariants();
      while (live.length > 0) {
        const l = live.pop() as { pa: number; order: number };
        b.freePages(l.pa, l.order);
      }
      assert.deepEqual(freeLists(b), initial);
      b.checkInvariants();
    }),
    { numRuns: 150 },
  );
});

test("interleaved allocations and frees in any order keep the invariants and merge back fully", () => {
  const stepArb = fc.oneof(
    { weight: 3, arbitrary: allocArb.map((a) => ({ kind: "alloc" as const, ...a })) },
    { weight: 2, arbitrary: fc.nat().map((i) => ({ kind: "free" as const, i })) },
  );
  fc.assert(
    fc.property(eraArb, fc.array(stepArb, { maxLength: 150 }), fc.array(fc.nat(), { maxLength: 150 }), (eraName, steps, freeOrder) => {
      const b = smallBuddy(RAM, eraName);
      const sorted = (l: number[][]): number[][] => l.map((x) => [...x].sort((p, q) => p - q));
      const initial = sorted(freeLists(b));
      const live: { pa: number; order: number; owner: string }[] = [];
      steps.forEach((s, n) => {
        if (s.kind === "alloc") {
          const pa = b.allocPages(s.gfp, s.order, s.owner);
          if (pa !== null) {
            assert.equal(b.ownerOf(pa), s.owner);
            live.push({ pa, order: s.order, owner: s.owner });
          }
        } else if (live.length > 0) {
          const [l] = live.splice(s.i % live.length, 1);
          if (l) b.freePages(l.pa, l.order);
        }
        if (n % 25 === 0) {
          checkAccounting(b, live);
          b.checkInvariants();
        }
      });
      checkAccounting(b, live);
      let k = 0;
      while (live.length > 0) {
        const [l] = live.splice((freeOrder[k++] ?? 0) % live.length, 1);
        if (l) b.freePages(l.pa, l.order);
      }
      b.checkInvariants();
      assert.deepEqual(sorted(freeLists(b)), initial);
      assert.equal(b.usageByOwner().size, 0);
    }),
    { numRuns: 150 },
  );
});
