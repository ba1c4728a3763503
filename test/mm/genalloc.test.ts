// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GenPool } from "../../src/mm/genalloc.ts";

const K = 1024;
const A = 0x4000_0000;
const B = 0x5000_0000;

describe("gen_pool allocation", () => {
  it("first-fit returns the lowest free run, granules of 2^min_alloc_order", () => {
    const p = new GenPool(10);
    p.add(A, 16 * K);
    assert.equal(p.alloc(1), A);
    assert.equal(p.alloc(1500), A + K, "1500 bytes take two granules");
    assert.equal(p.alloc(K), A + 3 * K);
    assert.equal(p.avail(), 12 * K);
  });

  it("scans the newest chunk first", () => {
    const p = new GenPool(10);
    p.add(A, 4 * K);
    p.add(B, 4 * K);
    assert.equal(p.alloc(K), B);
    assert.equal(p.alloc(4 * K), A, "the newest chunk lacks room, the older one has it");
    assert.deepEqual(
      p.chunkList().map((c) => c.start),
      [B, A],
    );
  });

  it("size 0 and no room give null; nothing is allocated on failure", () => {
    const p = new GenPool(10);
    p.add(A, 2 * K);
    assert.equal(p.alloc(0), null);
    assert.equal(p.alloc(3 * K), null);
    assert.equal(p.avail(), 2 * K);
  });

  it("best-fit takes the shortest run that fits, the lowest among equals, and stops at an exact fit", () => {
    const p = new GenPool(10);
    p.add(A, 16 * K);
    // Granules: [0..2] free (3), [3] used, [4..5] free (2), [6] used, [7..8] free (2), [9] used, [10..15] free (6).
    const all = Array.from({ length: 16 }, () => p.alloc(K) as number);
    for (const i of [0, 1, 2, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15]) p.free(all[i] as number, K);
    p.setAlgo({ kind: "best-fit" });
    assert.equal(p.alloc(2 * K), A + 4 * K, "the first 2-run, not the 3-run before it nor the equal 2-run after");
    assert.equal(p.alloc(2 * K), A + 7 * K);
    assert.equal(p.alloc(K), A, "only the 3-run and the 6-run are left: the shorter wins");
    p.setAlgo(null);
    assert.equal(p.alloc(K), A + K, "first-fit restored");
  });

  it("first-fit-align honours the alignment relative to the chunk start's offset", () => {
    const p = new GenPool(10);
    p.add(A + K, 16 * K);
    p.setAlgo({ kind: "first-fit-align", align: 4 * K });
    assert.equal(p.alloc(K), A + 4 * K, "first 4 KiB-aligned address in a chunk starting at +1 KiB");
    assert.equal(p.alloc(K), A + 8 * K);
    const q = new GenPool(10);
    q.add(A, 16 * K);
    q.setAlgo({ kind: "first-fit-order-align" });
    assert.equal(q.alloc(K), A);
    assert.equal(q.alloc(3 * K), A + 4 * K, "3 granules align to 4");
  });
});

describe("gen_pool free, destroy and no shrinking", () => {
  it("keeps every chunk after every free", () => {
    const p = new GenPool(10);
    p.add(A, 8 * K);
    const xs = [p.alloc(K), p.alloc(K), p.alloc(2 * K)] as number[];
    for (const x of xs) {
      p.free(x, x === xs[2] ? 2 * K : K);
      assert.equal(p.size(), 8 * K);
    }
    assert.equal(p.avail(), 8 * K);
    assert.equal(p.chunkList().length, 1);
  });

  it("free of an unknown address, past the chunk or of clear bits is a RangeError with the pool unchanged", () => {
    const p = new GenPool(10, "tables");
    p.add(A, 4 * K);
    const x = p.alloc(K) as number;
    assert.throws(() => p.free(B, K), /gen_pool_free\(tables, 0x50000000, 1024\): no chunk contains/);
    assert.throws(() => p.free(A + 3 * K, 2 * K), /runs past the chunk end/);
    assert.throws(() => p.free(A + K, K), /granule at 0x40000400 is not allocated/);
    assert.equal(p.avail(), 3 * K);
    p.free(x, K);
    assert.throws(() => p.free(x, K), /double free/);
  });

  it("destroy with an outstanding allocation names it and changes nothing; afterwards it returns the chunks", () => {
    const p = new GenPool(10, "tables");
    p.add(A, 4 * K);
    p.alloc(K);
    const x = p.alloc(K) as number;
    p.free(A, K);
    assert.throws(() => p.destroy(), /gen_pool_destroy\(tables\): outstanding allocation at 0x40000400/);
    assert.equal(p.avail(), 3 * K);
    p.free(x, K);
    assert.deepEqual(p.destroy(), [{ start: A, size: 4 * K }]);
    assert.throws(() => p.alloc(K), /after gen_pool_destroy/);
  });

  it("any alloc/free sequence keeps avail + allocated = size and never shrinks", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3000 }), fc.nat()), { maxLength: 200 }), (ops) => {
        const p = new GenPool(10);
        p.add(A, 32 * K);
        p.add(B, 16 * K);
        const live: [number, number][] = [];
        for (const [isAlloc, size, k] of ops) {
          if (isAlloc || live.length === 0) {
            const x = p.alloc(size);
            if (x !== null) live.push([x, size]);
          } else {
            const [x, s] = live.splice(k % live.length, 1)[0] as [number, number];
            p.free(x, s);
          }
          const used = live.reduce((n, [, s]) => n + Math.ceil(s / K) * K, 0);
          assert.equal(p.avail() + used, 48 * K);
          assert.equal(p.size(), 48 * K);
        }
        for (const [x, s] of live) p.free(x, s);
        assert.equal(p.destroy().length, 2);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe("gen_pool metadata per era", () => {
  it("a 64 KiB chunk of 1 KiB granules: 48-byte header + one long in 4.19, 56 + 8 from 5.10 (owner field)", async () => {
    const { era } = await import("../../src/core/era.ts");
    const at = (name: "v4.19" | "v5.10" | "v6.6"): number => {
      const p = new GenPool(10, "t", era(name).mm.genallocChunk.headerBytes);
      p.add(A, 64 * K);
      return p.metadataBytes();
    };
    assert.deepEqual([at("v4.19"), at("v5.10"), at("v6.6")], [56, 64, 64]);
    assert.deepEqual([era("v4.19").mm.genallocChunk.alloc, era("v6.6").mm.genallocChunk.alloc], ["kzalloc_node", "vzalloc_node"]);
  });
});
