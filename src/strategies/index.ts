// SPDX-License-Identifier: GPL-2.0-only
/**
 * The table-memory strategies by name. Callers pick one with `strategy(name)` and build it with
 * `create(ctx)`; what a strategy can do is in its `capabilities`, so no caller needs its name.
 */
import type { Era } from "../core/era.ts";
import type { StrategyContext } from "./base.ts";
import { GenallocGrowTableMemory } from "./genalloc-grow.ts";
import { GenallocPreallocTableMemory } from "./genalloc-prealloc.ts";
import { KzallocDma32TableMemory } from "./kzalloc-dma32.ts";
import { LegacyGfpDmaTableMemory } from "./legacy-gfp-dma.ts";
import { MtkTtbrExtTableMemory } from "./mtk-ttbr-ext.ts";
import { PageFragTableMemory } from "./page-frag.ts";
import { PagePerTableTableMemory } from "./page-per-table.ts";
import { absentReason, existsIn, type Provenance } from "./provenance.ts";
import { SlabDma32TableMemory } from "./slab-dma32.ts";
import type { TableMemory, TableMemoryCapabilities } from "./table-memory.ts";

export type { StrategyContext } from "./base.ts";
export { absentReason, existsIn, type Provenance } from "./provenance.ts";

export interface StrategyInfo {
  readonly name: string;
  readonly description: string;
  /** Where it comes from: commit, mail Message-Id, or "hypothetical" with the thread reference. */
  readonly origin: string;
  readonly capabilities: TableMemoryCapabilities;
  /** Merged (with the release and the eras that have it), an RFC (with the posting) or hypothetical (with why). */
  readonly provenance: Provenance;
  create(ctx: StrategyContext): TableMemory;
  /** Whether the kernel of `era` has this strategy (merged and in that era's text). */
  existsIn(era: Era): boolean;
  /** Null when it exists in `era`, else why not, naming the release or the posting. */
  absentReason(era: Era): string | null;
}

/** kmem_cache_shrink gives empty slabs back; the slab page allocation may use GFP_ATOMIC. */
const SLAB: TableMemoryCapabilities = { canShrink: true, allocatesInAtomicContext: true, preallocates: false, needsTtbrExt: false };
/** genalloc cannot remove a chunk, so a pool never shrinks. */
const GENALLOC_GROW: TableMemoryCapabilities = { canShrink: false, allocatesInAtomicContext: true, preallocates: false, needsTtbrExt: false };
/** The map path allocates nothing while the reserve lasts (gen_pool_alloc takes no gfp). */
const GENALLOC_PREALLOC: TableMemoryCapabilities = { canShrink: false, allocatesInAtomicContext: true, preallocates: true, needsTtbrExt: false };
/** A page goes back when its last table is freed. */
const PAGES: TableMemoryCapabilities = { canShrink: true, allocatesInAtomicContext: true, preallocates: false, needsTtbrExt: false };

type StrategyData = Omit<StrategyInfo, "existsIn" | "absentReason">;

const DATA: readonly StrategyData[] = [
  {
    name: "legacy-gfp-dma",
    description: "up to v4.19: L1 GFP_DMA pages, L2 from a SLAB_CACHE_DMA cache with GFP_ATOMIC|GFP_DMA (above 4 GiB on arm64 v4.16-v4.19)",
    origin: "v4.19 io-pgtable-arm-v7s.c; regression from ad67f5a6545f (v4.16)",
    capabilities: SLAB,
    // GFP_DMA / SLAB_CACHE_DMA tables: nojick/test419 968c1392 (4.19.0) and the v4.14 text; GFP_DMA32 in
    // Rtoax/linux-5.10.13 d6144f7f8ff1 and later.
    provenance: {
      kind: "merged",
      release: "every release up to v5.0 (read in the v4.14 and 4.19.0 texts)",
      commit: "io-pgtable-arm-v7s.c's GFP_DMA / SLAB_CACHE_DMA table allocation",
      eras: ["v4.14", "v4.19"],
    },
    create: (ctx) => new LegacyGfpDmaTableMemory(ctx),
  },
  {
    name: "slab-dma32",
    description: "the merged fix: L1 GFP_DMA32 pages, L2 from a SLAB_CACHE_DMA32 kmem_cache",
    origin: "6d6ea1e967a2 + <20181210011504.122604-3-drinkcat@chromium.org> (v6 2/3)",
    capabilities: SLAB,
    // ARM_V7S_TABLE_GFP_DMA = GFP_DMA32, SLAB_CACHE_DMA32: absent in 4.19.0 (nojick/test419 968c1392),
    // present in 5.10.13 (Rtoax/linux-5.10.13 d6144f7f8ff1) and 6.6.0 (lxdklp/linux-6.6.y 5fda8f9c).
    // The release (v5.1, later in 4.19.y stable) is the project's record, not re-read here.
    provenance: {
      kind: "merged",
      release: "v5.1 (backported to 4.19.y stable; the v4.19 era models 4.19.0)",
      commit: '6d6ea1e967a2 "mm: add support for kmem caches in DMA32 zone" + "iommu/io-pgtable-arm-v7s: Request DMA32 memory, and improve debugging"',
      eras: ["v5.10", "v6.6", "latest"],
    },
    create: (ctx) => new SlabDma32TableMemory(ctx),
  },
  {
    name: "genalloc-prealloc",
    description: "4 MiB of DMA32 blocks in a gen_pool (1 KiB granules) reserved at domain creation; never shrinks",
    origin: "option 2 of the 2018-12-04 summary (<20181205144130.GA16121@arm.com>), not posted",
    capabilities: GENALLOC_PREALLOC,
    provenance: {
      kind: "hypothetical",
      why: "a pool reserved at domain creation never allocates in the atomic map path, at the price of 4 MiB of DMA32 held whether used or not",
    },
    create: (ctx) => new GenallocPreallocTableMemory(ctx),
  },
  {
    name: "genalloc-grow",
    description: "gen_pool grown by 64 KiB DMA32 chunks with the map path's gfp when it runs out; never shrinks",
    origin: "option 2 with 'changes in the core (use GFP_ATOMIC)', not posted",
    capabilities: GENALLOC_GROW,
    provenance: {
      kind: "hypothetical",
      why: "a pool that grows by 64 KiB DMA32 chunks with the map path's gfp costs little memory, but can fail in atomic context and never shrinks",
    },
    create: (ctx) => new GenallocGrowTableMemory(ctx),
  },
  {
    name: "page-frag",
    description: "page_frag_alloc(1024, gfp|__GFP_ZERO|GFP_DMA32): 32 tables per 32 KiB page, freed when all are",
    origin: "<20181204082300.95106-1-drinkcat@chromium.org> (v3 RFC)",
    capabilities: PAGES,
    provenance: { kind: "rfc", posting: "<20181204082300.95106-1-drinkcat@chromium.org> (v3)", date: "2018-12-04" },
    create: (ctx) => new PageFragTableMemory(ctx),
  },
  {
    name: "kzalloc-dma32",
    description: "kzalloc(SZ_1K, gfp|GFP_DMA32) as if a DMA32 kmalloc-1k cache existed (private here, shared in a kernel)",
    origin: "Robin Murphy's reply to v2 (<c5ccde1e-…@arm.com>), hypothetical",
    capabilities: SLAB,
    provenance: {
      kind: "hypothetical",
      why: "kzalloc(GFP_DMA32) would cost the same as slab-dma32, but the kernel has no DMA32 kmalloc caches and strips GFP_DMA32 from kmalloc",
    },
    create: (ctx) => new KzallocDma32TableMemory(ctx),
  },
  {
    name: "page-per-table",
    description: "a whole zeroed DMA32 page per 1 KiB L2 table, as iommu-pages / generic_pt would allocate",
    origin: "iommu-pages (iommu_alloc_pages_node_sz) + jgunthorpe generic_pt armv7s (out of tree)",
    capabilities: PAGES,
    provenance: {
      kind: "hypothetical",
      why: "a whole page per 1 KiB table, as iommu-pages would give an out-of-tree generic_pt armv7s format: four times the memory, but every freed table returns its page",
    },
    create: (ctx) => new PagePerTableTableMemory(ctx),
  },
  {
    name: "mtk-ttbr-ext",
    description: "IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT: L1 GFP_KERNEL, L2 from a cache with flags 0, tables below 2^35",
    origin: "MediaTek MTK_TTBR_EXT quirk (v6.0)",
    capabilities: { ...SLAB, needsTtbrExt: true },
    // IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT: absent from the 5.10.13 io-pgtable.h quirk list (BIT(4) is
    // NON_STRICT there), present in 6.6.0 arm_v7s_alloc_pgtable (lxdklp/linux-6.6.y 5fda8f9c).
    provenance: {
      kind: "merged",
      release: "v6.0",
      commit: "IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT (MediaTek PGTABLE_PA_35_EN series)",
      eras: ["v6.6", "latest"],
    },
    create: (ctx) => new MtkTtbrExtTableMemory(ctx),
  },
];

export const STRATEGIES: readonly StrategyInfo[] = DATA.map((d) => ({
  ...d,
  existsIn: (era: Era) => existsIn(d.provenance, era),
  absentReason: (era: Era) => absentReason(d.name, d.provenance, era),
}));

export const STRATEGY_NAMES: readonly string[] = STRATEGIES.map((s) => s.name);

/** Throws RangeError naming the known strategies when `name` is not one. */
export function strategy(name: string): StrategyInfo {
  const s = STRATEGIES.find((x) => x.name === name);
  if (s === undefined) throw new RangeError(`unknown table-memory strategy "${name}" (known: ${STRATEGY_NAMES.join(", ")})`);
  return s;
}
