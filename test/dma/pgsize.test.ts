// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { MTK_PGSIZE_BITMAP, iommuPgsize } from "../../src/dma/iommu-core.ts";

const K4 = 0x1000;
const K64 = 0x10000;
const M1 = 0x100000;
const M16 = 0x1000000;

/** Runs the iommu_map loop and collects [pgsize, count] per step. */
function steps(iova: number, pa: number, size: number, batched = true): [number, number][] {
  const out: [number, number][] = [];
  let left = size;
  while (left > 0) {
    const { pgsize, count } = iommuPgsize(MTK_PGSIZE_BITMAP, iova, pa, left, batched);
    out.push([pgsize, count]);
    iova += pgsize * count;
    pa += pgsize * count;
    left -= pgsize * count;
  }
  return out;
}

describe("iommu_pgsize (v7s bitmap 4K|64K|1M|16M)", () => {
  const cases: { name: string; iova: number; pa: number; size: number; want: [number, number][] }[] = [
    {
      // sizes <= 4K: {4K}; next 64K, same offset 0: offset 64K, 64K + 64K > 4K -> count = 4K >> 12 = 1.
      name: "one small page",
      iova: 0x1000_0000,
      pa: 0x4000_0000,
      size: K4,
      want: [[K4, 1]],
    },
    {
      // sizes <= 3M: {4K,64K,1M}; ffs(iova|pa) = 28 -> 1M; next 16M: offset 16M, 32M > 3M -> count 3.
      name: "3 MiB, both 1M-aligned: three sections in one call",
      iova: 0x1000_0000,
      pa: 0x4000_0000,
      size: 3 * M1,
      want: [[M1, 3]],
    },
    {
      // Step 1: ffs = 12 -> 4K; next 64K, both at 0x1000: offset 0xF000, 0xF000 + 64K <= 2M -> 15 pages.
      // Step 2: at 0x..1_0000: ffs = 16 -> 64K; next 1M, both at 0x10000: offset 0xF0000, + 1M <= 0x1F1000 -> 15.
      // Step 3: at 0x..10_0000, 0x101000 left: 1M; next 16M: 15M + 16M > left -> count floor(0x101000 >> 20) = 1.
      // Step 4: 4K left -> [4K, 1].
      name: "2 MiB starting 4K past a 1M boundary climbs 4K -> 64K -> 1M -> 4K",
      iova: 0x1000_1000,
      pa: 0x4000_1000,
      size: 2 * M1,
      want: [
        [K4, 15],
        [K64, 15],
        [M1, 1],
        [K4, 1],
      ],
    },
    {
      // ffs(pa) = 15 -> 4K; next 64K: iova % 64K = 0 != pa % 64K = 0x8000 -> no look-ahead -> 128K >> 12 = 32.
      name: "different offsets within 64K: all 4K, one call",
      iova: 0x1000_0000,
      pa: 0x4000_8000,
      size: 2 * K64,
      want: [[K4, 32]],
    },
    {
      // addr_merge == 0: no alignment limit; sizes <= 32M: 16M; no bigger size -> count 2.
      name: "iova = pa = 0: supersections",
      iova: 0,
      pa: 0,
      size: 2 * M16,
      want: [[M16, 2]],
    },
    {
      // 68K: {4K,64K} -> 64K, next 1M: 1M + 1M > 68K -> count 1; then [4K, 1].
      name: "68 KiB: one large page then one small page",
      iova: 0x1000_0000,
      pa: 0x4000_0000,
      size: K64 + K4,
      want: [
        [K64, 1],
        [K4, 1],
      ],
    },
    {
      // ffs(0xFF00_0000) = 24, ffs(0x1_2000_0000) = 29 -> 16M fits; count 1. PA above 4 GiB is fine.
      name: "a supersection from a PA above 4 GiB",
      iova: 0xff00_0000,
      pa: 0x1_2000_0000,
      size: M16,
      want: [[M16, 1]],
    },
    {
      // 17M at 1M alignment below a 16M boundary: 1M; next 16M, same offset 0xF00000 within 16M:
      // offset = 1M, 1M + 16M <= 17M -> count 1; then at the 16M boundary: [16M, 1].
      name: "stops a run of sections where a supersection can start",
      iova: 0x10f0_0000,
      pa: 0x40f0_0000,
      size: 17 * M1,
      want: [
        [M1, 1],
        [M16, 1],
      ],
    },
  ];

  for (const c of cases) {
    it(c.name, () => assert.deepEqual(steps(c.iova, c.pa, c.size), c.want));
  }

  it("4.19 form: one page per call, no look-ahead", () => {
    assert.deepEqual(steps(0x1000_0000, 0x4000_0000, 3 * M1, false), [
      [M1, 1],
      [M1, 1],
      [M1, 1],
    ]);
    assert.deepEqual(steps(0x1000_0000, 0x4000_8000, 3 * K4, false), [
      [K4, 1],
      [K4, 1],
      [K4, 1],
    ]);
  });

  it("BUGs (throws) when no supported size fits", () => {
    assert.throws(() => iommuPgsize(MTK_PGSIZE_BITMAP, 0, 0, 0x800), /no page size/);
  });

  it("covers any aligned request exactly, with every page aligned in both spaces", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xfff_ff }),
        fc.integer({ min: 0, max: 0x7ff_ff }),
        fc.integer({ min: 1, max: 0x3000 }),
        fc.boolean(),
        (iovaPfn, paPfn, pages, batched) => {
          let iova = iovaPfn * K4;
          let pa = 0x4000_0000 + paPfn * K4;
          let left = pages * K4;
          while (left > 0) {
            const { pgsize, count } = iommuPgsize(MTK_PGSIZE_BITMAP, iova, pa, left, batched);
            assert.ok(count >= 1 && pgsize * count <= left);
            assert.equal(iova % pgsize, 0);
            assert.equal(pa % pgsize, 0);
            iova += pgsize * count;
            pa += pgsize * count;
            left -= pgsize * count;
          }
          assert.equal(left, 0);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});
