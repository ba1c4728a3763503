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
  /** v6.6.36: map_pages/unmap_pages, flush_ops, coherent_walk, MTK_EXT/TTBR_EXT, split on partial unmap, prot without R/W returns 0. */
  | "v6.6"
  /** v6.13+ (fd50651636fb removed split): a partial unmap of a large entry is refused and returns 0; prot without R/W is -EINVAL. */
  | "latest";

/**
 * arm64 zone layout (arch/arm64/mm/init.c; the formulas and their sources are in src/phys/zones.ts):
 * - `dma-4g`: <= v4.15, ZONE_DMA below 4 GiB;
 * - `dma32-only`: v4.16-v5.4 (ad67f5a6545f "arm64: replace ZONE_DMA with ZONE_DMA32"), no ZONE_DMA, so GFP_DMA falls to ZONE_NORMAL;
 * - `dma30-dma32`: v5.5-v5.10.21, ZONE_DMA 30-bit plus ZONE_DMA32, both offset into the 2^bits window holding DRAM start;
 * - `dma-bits-from-ranges`: v5.10.22 (stable backport) and v5.11-v6.12, zone_dma_bits = min(32, fls64(dma-ranges CPU end));
 * - `dma-from-ranges`: v6.13+, zone_dma_limit = the dma-ranges CPU end itself, capped to 4 GiB when DRAM starts below it.
 */
export type ZoneLayout = "dma-4g" | "dma32-only" | "dma30-dma32" | "dma-bits-from-ranges" | "dma-from-ranges";

export interface Era {
  readonly name: EraName;
  readonly description: string;
  readonly pgtable: PgtableFamily;
  readonly zones: ZoneLayout;
  /** Number of buddy orders (orders 0 .. maxOrder-1): MAX_ORDER 11 in 4.19/5.x, MAX_PAGE_ORDER 10 (inclusive) in v6.8+. */
  readonly buddyOrders: number;
  /** Orders served by per-CPU lists: only 0 in 4.19; <= PAGE_ALLOC_COSTLY_ORDER (3) since v5.13. */
  readonly pcpMaxOrder: number;
  /** page_frag hands fragments out top-down (<= v6.12) or bottom-up (Yunsheng Lin's "use initial zero offset", ~v6.13). */
  readonly pageFragDirection: "down" | "up";
  /** iommu:map/unmap text: `old` without `- end`, `range` with it (Dafna Hirschfeld's patch; release unverified, see kernel-facts Q7). */
  readonly tracepointFormat: "old" | "range";
  /** MT8173 DMA domain aperture end: 0xFFFF_FFFF in 4.19 (DMA_BIT_MASK(32)), SZ_4G - SZ_8M - 1 later. */
  readonly mt8173ApertureEnd: number;
  /** iommu_map passes a page count to the driver (v5.15+ map_pages) or one page per call (older). */
  readonly mapPagesBatched: boolean;
  /**
   * IOVA rcache magazine size: 128 until the magazine struct was resized to fit a power-of-two
   * allocation (127, about v5.19/v6.0; release recalled, not re-read).
   */
  readonly iovaRcacheMagazineSize: number;
  readonly mm: MmEraFeatures;
  readonly dma: DmaEraFeatures;
}

/**
 * iommu-dma, iommu core and mtk_iommu behaviours by era. Entries marked [unverified] follow recalled
 * commit history, not re-read code.
 */
export interface DmaEraFeatures {
  /**
   * How mtk_iommu keeps the M4U TLB coherent:
   * - `gather-ops` (v4.19): io-pgtable calls the driver's iommu_gather_ops; TLBI_ON_MAP makes every
   *   map end with tlb_add_flush + tlb_sync, every leaf unmap issues tlb_add_flush; iotlb_sync only polls.
   * - `sync-map` (since Yong Wu's v5.13 series that added mtk_iommu_sync_map and dropped TLBI_ON_MAP):
   *   no io-pgtable TLB callbacks at all, a range flush from iotlb_sync_map after each map and one
   *   over the gathered range from iotlb_sync after each unmap. v5.10 really used flush_ops plus
   *   TLBI_ON_MAP; it is modelled as `sync-map`, which issues the same range flushes per call.
   */
  readonly mtkFlush: "gather-ops" | "sync-map";
  /** iommu_map() WARNs and returns -EINVAL for gfp with __GFP_DMA/DMA32/HIGHMEM/COMP (v6.3, with the gfp argument). */
  readonly rejectZoneGfp: boolean;
  /** iommu_map_sg merges physically contiguous entries into one iommu_map (4.19 mapped every entry). [unverified release] */
  readonly sgMerge: boolean;
  /** 4.19 masks paddr to 32 bits and sets the ARM_MTK_4GB quirk; later mtk_iommu_map ORs bit 32. */
  readonly mtk4gbPaddr: "mask32" | "or-bit32";
  /** __alloc_and_insert_iova_range retries once from the top above the cached node (4e89dce72521, v5.11). [unverified release] */
  readonly iovaRetryFromTop: boolean;
  /** max32_alloc_size fail-fast for 32-bit limits (bee60e94a1e2, v5.1). */
  readonly iovaMax32FailFast: boolean;
  /**
   * Depot bound in magazines per size class: MAX_GLOBAL_MAGS = 32 up to v6.6; null for the unbounded
   * list of "iommu/iova: Make the rcache depot scale better" (v6.7), whose 100 ms delayed trim down to
   * num_online_cpus magazines is not modelled (the model has no clock).
   */
  readonly iovaDepotLimit: number | null;
  /** alloc_iova_fast's retry also empties the depot (free_global_cached_iovas, v5.11+). [unverified release] */
  readonly iovaFlushDepotOnRetry: boolean;
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
   * page_frag refill bias: `size` references (page_ref_add(size - 1), pagecnt_bias = size) as released in
   * v4.14/v4.19; from v5.1 PAGE_FRAG_CACHE_MAX_SIZE + 1 whatever the page size (Jann Horn's 2c2ade81741c,
   * made a constant by Alexander Duyck's 8644772637de; both later reached 4.19.y stable, which the
   * `v4.19` era, the 2018 text, predates).
   */
  readonly pageFragBias: "size" | "max+1";
  /**
   * Whether page_frag's order-3 attempt drops __GFP_DIRECT_RECLAIM. Present in the mm/page_frag_cache.c
   * text (kernel-facts §6.2); the release that added it is not pinned down, so only `latest` has it.
   */
  readonly pageFragRefillNoDirectReclaim: boolean;
  /**
   * arm64 ARCH_KMALLOC_MINALIGN: ARCH_DMA_MINALIGN (128) until Catalin Marinas's "arm64: Allow kmalloc()
   * caches aligned to the smaller cache_line_size()" series (v6.5), 8 after it. It decides the smallest
   * kmalloc cache and whether kmalloc-96/-192 exist.
   */
  readonly kmallocMinAlign: number;
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

const DMA_V4_19: DmaEraFeatures = {
  mtkFlush: "gather-ops",
  rejectZoneGfp: false,
  sgMerge: false,
  mtk4gbPaddr: "mask32",
  iovaRetryFromTop: false,
  iovaMax32FailFast: false,
  iovaDepotLimit: 32,
  iovaFlushDepotOnRetry: false,
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
};

const ERAS: Readonly<Record<EraName, Era>> = {
  "v4.14": {
    name: "v4.14",
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
    mm: { slubCpuPartialForm: "objects", pageFragBias: "size", pageFragRefillNoDirectReclaim: false, kmallocMinAlign: 128, bootFreeToTail: false, zoneinfoLines: { boost: false, promo: false, cma: false } },
    dma: DMA_V4_19,
  },
  "v4.19": {
    name: "v4.19",
    description: "Linux 4.19: ZONE_DMA renamed ZONE_DMA32 on arm64 (since 4.15), GFP_DMA falls to ZONE_NORMAL: the MT8173 regression",
    pgtable: "v4.19",
    zones: "dma32-only",
    buddyOrders: 11,
    pcpMaxOrder: 0,
    pageFragDirection: "down",
    tracepointFormat: "old",
    mt8173ApertureEnd: 0xffff_ffff,
    mapPagesBatched: false,
    iovaRcacheMagazineSize: 128,
    mm: { slubCpuPartialForm: "objects", pageFragBias: "size", pageFragRefillNoDirectReclaim: false, kmallocMinAlign: 128, bootFreeToTail: false, zoneinfoLines: { boost: false, promo: false, cma: false } },
    dma: DMA_V4_19,
  },
  "v5.10": {
    name: "v5.10",
    description: "Linux 5.10: ZONE_DMA (30-bit) plus ZONE_DMA32; v7s tables use GFP_DMA32 / SLAB_CACHE_DMA32",
    pgtable: "v6.6",
    zones: "dma30-dma32",
    buddyOrders: 11,
    pcpMaxOrder: 0,
    pageFragDirection: "down",
    tracepointFormat: "old",
    mt8173ApertureEnd: 0xff7f_ffff,
    mapPagesBatched: false,
    iovaRcacheMagazineSize: 128,
    mm: { slubCpuPartialForm: "objects", pageFragBias: "max+1", pageFragRefillNoDirectReclaim: false, kmallocMinAlign: 128, bootFreeToTail: true, zoneinfoLines: { boost: true, promo: false, cma: false } },
    dma: {
      mtkFlush: "sync-map",
      rejectZoneGfp: false,
      sgMerge: true,
      mtk4gbPaddr: "or-bit32",
      iovaRetryFromTop: false,
      iovaMax32FailFast: true,
      iovaDepotLimit: 32,
      iovaFlushDepotOnRetry: false,
    },
  },
  "v6.6": {
    name: "v6.6",
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
    mm: { slubCpuPartialForm: "slabs", pageFragBias: "max+1", pageFragRefillNoDirectReclaim: false, kmallocMinAlign: 8, bootFreeToTail: true, zoneinfoLines: { boost: true, promo: true, cma: true } },
    dma: DMA_V6_6,
  },
  latest: {
    name: "latest",
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
    mm: { slubCpuPartialForm: "slabs", pageFragBias: "max+1", pageFragRefillNoDirectReclaim: true, kmallocMinAlign: 8, bootFreeToTail: true, zoneinfoLines: { boost: true, promo: true, cma: true } },
    dma: { ...DMA_V6_6, iovaDepotLimit: null },
  },
};

export const ERA_NAMES = Object.keys(ERAS) as EraName[];

export function isEraName(name: string): name is EraName {
  return Object.hasOwn(ERAS, name);
}

/** Throws RangeError naming the known eras when `name` is not one. */
export function era(name: string): Era {
  if (!isEraName(name)) throw new RangeError(`unknown kernel era "${name}" (known: ${ERA_NAMES.join(", ")})`);
  return ERAS[name];
}
