// SPDX-License-Identifier: GPL-2.0-only
/**
 * The bit-operation iommu_pgsize and fls against the arithmetic versions they replaced (copied here
 * verbatim as the reference), on random and edge inputs, batched and not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ffs, fls } from "../../src/core/bits.ts";
import { MTK_PGSIZE_BITMAP } from "../../src/dma/iommu-core.ts";
import { iommuPgsize, iommuPgsizeInto, type PgsizeOut } from "../../src/dma/pgsize.ts";

// --- the previous implementation (reference) -------------------------------------------------------
function oldFls(x: number): number {
  return x <= 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}
function oldFfs(x: number): number {
  if (x <= 0 || !Number.isSafeInteger(x)) throw new RangeError("ffs");
  const lo = x % 0x1_0000_0000;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 32 + oldFfs(Math.floor(x / 0x1_0000_0000));
}
function oldFfsMerge(iova: number, paddr: number): number {
  if (iova === 0 && paddr === 0) return -1;
  if (iova === 0) return oldFfs(paddr);
  if (paddr === 0) return oldFfs(iova);
  return Math.min(oldFfs(iova), oldFfs(paddr));
}
function oldPgsize(bitmap: number, iova: number, paddr: number, size: number, batched: boolean): { pgsize: number; count: number } | "bug" {
  const maxIdx = oldFls(size) - 1;
  const alignIdx = oldFfsMerge(iova, paddr);
  let pgsizeIdx = -1;
  for (let b = 0; b < 32; b++) {
    if (((bitmap >>> b) & 1) === 0) continue;
    if (b > maxIdx) break;
    if (alignIdx >= 0 && b > alignIdx) break;
    pgsizeIdx = b;
  }
  if (pgsizeIdx < 0) return "bug";
  const pgsize = 2 ** pgsizeIdx;
  if (!batched) return { pgsize, count: 1 };
  let runSize = size;
  let nextIdx = -1;
  for (let b = pgsizeIdx + 1; b < 32; b++) {
    if (((bitmap >>> b) & 1) !== 0) {
      nextIdx = b;
      break;
    }
  }
  if (nextIdx >= 0) {
    const next = 2 ** nextIdx;
    if (iova % next === paddr % next) {
      const offset = next - ((iova % next) | (paddr % next));
      if (offset + next <= size) runSize = offset;
    }
  }
  return { pgsize, count: Math.floor(runSize / pgsize) };
}
// ---------------------------------------------------------------------------------------------------

function newPgsize(bitmap: number, iova: number, paddr: number, size: number, batched: boolean): { pgsize: number; count: number } | "bug" {
  try {
    const r = iommuPgsize(bitmap, iova, paddr, size, batched);
    return { pgsize: r.pgsize, count: r.count };
  } catch (e) {
    if (e instanceof RangeError && e.message.includes("kernel BUG")) return "bug";
    throw e;
  }
}

/** Addresses below 2^35 built to hit alignment edges: page-aligned, with runs of zero low bits. */
const addr = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 35 - 1 }),
  fc.tuple(fc.integer({ min: 0, max: 2 ** 23 - 1 }), fc.integer({ min: 12, max: 34 })).map(([k, s]) => (k * 2 ** s) % 2 ** 35),
  fc.constantFrom(0, 0x1000, 0x1_0000_0000, 0x1_4000_0000, 0x7_ffff_f000, 0xffff_f000, 0x8000_0000),
);
const size = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 34 }),
  fc.integer({ min: 1, max: 4096 }).map((p) => p * 4096),
  fc.constantFrom(0x1000, 0x10000, 0x100000, 0x1000000, 0xffff_f000, 0x1_0000_0000, 0x2_0000_1000),
);
const bitmap = fc.oneof(
  fc.constant(MTK_PGSIZE_BITMAP),
  fc.constant(0x4020_1000), // 4K | 2M | 1G (LPAE-like)
  fc.constant(0x8000_1000), // bit 31: 2 GiB pages
  fc.integer({ min: 1, max: 0xffff_ffff }),
);

describe("iommu_pgsize with bit operations equals the arithmetic version", () => {
  it("on random and edge inputs, batched and one page per call", () => {
    fc.assert(
      fc.property(bitmap, addr, addr, size, fc.boolean(), (bm, iova, pa, sz, batched) => {
        assert.deepEqual(newPgsize(bm, iova, pa, sz, batched), oldPgsize(bm, iova, pa, sz, batched));
      }),
      { numRuns: 20000 },
    );
  });

  it("a whole map loop gives the same page sequence (MTK bitmap, page-aligned inputs)", () => {
    const pageAddr = fc.integer({ min: 0, max: 2 ** 23 - 1 }).map((p) => p * 4096);
    fc.assert(
      fc.property(pageAddr, pageAddr, fc.integer({ min: 1, max: 8192 }), fc.boolean(), (iova, pa, pages, batched) => {
        const out: PgsizeOut = { pgsize: 0, count: 0 };
        let [i, p, left] = [iova, pa, pages * 4096];
        while (left > 0) {
          const want = oldPgsize(MTK_PGSIZE_BITMAP, i, p, left, batched);
          assert.notEqual(want, "bug");
          if (want === "bug") return;
          assert.equal(iommuPgsizeInto(out, MTK_PGSIZE_BITMAP, i, p, left, batched), want.pgsize);
          assert.equal(out.count, want.count);
          const step = want.pgsize * want.count;
          i += step;
          p += step;
          left -= step;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("fls and ffs match the old versions below 2^47 and are exact at powers of two up to 2^53", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), (x) => {
        assert.equal(fls(x), oldFls(x));
        if (x > 0) assert.equal(ffs(x), oldFfs(x));
      }),
      { numRuns: 20000 },
    );
    for (let k = 0; k <= 52; k++) {
      assert.equal(fls(2 ** k), k + 1);
      assert.equal(fls(2 ** (k + 1) - 1), k + 1, `fls(2^${k + 1} - 1)`);
      assert.equal(ffs(2 ** k), k);
    }
    assert.deepEqual([fls(0), fls(-1), fls(0.5)], [0, 0, 0]);
  });
});
