// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { era } from "../../src/core/era.ts";
import { fls } from "../../src/core/bits.ts";
import { IovaDomain, orderBase2 } from "../../src/dma/iova.ts";

const LATEST = era("latest");
const V419 = era("v4.19");

/** The MT8173 DMA domain's IOVA allocator for an era: aperture from 0, 4 CPUs. */
function mt8173(e = LATEST): { iovad: IovaDomain; limitPfn: number } {
  return { iovad: IovaDomain.forAperture(e, 0, 4), limitPfn: Math.floor(e.mt8173ApertureEnd / 4096) };
}

describe("IOVA allocator: placement", () => {
  it("hands out the first 4 KiB page at the top of the MT8173 aperture", () => {
    // latest: aperture end SZ_4G - SZ_8M - 1 = 0xFF7F_FFFF -> limit pfn 0xFF7FF, exclusive 0xFF800; 0xFF800 - 1.
    const l = mt8173(LATEST);
    assert.equal(l.iovad.allocIova(1, l.limitPfn) * 4096, 0xff7f_f000);
    // v4.19: aperture end DMA_BIT_MASK(32) -> limit pfn 0xFFFFF.
    const o = mt8173(V419);
    assert.equal(o.iovad.allocIova(1, o.limitPfn) * 4096, 0xffff_f000);
  });

  it("never uses IOVA page 0: start_pfn is max(1, aperture_start >> 12)", () => {
    const iovad = IovaDomain.forAperture(LATEST, 0, 1);
    assert.equal(iovad.startPfn, 1);
    // limit pfn 3 (exclusive 4): 1-page slots 3, 2, 1, then nothing.
    assert.deepEqual(
      [1, 2, 3, 4].map(() => iovad.allocIovaRange(1, 3)),
      [3, 2, 1, 0],
    );
  });

  it("rounds a 5-page request up to 8 pages and aligns it to 8", () => {
    const { iovad, limitPfn } = mt8173();
    const a = iovad.allocIova(1, limitPfn); // 0xFF7FF
    // high = 0xFF7FF; (0xFF7FF - 8) & ~7 = 0xFF7F0: pages 0xFF7F0..0xFF7F7, the 7 pages 0xFF7F8..0xFF7FE stay free.
    const b = iovad.allocIova(5, limitPfn);
    assert.equal(a, 0xff7ff);
    assert.equal(b, 0xff7f0);
    assert.deepEqual(iovad.findIova(b + 7), { pfnLo: 0xff7f0, pfnHi: 0xff7f7 });
  });

  it("aligns a 40-page request to 64 pages without rounding its size", () => {
    const { iovad, limitPfn } = mt8173();
    // 40 >= 32: no rounding; align_mask = ~0 << fls(39) = ~0 << 6. (0xFF800 - 40) & ~63 = 0xFF7C0.
    const p = iovad.allocIova(40, limitPfn);
    assert.equal(p, 0xff7c0);
    assert.deepEqual(iovad.findIova(p), { pfnLo: 0xff7c0, pfnHi: 0xff7c0 + 39 });
  });

  it("fails with 0 when nothing fits below the limit", () => {
    const iovad = IovaDomain.forAperture(LATEST, 0, 1);
    assert.equal(iovad.allocIova(8, 6), 0); // 8 pages cannot fit in pfns 1..6
    assert.equal(iovad.stats.failures, 1);
  });

  it("reuses a freed slot above the cached node (cached32 moves to rb_next of the freed range)", () => {
    const { iovad, limitPfn } = mt8173();
    // 64-page ranges bypass the rcache (order 6).
    const a = iovad.allocIova(64, limitPfn);
    const b = iovad.allocIova(64, limitPfn);
    const c = iovad.allocIova(64, limitPfn);
    assert.deepEqual([a, b, c], [0xff7c0, 0xff780, 0xff740]);
    iovad.freeIova(b, 64);
    assert.equal(iovad.liveRanges, 2);
    // The walk restarts at A: high = 0xFF7C0, new = 0xFF780, clear of C (hi 0xFF77F).
    assert.equal(iovad.allocIova(64, limitPfn), b);
  });
});

describe("IOVA allocator: retry from the top and max32_alloc_size", () => {
  /** One page at 0x1F, then pfns 0x0F..0x01 filled under a lower limit: cached32 ends at pfn 1. */
  function lowCachedNode(e = LATEST): IovaDomain {
    const iovad = IovaDomain.forAperture(e, 0, 1);
    assert.equal(iovad.allocIovaRange(1, 0x1f), 0x1f);
    for (let p = 0x0f; p >= 1; p--) assert.equal(iovad.allocIovaRange(1, 0x0f), p);
    return iovad;
  }

  it("latest: a walk that falls below start_pfn retries above the old cached node", () => {
    const iovad = lowCachedNode(LATEST);
    // From cached32 (pfn 1) nothing fits; retry with low = 2 from the top: 0x1E is free.
    assert.equal(iovad.allocIovaRange(1, 0x1f), 0x1e);
    assert.equal(iovad.stats.retries, 1);
  });

  it("v4.19: the same request fails (no retry before 4e89dce72521)", () => {
    const iovad = lowCachedNode(V419);
    assert.equal(iovad.allocIovaRange(1, 0x1f), 0);
    assert.equal(iovad.stats.retries, 0);
  });

  it("latest: after a failure, requests at least as large fail fast until a free below 4 GiB", () => {
    const iovad = IovaDomain.forAperture(LATEST, 0, 1);
    for (let p = 7; p >= 1; p--) assert.equal(iovad.allocIovaRange(1, 7), p);
    assert.equal(iovad.allocIovaRange(2, 7), 0); // sets max32_alloc_size = 2
    assert.equal(iovad.allocIovaRange(4, 0xfffff), 0); // 4 >= 2 and limit <= dma_32bit_pfn
    assert.equal(iovad.stats.max32FailFast, 1);
    assert.equal(iovad.allocIovaRange(1, 0xfffff), 0xfffff); // smaller: walks, and finds room higher up
    iovad.freeIovaRange(3); // pfn_lo < dma_32bit_pfn: max32_alloc_size reset
    assert.equal(iovad.allocIovaRange(4, 0xfffff), 0xffff8);
    assert.equal(iovad.stats.max32FailFast, 1);
  });
});

describe("IOVA allocator: rcache", () => {
  it("returns the same IOVA after a free (same CPU)", () => {
    const { iovad, limitPfn } = mt8173();
    const a = iovad.allocIova(1, limitPfn);
    iovad.allocIova(1, limitPfn);
    iovad.freeIova(a, 1);
    assert.equal(iovad.cachedRanges, 1);
    assert.equal(iovad.liveRanges, 2); // still in the tree while parked
    assert.equal(iovad.allocIova(1, limitPfn), a);
    assert.equal(iovad.stats.rcacheHits, 1);
  });

  it("keeps magazines per CPU: another CPU allocates a fresh range", () => {
    const { iovad, limitPfn } = mt8173();
    const a = iovad.allocIova(1, limitPfn, 0);
    iovad.freeIova(a, 1, 0);
    const b = iovad.allocIova(1, limitPfn, 1);
    assert.notEqual(b, a);
    assert.equal(iovad.allocIova(1, limitPfn, 0), a);
  });

  it("frees with the unrounded size into the same order class", () => {
    const { iovad, limitPfn } = mt8173();
    const p = iovad.allocIova(5, limitPfn); // 8-page range, order 3
    iovad.freeIova(p, 5); // order_base_2(5) = 3
    assert.equal(iovad.allocIova(6, limitPfn), p); // rounds to 8: order 3
  });

  it("refuses a cached pfn above the caller's limit and falls back to the tree", () => {
    const { iovad, limitPfn } = mt8173();
    const a = iovad.allocIova(1, limitPfn);
    iovad.freeIova(a, 1);
    const b = iovad.allocIova(1, 0x7ffff);
    assert.equal(b, 0x7ffff);
    assert.equal(iovad.cachedRanges, 1);
  });

  it("caps the depot at 32 magazines in v4.19; latest keeps them all", () => {
    // 256 + 33 * 128 frees of 1-page ranges on one CPU: loaded and prev fill (2 x 128), then every
    // further 128 frees push one full magazine to the depot: pushes at free 257, 385, ..., 33 in all.
    const n = 256 + 33 * 128;
    for (const [e, depot, live] of [
      [V419, 32, n - 128], // the 33rd full magazine goes back to the tree
      [LATEST, 33, n],
    ] as const) {
      const iovad = IovaDomain.forAperture(e, 0, 1);
      const pfns: number[] = [];
      for (let i = 0; i < n; i++) pfns.push(iovad.allocIova(1, 0xfffff));
      for (const p of pfns) iovad.freeIova(p, 1);
      assert.equal(e.iovaRcacheMagazineSize, 128 - (e === LATEST ? 1 : 0));
      if (e === LATEST) {
        // 127-entry magazines: pushes at 255, 382, ...: floor((n - 255) / 127) + 1.
        assert.equal(iovad.depotSizes()[0], Math.floor((n - 255) / 127) + 1);
        assert.equal(iovad.liveRanges, live);
      } else {
        assert.equal(iovad.depotSizes()[0], depot);
        assert.equal(iovad.liveRanges, live);
        assert.equal(iovad.cachedRanges, live);
      }
    }
  });

  it("flushes every CPU's cache and retries when the tree is full", () => {
    const iovad = IovaDomain.forAperture(LATEST, 0, 2);
    for (let p = 3; p >= 1; p--) assert.equal(iovad.allocIova(1, 3, 0), p);
    iovad.freeIova(2, 1, 0); // parked on CPU 0
    assert.equal(iovad.allocIova(1, 3, 1), 2); // CPU 1: rcache empty, tree full -> flush, retry
    assert.equal(iovad.stats.rcacheFlushes, 1);
  });

  it("rejects frees of ranges that are not allocated or of the wrong size class", () => {
    const { iovad, limitPfn } = mt8173();
    const a = iovad.allocIova(1, limitPfn);
    assert.throws(() => iovad.freeIova(a - 1, 1), /not the start of an allocated IOVA range/);
    assert.throws(() => iovad.freeIova(a, 2), /size class/);
    iovad.freeIova(a, 1);
    assert.throws(() => iovad.freeIova(a, 1), /not the start/);
  });
});

describe("IOVA allocator: invariants", () => {
  it("fls / order_base_2", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 31, 32, 33].map(fls), [0, 1, 2, 2, 3, 3, 5, 6, 6]);
    assert.deepEqual([1, 2, 3, 4, 5, 8, 9, 32, 33].map(orderBase2), [0, 1, 2, 2, 3, 3, 4, 5, 6]);
  });

  it("random alloc/free keeps ranges disjoint, aligned and inside [start_pfn, limit]", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("latest", "v4.19", "v6.6"),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 3 }), fc.nat()), { maxLength: 150 }),
        (eraName, ops) => {
          const iovad = IovaDomain.forAperture(era(eraName), 0, 4);
          const limit = 0x3ff; // a small space so failures, retries and cache flushes happen
          const live: { pfn: number; pages: number }[] = [];
          for (const [alloc, pages, cpu, pick] of ops) {
            if (alloc || live.length === 0) {
              const pfn = iovad.allocIova(pages, limit, cpu);
              if (pfn === 0) continue;
              const size = pages < 32 ? 2 ** orderBase2(pages) : pages;
              assert.equal(pfn % 2 ** fls(size - 1), 0, "aligned to the next power of two");
              assert.ok(pfn >= 1 && pfn + size - 1 <= limit, "inside the window");
              const r = iovad.findIova(pfn);
              assert.deepEqual(r, { pfnLo: pfn, pfnHi: pfn + size - 1 });
              for (const l of live) assert.ok(pfn + size - 1 < l.pfn || pfn > (iovad.findIova(l.pfn)?.pfnHi ?? -1), "disjoint");
              live.push({ pfn, pages });
            } else {
              const [x] = live.splice(pick % live.length, 1);
              if (x !== undefined) iovad.freeIova(x.pfn, x.pages, cpu);
            }
          }
          // Tree order is strictly ascending and non-overlapping.
          let prevHi = 0;
          for (const r of iovad.ranges()) {
            assert.ok(r.pfnLo > prevHi);
            prevHi = r.pfnHi;
          }
          assert.equal(iovad.liveRanges, live.length + iovad.cachedRanges);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it("holds 100k live ranges", () => {
    const iovad = IovaDomain.forAperture(LATEST, 0, 1);
    for (let i = 0; i < 100_000; i++) assert.notEqual(iovad.allocIova(1 + (i % 3), 0xfffff), 0);
    assert.equal(iovad.liveRanges, 100_000);
    // Free every other one into the tree, then refill the holes top-down.
    const ranges = [...iovad.ranges()];
    for (let i = 0; i < ranges.length; i += 2) iovad.freeIovaRange((ranges[i] as { pfnLo: number }).pfnLo);
    assert.equal(iovad.liveRanges, 50_000);
  });
});
