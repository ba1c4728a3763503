// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ANCHOR, DescendingRanges, END } from "../../src/dma/range-list.ts";

/** Walks the whole list downwards from ANCHOR and upwards from END: both must give the reference order. */
function walk(t: DescendingRanges): { down: number[]; up: number[] } {
  const down: number[] = [];
  for (let c = t.down(ANCHOR); c !== END; c = t.down(c)) down.push(t.lo(c));
  const up: number[] = [];
  for (let c = t.up(END); c !== ANCHOR; c = t.up(c)) up.push(t.lo(c));
  return { down, up };
}

describe("DescendingRanges (the rb-tree stand-in)", () => {
  it("matches a sorted-array reference across block splits and merges", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5000 })), { minLength: 1, maxLength: 3000 }), (ops) => {
        const t = new DescendingRanges();
        const ref = new Set<number>();
        for (const [ins, k] of ops) {
          const lo = k * 2;
          if (ins && !ref.has(lo)) {
            t.insert(lo, lo + 1);
            ref.add(lo);
          } else if (!ins && ref.size > 0) {
            const victim = [...ref][k % ref.size] as number;
            t.remove(t.find(victim));
            ref.delete(victim);
          }
        }
        const want = [...ref].sort((a, b) => b - a);
        const { down, up } = walk(t);
        assert.deepEqual(down, want);
        assert.deepEqual(up, [...want].reverse());
        assert.equal(t.size, ref.size);
        for (const lo of want) {
          assert.equal(t.hi(t.containing(lo + 1)), lo + 1);
          const above = want.filter((x) => x >= lo + 1).at(-1);
          const c = t.lowestAtOrAbove(lo + 1);
          assert.equal(c === ANCHOR ? undefined : t.lo(c), above);
        }
        assert.equal(t.containing(-5), END);
      }),
      { numRuns: 40, seed: 11 },
    );
  });
});
