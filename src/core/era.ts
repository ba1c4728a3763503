// SPDX-License-Identifier: GPL-2.0-only
/**
 * Kernel eras: one readonly profile per era selects every era-specific behaviour, so no code compares
 * version strings. Golden vectors exist for the engine families `v4.19`, `v6.6` and `latest`.
 */

/** Which io-pgtable-arm-v7s.c text the engine follows. */
export type PgtableFamily =
  /** v4.19 (nojick/test419 115e53ca): .map/.unmap one page per call, iommu_gather_ops, TLBI_ON_MAP/ARM_MTK_4GB/NO_DMA, fixed 4096-entry L1, TCR 0x20, split on partial unmap. */
  | "v4.19"
  /** v6.6.36: map_pages/unmap_pages, flush_ops, coherent_walk, MTK_EXT/TTBR_EXT, split on partial unmap, prot without R/W returns 0. */
  | "v6.6"
  /** v6.13+ (fd50651636fb removed split): a partial unmap of a large entry is refused and returns 0; prot without R/W is -EINVAL. */
  | "latest";

/**
 * arm64 zone layout (arch/arm64/mm/init.c):
 * - `dma-4g`: <= v4.14, ZONE_DMA below 4 GiB;
 * - `dma32-only`: v4.15-v5.4 (ad67f5a6545f "arm64: replace ZONE_DMA with ZONE_DMA32"), no ZONE_DMA, so GFP_DMA falls to ZONE_NORMAL;
 * - `dma30-dma32`: v5.5-v5.10, ZONE_DMA 30-bit plus ZONE_DMA32;
 * - `dma-from-ranges`: v5.11+, ZONE_DMA sized from the dma-ranges limit (zone_dma_bits), ZONE_DMA32 above it up to 4 GiB.
 */
export type ZoneLayout = "dma-4g" | "dma32-only" | "dma30-dma32" | "dma-from-ranges";

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
  /** IOVA sizes < 32 pages are rounded to a power of two in iommu_dma_alloc_iova (older) or alloc_iova_fast (v6.1+); same result. */
  readonly iovaRcacheMagazineSize: number;
}

export type EraName = "v4.14" | "v4.19" | "v5.10" | "v6.6" | "latest";

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
    iovaRcacheMagazineSize: 127,
  },
  "v6.6": {
    name: "v6.6",
    description: "Linux 6.6: map_pages/unmap_pages, blocks split on partial unmap, ZONE_DMA from dma-ranges",
    pgtable: "v6.6",
    zones: "dma-from-ranges",
    buddyOrders: 11,
    pcpMaxOrder: 3,
    pageFragDirection: "down",
    tracepointFormat: "range",
    mt8173ApertureEnd: 0xff7f_ffff,
    mapPagesBatched: true,
    iovaRcacheMagazineSize: 127,
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
