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
  assert.deepEqual(spans(elm, "v4.14"), [["DMA", 0x40000, 0x100000], ["NORMAL", 0x100000, 0x140000]]);
  assert.deepEqual(spans(elm, "v4.19"), [["DMA32", 0x40000, 0x100000], ["NORMAL", 0x100000, 0x140000]]);
  // v5.5-v5.10: the 30-bit ZONE_DMA ends at 1 GiB, where elm's DRAM starts: empty but present.
  assert.deepEqual(spans(elm, "v5.10"), [["DMA", 0x40000, 0x40000], ["DMA32", 0x40000, 0x100000], ["NORMAL", 0x100000, 0x140000]]);
  // v5.11+ without a restricting dma-ranges: ZONE_DMA takes all of the low 4 GiB, ZONE_DMA32 is empty.
  for (const e of ["v6.6", "latest"]) {
    assert.deepEqual(spans(elm, e), [["DMA", 0x40000, 0x100000], ["DMA32", 0x100000, 0x100000], ["NORMAL", 0x100000, 0x140000]]);
  }
});

test("elm v4.19: DMA32 is 3 GiB and NORMAL 1 GiB", () => {
  const z = zonesFor(elm, era("v4.19"));
  assert.deepEqual(z.map((x) => x.presentPages * 4096), [3 * 2 ** 30, 2 ** 30]);
});

test("v5.11+ ZONE_DMA follows the dma-ranges limit", () => {
  const limited: Platform = { ...elm, dmaRangesLimit: 0x8000_0000 };
  assert.deepEqual(spans(limited, "v6.6"), [["DMA", 0x40000, 0x80000], ["DMA32", 0x80000, 0x100000], ["NORMAL", 0x100000, 0x140000]]);
  // A limit below the start of DRAM caps ZONE_DMA at 4 GiB instead of leaving it empty.
  const below: Platform = { ...elm, dmaRangesLimit: 0x2000_0000 };
  assert.deepEqual(spans(below, "v6.6"), [["DMA", 0x40000, 0x100000], ["DMA32", 0x100000, 0x100000], ["NORMAL", 0x100000, 0x140000]]);
});

test("RAM entirely below or above 4 GiB", () => {
  const low = platform("mt8173-elm-2g");
  assert.deepEqual(spans(low, "v4.19"), [["DMA32", 0x40000, 0xc0000], ["NORMAL", 0xc0000, 0xc0000]]);
  const high = customPlatform("high", [{ start: 0x1_0000_0000, end: 0x1_8000_0000 }]);
  // Pre-5.11 limits are relative to the 4 GiB window holding DRAM; v5.11+ puts it all in ZONE_DMA.
  assert.deepEqual(spans(high, "v4.19"), [["DMA32", 0x100000, 0x180000], ["NORMAL", 0x180000, 0x180000]]);
  assert.deepEqual(spans(high, "v6.6"), [["DMA", 0x100000, 0x180000], ["DMA32", 0x180000, 0x180000], ["NORMAL", 0x180000, 0x180000]]);
});

test("holes between banks are not present pages", () => {
  const p = customPlatform("two-banks", [
    { start: 0x8000_0000, end: 0x9000_0000 },
    { start: 0x1_0000_0000, end: 0x1_1000_0000 },
  ]);
  const z = zonesFor(p, era("v4.19"));
  assert.deepEqual(z.map((x) => [x.name, x.startPfn, x.endPfn, x.presentPages]), [
    ["DMA32", 0x80000, 0x100000, 0x10000],
    ["NORMAL", 0x100000, 0x110000, 0x10000],
  ]);
});
