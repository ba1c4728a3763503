// SPDX-License-Identifier: GPL-2.0-only
/**
 * The buddy allocator with its packed per-page state (one state byte, links shared with owner and page
 * count, zones from their bounds) against the layout it replaced (test/mm/buddy-reference.ts: zone,
 * free/allocated order, owner, count, compound and link arrays per page), side by side on random
 * operation sequences: every answer and the whole free state must agree after every step.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { era } from "../../src/core/era.ts";
import { BuddyAllocator } from "../../src/mm/buddy.ts";
import { GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, __GFP_COMP, __GFP_ZERO, gfp, type Gfp } from "../../src/mm/gfp.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform, type RamBank } from "../../src/phys/platform.ts";
import { zonesFor } from "../../src/phys/zones.ts";
import { ReferenceBuddy } from "./buddy-reference.ts";

// Two banks with a hole, straddling 4 GiB: DMA32 and NORMAL in every era, pages outside RAM in the span.
const RAM: readonly RamBank[] = [
  { start: 0xfe00_0000, end: 0xff00_0000 },
  { start: 0xff40_0000, end: 0x1_0080_0000 },
];
const RESERVED = [{ start: 0xff80_0000, end: 0xff90_0000 }];
const GFPS: readonly Gfp[] = [GFP_KERNEL, GFP_DMA32, GFP_DMA, GFP_ATOMIC, gfp(GFP_KERNEL, __GFP_COMP), gfp(GFP_ATOMIC, GFP_DMA32), gfp(GFP_KERNEL, __GFP_ZERO)];
const OWNERS = ["a", "b", "c"];

type Op =
  | { kind: "alloc"; order: number; gfp: Gfp; owner: string }
  | { kind: "free"; i: number }
  | { kind: "get"; i: number }
  | { kind: "put"; i: number }
  | { kind: "refAdd"; i: number; n: number }
  | { kind: "refSub"; i: number; n: number }
  | { kind: "setCount"; i: number; n: number }
  | { kind: "probe"; pa: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      order: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }) }),
      gfp: fc.constantFrom(...GFPS),
      owner: fc.constantFrom(...OWNERS),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("free" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("get" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("put" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("refAdd" as const), i: fc.nat(), n: fc.integer({ min: 0, max: 40000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("refSub" as const), i: fc.nat(), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("setCount" as const), i: fc.nat(), n: fc.integer({ min: 0, max: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("probe" as const), pa: fc.integer({ min: 0xfdff_0000 / 4096, max: 0x1_0090_0000 / 4096 }).map((p) => p * 4096) }),
  },
);

type Either = BuddyAllocator | ReferenceBuddy;

/** Runs `f` on one allocator: its value, or the error message it threw. */
function outcome<T>(f: () => T): { ok: T } | { error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function state(b: Either): unknown {
  return {
    lists: b.zones.map((z) => Array.from({ length: b.orders }, (_, o) => b.freeList(z.name, o))),
    counts: b.zones.map((z) => b.freeCounts(z.name)),
    zones: b.zoneStates(),
    usage: [...b.usageByOwner()],
    stats: { ...b.stats },
    buddyinfo: b.buddyinfo(),
  };
}

function blockFacts(b: Either, pa: number): unknown {
  return {
    zone: b.zoneOf(pa),
    owner: b.ownerOf(pa),
    block: b.blockOf(pa),
    count: outcome(() => b.pageCount(pa)),
    compound: outcome(() => b.isCompound(pa)),
  };
}

test("the packed per-page state answers exactly as the separate arrays did, on random operation sequences", () => {
  fc.assert(
    fc.property(fc.constantFrom("v4.14", "v4.19", "v5.10", "v6.6"), fc.array(opArb, { maxLength: 200 }), (eraName, ops) => {
      const p = customPlatform("layout", RAM);
      const zones = zonesFor(p, era(eraName));
      const a = new BuddyAllocator(new PhysMemory(p), zones, era(eraName), { reserved: RESERVED });
      const r = new ReferenceBuddy(new PhysMemory(p), zones, era(eraName), { reserved: RESERVED });
      const live: { pa: number; order: number }[] = [];
      const at = (i: number): { pa: number; order: number } | undefined => live[i % Math.max(1, live.length)];
      assert.deepEqual(state(a), state(r));
      ops.forEach((op, n) => {
        const both = <T>(f: (b: Either) => T): T => {
          const x = outcome(() => f(a));
          assert.deepEqual(
            x,
            outcome(() => f(r)),
            `${op.kind} at step ${n}`,
          );
          return "ok" in x ? x.ok : (undefined as T);
        };
        const l = op.kind === "alloc" || op.kind === "probe" ? undefined : at(op.i);
        switch (op.kind) {
          case "alloc": {
            const pa = both((b) => b.allocPages(op.gfp, op.order, op.owner));
            if (pa !== null && pa !== undefined) live.push({ pa, order: op.order });
            break;
          }
          case "free":
            if (l === undefined) break;
            both((b) => b.freePages(l.pa, l.order));
            if (a.blockOf(l.pa)?.head !== l.pa) live.splice(op.i % live.length, 1);
            break;
          case "get":
            if (l !== undefined) both((b) => b.getPage(l.pa + 4096 * ((1 << l.order) - 1)));
            break;
          case "put":
            if (l !== undefined && both((b) => b.putPage(l.pa)) === true) live.splice(op.i % live.length, 1);
            break;
          case "refAdd":
            if (l !== undefined) both((b) => b.pageRefAdd(l.pa, op.n));
            break;
          case "refSub":
            if (l !== undefined) both((b) => b.pageRefSubAndTest(l.pa, op.n));
            break;
          case "setCount":
            if (l !== undefined) both((b) => b.setPageCount(l.pa, op.n));
            break;
          case "probe":
            assert.deepEqual(blockFacts(a, op.pa), blockFacts(r, op.pa));
            break;
        }
        for (const x of live) assert.deepEqual(blockFacts(a, x.pa), blockFacts(r, x.pa));
        if (n % 20 === 0) assert.deepEqual(state(a), state(r));
      });
      assert.deepEqual(state(a), state(r));
      a.checkInvariants();
    }),
    { numRuns: 200 },
  );
});
