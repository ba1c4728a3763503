// SPDX-License-Identifier: GPL-2.0-only
/**
 * iommu-dma, iommu core and mtk_iommu behaviours that changed between the modelled kernels and that the
 * shared `Era` profile does not (yet) carry. One row per era, so no code compares version strings.
 * Entries marked [unverified] follow recalled commit history, not re-read code.
 */
import type { EraName } from "../core/era.ts";

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

const OLD: DmaEraFeatures = {
  mtkFlush: "gather-ops",
  rejectZoneGfp: false,
  sgMerge: false,
  mtk4gbPaddr: "mask32",
  iovaRetryFromTop: false,
  iovaMax32FailFast: false,
  iovaDepotLimit: 32,
  iovaFlushDepotOnRetry: false,
};

const FEATURES: Readonly<Record<EraName, DmaEraFeatures>> = {
  "v4.14": OLD,
  "v4.19": OLD,
  "v5.10": {
    mtkFlush: "sync-map",
    rejectZoneGfp: false,
    sgMerge: true,
    mtk4gbPaddr: "or-bit32",
    iovaRetryFromTop: false,
    iovaMax32FailFast: true,
    iovaDepotLimit: 32,
    iovaFlushDepotOnRetry: false,
  },
  "v6.6": {
    mtkFlush: "sync-map",
    rejectZoneGfp: true,
    sgMerge: true,
    mtk4gbPaddr: "or-bit32",
    iovaRetryFromTop: true,
    iovaMax32FailFast: true,
    iovaDepotLimit: 32,
    iovaFlushDepotOnRetry: true,
  },
  latest: {
    mtkFlush: "sync-map",
    rejectZoneGfp: true,
    sgMerge: true,
    mtk4gbPaddr: "or-bit32",
    iovaRetryFromTop: true,
    iovaMax32FailFast: true,
    iovaDepotLimit: null,
    iovaFlushDepotOnRetry: true,
  },
};

export function dmaEraFeatures(name: EraName): DmaEraFeatures {
  return FEATURES[name];
}
