// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { test } from "node:test";
import { era } from "../../src/core/era.ts";
import { customPlatform, platform, type Platform } from "../../src/phys/platform.ts";
import { zonesFor } from "../../src/phys/zones.ts";

type Span = [string, number, number];
const spans = (p: Platform, e: string): Span[] => zonesFor(p, era(e)).map((z) => [z.name, z.startPfn, z.endPfn]);

const elm = platform("mt8173-elm-4g");

test("mt8173-elm-4g zones per era", () => {
  // DRAM 0x4000_0000-0x1_4000_0000 is pfns 0x40000-0x140000; 4 GiB is pfn 0x100000.
  assert.deepEqual(spans(elm, "v4.14"), [
    ["DMA", 0x40000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
  assert.deepEqual(spans(elm, "v4.19"), [
    ["DMA32", 0x40000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
  // v5.11+ without a restricting dma-ranges: ZONE_DMA takes all of the low 4 GiB, ZONE_DMA32 is empty.
  for (const e of ["v6.6", "latest"]) {
    assert.deepEqual(spans(elm, e), [
      ["DMA", 0x40000, 0x100000],
      ["DMA32", 0x100000, 0x100000],
      ["NORMAL", 0x100000, 0x140000],
    ]);
  }
});

test("v5.5-v5.10.21 max_zone_phys(bits): each zone is offset into the 2^bits window holding DRAM start", () => {
  // (0x4000_0000 & GENMASK_ULL(63, 30)) + 2^30 = 0x8000_0000: ZONE_DMA 1 GiB, ZONE_DMA32 up to 4 GiB.
  const e = { ...era("v5.10"), zones: "dma30-dma32" as const };
  assert.deepEqual(
    zonesFor(elm, e).map((z) => [z.name, z.startPfn, z.endPfn]),
    [
      ["DMA", 0x40000, 0x80000],
      ["DMA32", 0x80000, 0x100000],
      ["NORMAL", 0x100000, 0x140000],
    ],
  );
  // DRAM starting at 2 GiB: the 30-bit window holding it is 0x8000_0000-0xC000_0000.
  const high = customPlatform("at-2g", [{ start: 0x8000_0000, end: 0x2_8000_0000 }]);
  assert.deepEqual(
    zonesFor(high, e).map((z) => [z.name, z.startPfn, z.endPfn]),
    [
      ["DMA", 0x80000, 0xc0000],
      ["DMA32", 0xc0000, 0x100000],
      ["NORMAL", 0x100000, 0x280000],
    ],
  );
});

test("5.10.22-6.12 rounds the dma-ranges end up to whole bits; 6.13+ takes it as it is", () => {
  const bits = { ...era("v6.6"), zones: "dma-bits-from-ranges" as const };
  const limit = { ...era("latest"), zones: "dma-from-ranges" as const };
  // CPU end 0xBFFF_FFFF: fls64 = 32 bits, so 6.6 keeps 4 GiB; 6.13 stops ZONE_DMA at 3 GiB.
  const p: Platform = { ...elm, dmaRangesLimit: 0xc000_0000 };
  assert.deepEqual(
    zonesFor(p, bits).map((z) => [z.name, z.endPfn]),
    [
      ["DMA", 0x100000],
      ["DMA32", 0x100000],
      ["NORMAL", 0x140000],
    ],
  );
  assert.deepEqual(
    zonesFor(p, limit).map((z) => [z.name, z.endPfn]),
    [
      ["DMA", 0xc0000],
      ["DMA32", 0x100000],
      ["NORMAL", 0x140000],
    ],
  );
  // 6.13's limit below the start of DRAM leaves ZONE_DMA empty (6.6 capped it at 4 GiB instead).
  const below: Platform = { ...elm, dmaRangesLimit: 0x2000_0000 };
  assert.deepEqual(
    zonesFor(below, limit).map((z) => [z.name, z.startPfn, z.endPfn]),
    [
      ["DMA", 0x40000, 0x40000],
      ["DMA32", 0x40000, 0x100000],
      ["NORMAL", 0x100000, 0x140000],
    ],
  );
});

test("elm v4.19: DMA32 is 3 GiB and NORMAL 1 GiB", () => {
  const z = zonesFor(elm, era("v4.19"));
  assert.deepEqual(
    z.map((x) => x.presentPages * 4096),
    [3 * 2 ** 30, 2 ** 30],
  );
});

test("v5.11+ ZONE_DMA follows the dma-ranges limit", () => {
  const limited: Platform = { ...elm, dmaRangesLimit: 0x8000_0000 };
  assert.deepEqual(spans(limited, "v6.6"), [
    ["DMA", 0x40000, 0x80000],
    ["DMA32", 0x80000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
  // A limit below the start of DRAM caps ZONE_DMA at 4 GiB instead of leaving it empty.
  const below: Platform = { ...elm, dmaRangesLimit: 0x2000_0000 };
  assert.deepEqual(spans(below, "v6.6"), [
    ["DMA", 0x40000, 0x100000],
    ["DMA32", 0x100000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
});

test("RAM entirely below or above 4 GiB", () => {
  const low = platform("mt8173-elm-2g");
  assert.deepEqual(spans(low, "v4.19"), [
    ["DMA32", 0x40000, 0xc0000],
    ["NORMAL", 0xc0000, 0xc0000],
  ]);
  const high = customPlatform("high", [{ start: 0x1_0000_0000, end: 0x1_8000_0000 }]);
  // Pre-5.11 limits are relative to the 4 GiB window holding DRAM; v5.11+ puts it all in ZONE_DMA.
  assert.deepEqual(spans(high, "v4.19"), [
    ["DMA32", 0x100000, 0x180000],
    ["NORMAL", 0x180000, 0x180000],
  ]);
  assert.deepEqual(spans(high, "v6.6"), [
    ["DMA", 0x100000, 0x180000],
    ["DMA32", 0x180000, 0x180000],
    ["NORMAL", 0x180000, 0x180000],
  ]);
});

test("holes between banks are not present pages", () => {
  const p = customPlatform("two-banks", [
    { start: 0x8000_0000, end: 0x9000_0000 },
    { start: 0x1_0000_0000, end: 0x1_1000_0000 },
  ]);
  const z = zonesFor(p, era("v4.19"));
  assert.deepEqual(
    z.map((x) => [x.name, x.startPfn, x.endPfn, x.presentPages]),
    [
      ["DMA32", 0x80000, 0x100000, 0x10000],
      ["NORMAL", 0x100000, 0x110000, 0x10000],
    ],
  );
});
