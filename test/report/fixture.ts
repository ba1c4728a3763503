// SPDX-License-Identifier: GPL-2.0-only
/**
 * A ComparisonReport shaped like a real `compare` run on mt8173-elm-4g with v4.19, built from a small
 * scripted workload (live L2 tables rise, churn, rise again) and a per-strategy rule for bytes held.
 * The report layer is a pure renderer, so plain data is the right input for its tests.
 */
import { FreedTables } from "../../src/lab/freed-tables.ts";
import type { ComparisonReport, Sample, StrategyResult, TablePlacement } from "../../src/lab/types.ts";

export const KiB = 1024;
export const MiB = 1024 * KiB;
const L1 = 16 * KiB;

/** Live L2 tables after each event: up to 40, churn down to 12, back up to 28. */
export function liveSeries(): number[] {
  const out: number[] = [];
  for (let i = 1; i <= 40; i++) out.push(i);
  for (let i = 39; i >= 12; i--) out.push(i);
  for (let i = 13; i <= 28; i++) out.push(i);
  return out;
}

type HeldRule = (live: number, allocatedSoFar: number, maxLiveSoFar: number) => number;

interface StrategyScript {
  readonly strategy: string;
  readonly description: string;
  readonly held: HeldRule;
  readonly tableBase: number;
  readonly zone: string;
  readonly canShrink: boolean;
  readonly preallocates: boolean;
}

const SCRIPTS: readonly StrategyScript[] = [
  {
    strategy: "legacy-gfp-dma",
    description: "v4.15-v4.19: GFP_DMA / SLAB_CACHE_DMA, which arm64 resolves to ZONE_NORMAL",
    held: (live) => L1 + Math.ceil(live / 16) * 16 * KiB,
    tableBase: 0x1_3f00_0000,
    zone: "NORMAL",
    canShrink: true,
    preallocates: false,
  },
  {
    strategy: "slab-dma32",
    description: "SLAB_CACHE_DMA32 kmem_cache (6d6ea1e967a2, merged)",
    held: (live) => L1 + Math.ceil(live / 16) * 16 * KiB,
    tableBase: 0xfe00_0000,
    zone: "DMA32",
    canShrink: true,
    preallocates: false,
  },
  {
    strategy: "genalloc-prealloc",
    description: "gen_pool over 4 MiB of DMA32 reserved at domain creation",
    held: () => L1 + 4 * MiB,
    tableBase: 0xfa00_0000,
    zone: "DMA32",
    canShrink: false,
    preallocates: true,
  },
  {
    strategy: "genalloc-grow",
    description: "gen_pool grown by 64 KiB chunks on demand, never shrunk",
    held: (_live, _alloc, maxLive) => L1 + Math.ceil(maxLive / 64) * 64 * KiB,
    tableBase: 0xf900_0000,
    zone: "DMA32",
    canShrink: false,
    preallocates: false,
  },
  {
    strategy: "page-frag",
    description: "page_frag_alloc from 32 KiB DMA32 pages (v3 RFC)",
    held: (_live, alloc) => L1 + Math.ceil(alloc / 32) * 32 * KiB,
    tableBase: 0xf800_0000,
    zone: "DMA32",
    canShrink: true,
    preallocates: false,
  },
  {
    strategy: "kzalloc-dma32",
    description: "kzalloc(SZ_1K, GFP_DMA32) as Robin Murphy offered",
    held: (live) => L1 + Math.ceil(live / 8) * 8 * KiB,
    tableBase: 0xf700_0000,
    zone: "DMA32",
    canShrink: true,
    preallocates: false,
  },
  {
    strategy: "page-per-table",
    description: "one 4 KiB DMA32 page per 1 KiB L2 table (iommu-pages style)",
    held: (live) => L1 + live * 4 * KiB,
    tableBase: 0xf600_0000,
    zone: "DMA32",
    canShrink: true,
    preallocates: false,
  },
  {
    strategy: "mtk-ttbr-ext",
    description: "MTK_TTBR_EXT: GFP_KERNEL tables anywhere below 2^35",
    held: (live) => L1 + Math.ceil(live / 16) * 16 * KiB,
    tableBase: 0x1_3e00_0000,
    zone: "NORMAL",
    canShrink: true,
    preallocates: false,
  },
];

function occupancy(live: number): number[] {
  const buckets = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < live; i++) {
    const b = (i * 5) % 9;
    buckets[b] = (buckets[b] ?? 0) + 1;
  }
  return buckets;
}

function runScript(s: StrategyScript, index: number): StrategyResult {
  const series = liveSeries();
  const legacy = s.strategy === "legacy-gfp-dma";
  const samples: Sample[] = [];
  let allocated = 0;
  let maxLive = 0;
  let prev = 0;
  let peakHeld = 0;
  let peakInUse = 0;
  series.forEach((target, event) => {
    // legacy: every L2 allocation lands above 4 GiB and fails the fit check, so nothing becomes live.
    const live = legacy ? 0 : target;
    if (target > prev) allocated += target - prev;
    prev = target;
    maxLive = Math.max(maxLive, live);
    const heldBytes = s.held(live, allocated, maxLive);
    const inUseBytes = L1 + live * KiB;
    peakHeld = Math.max(peakHeld, heldBytes);
    peakInUse = Math.max(peakInUse, inUseBytes);
    samples.push({ event, heldBytes, inUseBytes, liveL2Tables: live });
  });
  const last = samples[samples.length - 1];
  if (last === undefined) throw new RangeError("empty series");
  const placed: TablePlacement[] = [{ pa: legacy ? 0xffe0_0000 : s.tableBase - 0x10_0000, bytes: L1, level: 1, zone: legacy ? "DMA32" : s.zone, live: true }];
  for (let i = 0; i < allocated; i++) {
    placed.push({ pa: s.tableBase + i * KiB, bytes: KiB, level: 2, zone: s.zone, live: !legacy && i < last.liveL2Tables });
  }
  const freed = legacy ? 0 : allocated - last.liveL2Tables;
  const above = placed.filter((t) => t.pa >= 2 ** 32).length;
  const tables = placed.filter((t) => t.live);
  const freedAcc = new FreedTables();
  for (const t of placed) if (!t.live) freedAcc.add(t.pa, t.bytes, t.zone);
  const slab = s.strategy === "slab-dma32" || s.strategy === "legacy-gfp-dma" || s.strategy === "mtk-ttbr-ext";
  const slabs = Math.ceil(last.liveL2Tables / 16);
  return {
    strategy: s.strategy,
    description: s.description,
    capabilities: { canShrink: s.canShrink, allocatesInAtomicContext: !s.preallocates, preallocates: s.preallocates, tablesAbove4GiBAddressable: false },
    domainCreated: true,
    mapCalls: 96,
    mapFailures: legacy ? 40 : 0,
    unmapCalls: 28,
    allocFailures: legacy ? 40 : 0,
    l2Tables: last.liveL2Tables,
    l2TablesAllocated: legacy ? 0 : allocated,
    l2TablesFreed: freed,
    tablesAbove4GiB: above,
    peakHeldBytes: peakHeld,
    finalHeldBytes: last.heldBytes,
    peakInUseBytes: peakInUse,
    finalInUseBytes: last.inUseBytes,
    peakDma32Bytes: s.zone === "DMA32" ? peakHeld : legacy ? L1 : 0,
    faults: legacy ? 3 : 0,
    translationMismatches: 0,
    strayDmaWrites: 0,
    dirtyTables: 0,
    strayDmaVictims: {},
    messages: legacy
      ? [
          { text: "arm-v7s io-pgtable: Page table does not fit in PTE: 0x000000013f000000", count: 40 },
          { text: "mtk-iommu 10205000.iommu: fault type=0x5 iova=0x1000000 pa=0x0 larb=0 port=0 layer=1 write", count: 3 },
        ]
      : [],
    kernelCounters: {
      slabinfo: slab
        ? { name: "io-pgtable_armv7s_l2", activeObjs: last.liveL2Tables, numObjs: slabs * 16, objSize: 1024, objPerSlab: 16, pagesPerSlab: 4, activeSlabs: slabs, numSlabs: slabs }
        : null,
      secPageTablesBytes: 0,
      nrIommuPages: 0,
    },
    samples,
    tables,
    freedTables: freedAcc.summary(),
    l2Occupancy: occupancy(last.liveL2Tables),
    runTimeMs: 12.5 + index,
  };
}

export function fixtureResults(): StrategyResult[] {
  return SCRIPTS.map(runScript);
}

export function fixtureReport(results: readonly StrategyResult[] = fixtureResults()): ComparisonReport {
  return {
    schema: "iommu-lab/compare/2",
    tool: { name: "iommu-lab", version: "0.1.0" },
    params: {
      scenario: "churn-camera",
      era: "v4.19",
      platform: "mt8173-elm-4g",
      cpus: 4,
      seed: 42,
      strategies: results.map((r) => r.strategy),
      fitCheck: true,
    },
    platform: {
      name: "mt8173-elm-4g",
      description: "MT8173 'elm' Chromebook (Acer R13) with 4 GiB: DRAM 0x4000_0000-0x1_4000_0000, 1 GiB above 4 GiB",
      ram: [{ start: 0x4000_0000, end: 0x1_4000_0000 }],
      zones: [
        { name: "DMA32", start: 0x4000_0000, end: 0x1_0000_0000 },
        { name: "NORMAL", start: 0x1_0000_0000, end: 0x1_4000_0000 },
      ],
    },
    workload: { events: liveSeries().length, maps: 96, unmaps: 28, description: "camera buffers mapped and unmapped in 1 MiB chunks" },
    results,
  };
}

/** The fixture with one result replaced field by field. */
export function withResult(report: ComparisonReport, strategy: string, patch: Partial<StrategyResult>): ComparisonReport {
  return { ...report, results: report.results.map((r) => (r.strategy === strategy ? { ...r, ...patch } : r)) };
}
