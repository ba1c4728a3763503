// SPDX-License-Identifier: GPL-2.0-only
/**
 * Kernel eras: one readonly profile per era selects every era-specific behaviour, so no code compares
 * version strings. Golden vectors exist for the engine families `v4.19`, `v6.6` and `latest`.
 */

/**
 * Which io-pgtable-arm-v7s.c text the engine follows. What each text does (quirk bits, map ops, split,
 * TLB callbacks, ...) is data in src/pgtable/text.ts (V7S_TEXTS), read through the table's capability
 * record; the name itself is never compared.
 */
export type PgtableFamily =
  /** v4.19 (nojick/test419 115e53ca): .map/.unmap one page per call, iommu_gather_ops, TLBI_ON_MAP/ARM_MTK_4GB/NO_DMA, fixed 4096-entry L1, TCR 0x20, split on partial unmap. */
  | "v4.19"
  /**
   * v5.10 (Rtoax/linux-5.10.13 d6144f7f8ff1:drivers/iommu/io-pgtable-arm-v7s.c arm_v7s_alloc_pgtable,
   * include/linux/io-pgtable.h): `.map`/`.unmap` one page per call through flush_ops (tlb_flush_walk,
   * tlb_add_page), quirks limited to ARM_NS|NO_PERMS|TLBI_ON_MAP|ARM_MTK_EXT|NON_STRICT (BIT(4) is
   * NON_STRICT there; IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT does not exist until v6.0), oas up to 34 with
   * ARM_MTK_EXT, "Page table does not fit in PTE" on a table above 4 GiB, blocks split on partial unmap.
   * The engine decodes this text's quirks; until it does, anything it does not single out behaves as
   * `v6.6`.
   */
  | "v5.10"
  /** v6.6.36: map_pages/unmap_pages, flush_ops, coherent_walk, MTK_EXT/TTBR_EXT, split on partial unmap, prot without R/W returns 0. */
  | "v6.6"
  /** v6.13+ (fd50651636fb removed split): a partial unmap of a large entry is refused and returns 0; prot without R/W is -EINVAL. */
  | "latest";

/**
 * arm64 zone layout (arch/arm64/mm/init.c; the formulas and their sources are in src/phys/zones.ts):
 * - `dma-4g`: <= v4.15, ZONE_DMA below 4 GiB;
 * - `dma32-only`: v4.16-v5.4 (ad67f5a6545f "arm64: replace ZONE_DMA with ZONE_DMA32", posted 2018-01-10
 *   after 4.15-rc7, merged for v4.16: vanilla 4.15.0 still has `config ZONE_DMA` and a 4 GiB ZONE_DMA,
 *   sndrzt/linux-4.15 6ea06264:arch/arm64/Kconfig, arch/arm64/mm/init.c max_zone_dma_phys), no ZONE_DMA,
 *   so GFP_DMA falls to ZONE_NORMAL;
 * - `dma30-dma32`: v5.5-v5.10.21, ZONE_DMA 30-bit plus ZONE_DMA32, both offset into the 2^bits window
 *   holding DRAM start (the merged max_zone_phys; the `v5.10` era is this text, before 5.10.22's backport);
 * - `dma-bits-from-ranges`: v5.10.22 (stable backport) and v5.11-v6.12, zone_dma_bits = min(32, fls64(dma-ranges CPU end));
 * - `dma-from-ranges`: v6.13+, zone_dma_limit = the dma-ranges CPU end itself, capped to 4 GiB when DRAM starts below it.
 */
export type ZoneLayout = "dma-4g" | "dma32-only" | "dma30-dma32" | "dma-bits-from-ranges" | "dma-from-ranges";

export interface Era {
  readonly name: EraName;
  /** Which kernel releases the era stands for, as --help should say it ("5.10.0-5.10.21"). */
  readonly releases: string;
  readonly description: string;
  readonly pgtable: PgtableFamily;
  readonly zones: ZoneLayout;
  /** Number of buddy orders (orders 0 .. maxOrder-1): MAX_ORDER 11 in 4.19/5.x, MAX_PAGE_ORDER 10 (inclusive) in v6.8+. */
  readonly buddyOrders: number;
  /** Orders served by per-CPU lists: only 0 in 4.19; <= PAGE_ALLOC_COSTLY_ORDER (3) since v5.13. */
  readonly pcpMaxOrder: number;
  /** page_frag hands fragments out top-down (<= v6.12) or bottom-up (Yunsheng Lin's "use initial zero offset", ~v6.13). */
  readonly pageFragDirection: "down" | "up";
  /**
   * iommu:map/unmap text: `old` without `- end`, `range` with it (94aedac49d92 "iommu: Log iova range in
   * map/unmap trace events", v5.17 IOMMU pull: include/trace/events/iommu.h is `old` in 5.15.100 and
   * `range` in 5.17-rc5).
   */
  readonly tracepointFormat: "old" | "range";
  /**
   * MT8173 DMA domain aperture end: 0xFFFF_FFFF up to v6.3 (aperture_end = DMA_BIT_MASK(32) in 4.19 and
   * 5.10, nojick/test419 968c1392 and Rtoax/linux-5.10.13 d6144f7f8ff1:drivers/iommu/mtk_iommu.c
   * mtk_iommu_domain_alloc; single_domain {0, SZ_4G} in 5.15-6.3), SZ_4G - SZ_8M - 1 from v6.4 ("iommu/mediatek:
   * Add a gap for the iova regions", MTK_IOMMU_IOVA_SZ_4G).
   */
  readonly mt8173ApertureEnd: number;
  /** iommu_pgsize returns a page count and iommu_map passes it to map_pages (v5.15; absent in 5.14.2) or one page per call (older). */
  readonly mapPagesBatched: boolean;
  /**
   * IOVA rcache magazine size: 128 until "iommu/iova: change IOVA_MAG_SIZE to 127 to save memory" (v6.0:
   * listed in the v5.20/v6.0 IOMMU pull; 128 in 5.19.0, 127 in 6.1-rc7), which makes the magazine a
   * power-of-two allocation.
   */
  readonly iovaRcacheMagazineSize: number;
  readonly mm: MmEraFeatures;
  readonly dma: DmaEraFeatures;
}

/** IO_PGTABLE_QUIRK_* names mtk_iommu passes (a subset of the engine's V7sQuirk). */
export type MtkQuirkName = "ARM_NS" | "NO_PERMS" | "TLBI_ON_MAP" | "ARM_MTK_4GB" | "ARM_MTK_EXT";

/** iommu-dma, iommu core and mtk_iommu behaviours by era. */
export interface DmaEraFeatures {
  /**
   * How mtk_iommu keeps the M4U TLB coherent:
   * - `gather-ops` (v4.19): io-pgtable calls the driver's iommu_gather_ops; TLBI_ON_MAP makes every
   *   map end with tlb_add_flush + tlb_sync, every leaf unmap issues tlb_add_flush; iotlb_sync only polls.
   * - `sync-map` (v5.12: mtk_iommu_sync_map is absent in 5.11.0 and present in 5.12.9, which also drops
   *   TLBI_ON_MAP from mtk_iommu_domain_finalise): no io-pgtable TLB callbacks at all, a range flush from
   *   iotlb_sync_map after each map and one over the gathered range from iotlb_sync after each unmap.
   *   Simplification: v5.10 really used flush_ops plus TLBI_ON_MAP (a tlb_flush_walk at the end of
   *   every page's .map); it is modelled as `sync-map`, which flushes the same ranges once per call.
   */
  readonly mtkFlush: "gather-ops" | "sync-map";
  /** iommu_map() WARNs and returns -EINVAL for gfp with __GFP_DMA/DMA32/HIGHMEM/COMP (v6.3, with the gfp argument). */
  readonly rejectZoneGfp: boolean;
  /** iommu_map_sg merges physically contiguous entries into one iommu_map (absent in 4.19.0, present in 5.10.0). */
  readonly sgMerge: boolean;
  /** 4.19 masks paddr to 32 bits and sets the ARM_MTK_4GB quirk; later mtk_iommu_map ORs bit 32. */
  readonly mtk4gbPaddr: "mask32" | "or-bit32";
  /** __alloc_and_insert_iova_range retries once from the top above the cached node (4e89dce72521: absent in 5.10.0, present in 5.11.0; the model follows the 6.6 form). */
  readonly iovaRetryFromTop: boolean;
  /** max32_alloc_size fail-fast for 32-bit limits (bee60e94a1e2, v5.1). */
  readonly iovaMax32FailFast: boolean;
  /**
   * Depot bound in magazines per size class: MAX_GLOBAL_MAGS = 32 up to v6.6; null for the unbounded
   * list of "iommu/iova: Make the rcache depot scale better" (v6.7), whose 100 ms delayed trim down to
   * num_online_cpus magazines is not modelled (the model has no clock).
   */
  readonly iovaDepotLimit: number | null;
  /** alloc_iova_fast's retry also empties the depot (free_global_cached_iovas: absent in 5.10.0, present in 5.11.0). */
  readonly iovaFlushDepotOnRetry: boolean;
  /**
   * The io_pgtable_cfg oas mtk_iommu_domain_finalise asks for on MT8173, with and without enable_4GB:
   * 32/32 in 4.19 (nojick/test419 968c1392:drivers/iommu/mtk_iommu.c), 34 in 5.10 (Rtoax/linux-5.10.13
   * d6144f7f8ff1, same function), `HAS_4GB_MODE ? (enable_4GB ? 33 : 32) : 35` from v5.15.
   */
  readonly mtkOas: { readonly fourGb: number; readonly normal: number };
  /**
   * The io-pgtable quirks mtk_iommu_domain_finalise asks for on MT8173, by IO_PGTABLE_QUIRK_* name (the
   * engine numbers them per text), and the one it adds when enable_4GB is set: 4.19 ARM_NS|NO_PERMS|
   * TLBI_ON_MAP (+ ARM_MTK_4GB), 5.10 ARM_NS|NO_PERMS|TLBI_ON_MAP|ARM_MTK_EXT, 6.6 ARM_NS|NO_PERMS|
   * ARM_MTK_EXT. Simplification: 5.10's TLBI_ON_MAP is left out, its flush being the `sync-map`
   * approximation of `mtkFlush`.
   */
  readonly mtkQuirks: readonly MtkQuirkName[];
  readonly mtkQuirks4gb: readonly MtkQuirkName[];
  /**
   * Whether mtk_iommu_domain_finalise builds the cfg from the platform's flags (IOVA_34_EN for ias,
   * HAS_4GB_MODE for oas, PGTABLE_PA_35_EN for the TTBR quirk; v5.15 on) rather than the fixed
   * ias 32 and the era's mtkOas/mtkQuirks above (4.19, 5.10).
   */
  readonly mtkCfgFromFlags: boolean;
  /** The quirks msm_iommu_domain_config asks for: TLBI_ON_MAP in 4.19, none later. */
  readonly msmQuirks: readonly MtkQuirkName[];
  /**
   * dma_alloc_attrs with __GFP_COMP: `split` in 4.19 (__iommu_dma_alloc_pages splits a compound block
   * with split_huge_page; nojick/test419 968c1392:drivers/iommu/dma-iommu.c), `strip` in 5.10
   * (__iommu_dma_alloc_pages clears it, "It makes no sense to muck about with huge pages"; Rtoax/linux-5.10.13
   * d6144f7f8ff1), `reject` in 6.6 (dma_alloc_attrs: WARN_ON_ONCE(flag & __GFP_COMP) and NULL;
   * lxdklp/linux-6.6.y 5fda8f9c:kernel/dma/mapping.c; the release between 5.10 and 6.6 that added it is
   * not pinned here).
   */
  readonly dmaAllocComp: "split" | "strip" | "reject";
  /**
   * trace_print_context's columns in /sys/kernel/tracing/trace: "%16s-%-5d" and 4 latency characters in
   * 4.19 (nojick/test419 968c1392:kernel/trace/trace_output.c trace_print_context, trace_print_lat_fmt),
   * "%-7d" and still 4 characters in 5.10-5.14, "%-7d" and 5 (the migrate-disable nibble) from 5.15.
   */
  readonly ftraceContext: { readonly pidWidth: number; readonly flagChars: number };
}

/** Sub-page allocator details by era (SLUB, page_frag, kmalloc). */
export interface MmEraFeatures {
  /**
   * SLUB per-CPU partial limit: in objects (cpu_partial, pobjects compared with it) before b47291ef02b0
   * "mm, slub: change percpu partial accounting from objects to pages" (v5.16), in slabs
   * (cpu_partial_slabs = DIV_ROUND_UP(cpu_partial * 2, oo_objects)) from then on.
   */
  readonly slubCpuPartialForm: "objects" | "slabs";
  /**
   * set_cpu_partial's default cpu_partial in objects for s->size >= PAGE_SIZE, >= 1024, >= 256 and
   * smaller: 2/6/13/30 in 4.19 and 5.10 (nojick/test419 968c1392:mm/slub.c set_cpu_partial), quadrupled
   * to 6/24/52/120 by "mm/slub: increase default cpu partial list sizes" (v5.16; lxdklp/linux-6.6.y
   * 5fda8f9c:mm/slub.c set_cpu_partial), so a 1 KiB cache with 16-object slabs keeps
   * DIV_ROUND_UP(24 * 2, 16) = 3 slabs per CPU there.
   */
  readonly slubCpuPartialObjects: readonly [number, number, number, number];
  /**
   * page_frag refill bias: `size` references (page_ref_add(size - 1), pagecnt_bias = size) as released in
   * v4.14/v4.19; from v5.1 PAGE_FRAG_CACHE_MAX_SIZE + 1 whatever the page size (Jann Horn's 2c2ade81741c,
   * made a constant by Alexander Duyck's 8644772637de; both later reached 4.19.y stable, which the
   * `v4.19` era, the 2018 text, predates).
   */
  readonly pageFragBias: "size" | "max+1";
  /**
   * Whether page_frag's order-3 attempt drops __GFP_DIRECT_RECLAIM. Present in the mm/page_frag_cache.c
   * text (docs/kernel-facts.md#page-frag-current); the release that added it is not pinned down, so only `latest` has it.
   */
  readonly pageFragRefillNoDirectReclaim: boolean;
  /**
   * arm64 ARCH_KMALLOC_MINALIGN: ARCH_DMA_MINALIGN (128) until Catalin Marinas's "arm64: Allow kmalloc()
   * caches aligned to the smaller cache_line_size()" series (v6.5), 8 after it. It decides the smallest
   * kmalloc cache and whether kmalloc-96/-192 exist.
   */
  readonly kmallocMinAlign: number;
  /**
   * CONFIG_ZONE_DMA, hence dma-kmalloc-N caches for kmalloc(GFP_DMA): arm64 has it up to v4.15 and again
   * from v5.5 (1a8e1cef7603); in v4.16-v5.4 kmalloc_slab has no dma caches and GFP_DMA kmalloc is served
   * by kmalloc-N (nojick/test419 968c1392:mm/slab_common.c kmalloc_slab, `#ifdef CONFIG_ZONE_DMA`).
   */
  readonly kmallocDmaCaches: boolean;
  /**
   * gen_pool_add_owner's chunk header and where it comes from: struct gen_pool_chunk is 48 bytes and
   * kzalloc_node'd in 4.19 (nojick/test419 968c1392:lib/genalloc.c, include/linux/genalloc.h); 56 bytes
   * (with `owner`) and vzalloc_node'd in 5.10.13 and 6.6.0. v4.14 is given the 4.19 values (not read).
   */
  readonly genallocChunk: { readonly headerBytes: number; readonly alloc: "kzalloc_node" | "vzalloc_node" };
  /**
   * Boot memory goes to the buddy list tail from v5.10 (7fef431be9c9 "mm/page_alloc: place pages to tail
   * in __free_pages_core()"); before, at the head, so a fresh 4.x boot hands out its highest blocks first.
   */
  readonly bootFreeToTail: boolean;
  /**
   * The /proc/zoneinfo watermark lines beyond 4.19's free/min/low/high/spanned/present/managed
   * (mm/vmstat.c zoneinfo_show_print): `boost` (watermark_boost, v5.0: 1c30844d2dfe), `promo` (the
   * memory-tiering promo watermark) and `cma`, all three in the 6.x text. Simplified: v5.10 is given
   * boost only, as the release of promo and of the cma line was not pinned down.
   */
  readonly zoneinfoLines: { readonly boost: boolean; readonly promo: boolean; readonly cma: boolean };
}

export type EraName = "v4.14" | "v4.19" | "v5.10" | "v6.6" | "latest";

const MM_V4_19: MmEraFeatures = {
  slubCpuPartialForm: "objects",
  slubCpuPartialObjects: [2, 6, 13, 30],
  pageFragBias: "size",
  pageFragRefillNoDirectReclaim: false,
  kmallocMinAlign: 128,
  kmallocDmaCaches: false,
  genallocChunk: { headerBytes: 48, alloc: "kzalloc_node" },
  bootFreeToTail: false,
  zoneinfoLines: { boost: false, promo: false, cma: false },
};

const MM_V6_6: MmEraFeatures = {
  slubCpuPartialForm: "slabs",
  slubCpuPartialObjects: [6, 24, 52, 120],
  pageFragBias: "max+1",
  pageFragRefillNoDirectReclaim: false,
  kmallocMinAlign: 8,
  kmallocDmaCaches: true,
  genallocChunk: { headerBytes: 56, alloc: "vzalloc_node" },
  bootFreeToTail: true,
  zoneinfoLines: { boost: true, promo: true, cma: true },
};

const DMA_V4_19: DmaEraFeatures = {
  mtkFlush: "gather-ops",
  rejectZoneGfp: false,
  sgMerge: false,
  mtk4gbPaddr: "mask32",
  iovaRetryFromTop: false,
  iovaMax32FailFast: false,
  iovaDepotLimit: 32,
  iovaFlushDepotOnRetry: false,
  mtkOas: { fourGb: 32, normal: 32 },
  mtkQuirks: ["ARM_NS", "NO_PERMS", "TLBI_ON_MAP"],
  mtkQuirks4gb: ["ARM_MTK_4GB"],
  mtkCfgFromFlags: false,
  msmQuirks: ["TLBI_ON_MAP"],
  dmaAllocComp: "split",
  ftraceContext: { pidWidth: 5, flagChars: 4 },
};

const DMA_V6_6: DmaEraFeatures = {
  mtkFlush: "sync-map",
  rejectZoneGfp: true,
  sgMerge: true,
  mtk4gbPaddr: "or-bit32",
  iovaRetryFromTop: true,
  iovaMax32FailFast: true,
  iovaDepotLimit: 32,
  iovaFlushDepotOnRetry: true,
  mtkOas: { fourGb: 33, normal: 32 },
  mtkQuirks: ["ARM_NS", "NO_PERMS", "ARM_MTK_EXT"],
  mtkQuirks4gb: [],
  mtkCfgFromFlags: true,
  msmQuirks: [],
  dmaAllocComp: "reject",
  ftraceContext: { pidWidth: 7, flagChars: 5 },
};

const ERAS: Readonly<Record<EraName, Era>> = {
  "v4.14": {
    name: "v4.14",
    releases: "4.14",
    description: "Linux 4.14: arm64 still has ZONE_DMA below 4 GiB, so GFP_DMA tables stay low",
    pgtable: "v4.19",
    zones: "dma-4g",
    buddyOrders: 11,
    pcpMaxOrder: 0,
    pageFragDirection: "down",
    tracepointFormat: "old",
    mt8173ApertureEnd: 0xffff_ffff,
    mapPagesBatched: false,
    iovaRcacheMagazineSize: 128,
    mm: { ...MM_V4_19, kmallocDmaCaches: true },
    dma: DMA_V4_19,
  },
  "v4.19": {
    name: "v4.19",
    releases: "4.19.0",
    description: "Linux 4.19: ZONE_DMA renamed ZONE_DMA32 on arm64 (since v4.16), GFP_DMA falls to ZONE_NORMAL: the MT8173 regression",
    pgtable: "v4.19",
    zones: "dma32-only",
    buddyOrders: 11,
    pcpMaxOrder: 0,
    pageFragDirection: "down",
    tracepointFormat: "old",
    mt8173ApertureEnd: 0xffff_ffff,
    mapPagesBatched: false,
    iovaRcacheMagazineSize: 128,
    mm: MM_V4_19,
    dma: DMA_V4_19,
  },
  "v5.10": {
    name: "v5.10",
    releases: "5.10.0-5.10.21",
    description:
      "Linux 5.10.0-5.10.21 (before 5.10.22 backported the devicetree-sized ZONE_DMA): ZONE_DMA is the 30-bit 1 GiB window at the DRAM start, ZONE_DMA32 the rest below 4 GiB; v7s tables use GFP_DMA32 / SLAB_CACHE_DMA32",
    pgtable: "v5.10",
    zones: "dma30-dma32",
    buddyOrders: 11,
    pcpMaxOrder: 0,
    pageFragDirection: "down",
    tracepointFormat: "old",
    mt8173ApertureEnd: 0xffff_ffff,
    mapPagesBatched: false,
    iovaRcacheMagazineSize: 128,
    mm: {
      slubCpuPartialForm: "objects",
      slubCpuPartialObjects: [2, 6, 13, 30],
      pageFragBias: "max+1",
      pageFragRefillNoDirectReclaim: false,
      kmallocMinAlign: 128,
      kmallocDmaCaches: true,
      genallocChunk: { headerBytes: 56, alloc: "vzalloc_node" },
      bootFreeToTail: true,
      zoneinfoLines: { boost: true, promo: false, cma: false },
    },
    dma: {
      mtkFlush: "sync-map",
      rejectZoneGfp: false,
      sgMerge: true,
      mtk4gbPaddr: "or-bit32",
      iovaRetryFromTop: false,
      iovaMax32FailFast: true,
      iovaDepotLimit: 32,
      iovaFlushDepotOnRetry: false,
      mtkOas: { fourGb: 34, normal: 34 },
      mtkQuirks: ["ARM_NS", "NO_PERMS", "ARM_MTK_EXT"],
      mtkQuirks4gb: [],
      mtkCfgFromFlags: false,
      msmQuirks: [],
      dmaAllocComp: "strip",
      ftraceContext: { pidWidth: 7, flagChars: 4 },
    },
  },
  "v6.6": {
    name: "v6.6",
    releases: "6.6.y",
    description: "Linux 6.6: map_pages/unmap_pages, blocks split on partial unmap, ZONE_DMA from dma-ranges",
    pgtable: "v6.6",
    zones: "dma-bits-from-ranges",
    buddyOrders: 11,
    pcpMaxOrder: 3,
    pageFragDirection: "down",
    tracepointFormat: "range",
    mt8173ApertureEnd: 0xff7f_ffff,
    mapPagesBatched: true,
    iovaRcacheMagazineSize: 127,
    mm: MM_V6_6,
    dma: DMA_V6_6,
  },
  latest: {
    name: "latest",
    releases: "6.13 and later",
    description: "Linux 6.13+: partial unmaps of large entries refused, -EINVAL for prot without R/W",
    pgtable: "latest",
    zones: "dma-from-ranges",
    buddyOrders: 11,
    pcpMaxOrder: 3,
    pageFragDirection: "up",
    tracepointFormat: "range",
    mt8173ApertureEnd: 0xff7f_ffff,
    mapPagesBatched: true,
    iovaRcacheMagazineSize: 127,
    mm: { ...MM_V6_6, pageFragRefillNoDirectReclaim: true },
    dma: { ...DMA_V6_6, iovaDepotLimit: null },
  },
};

export const ERA_NAMES = Object.keys(ERAS) as EraName[];

/** The eras with the releases each stands for, for --help: "v4.14 (4.14.y), v4.19 (4.19.0), …". */
export function eraChoices(): string {
  return ERA_NAMES.map((n) => `${n} (${ERAS[n].releases})`).join(", ");
}

export function isEraName(name: string): name is EraName {
  return Object.hasOwn(ERAS, name);
}

/** Throws RangeError naming the known eras when `name` is not one. */
export function era(name: string): Era {
  if (!isEraName(name)) throw new RangeError(`unknown kernel era "${name}" (known: ${ERA_NAMES.join(", ")})`);
  return ERAS[name];
}
