// SPDX-License-Identifier: GPL-2.0-only
/**
 * `legacy-gfp-dma`: the io-pgtable-arm-v7s.c text up to v5.0, as in 4.19.0 (nojick/test419 115e53ca). L1 from
 * __get_dma_pages(__GFP_ZERO, 2), i.e. GFP_DMA|__GFP_ZERO and no reclaim bits; L2 from
 * kmem_cache_create("io-pgtable_armv7s_l2", 1024, 1024, SLAB_CACHE_DMA) with kmem_cache_zalloc(gfp |
 * GFP_DMA), gfp being GFP_ATOMIC from __arm_v7s_map.
 * On arm64 from ad67f5a6545f "arm64: replace ZONE_DMA with ZONE_DMA32" (v4.16: posted 2018-01-10, after
 * 4.15-rc7; vanilla 4.15.0 still has ZONE_DMA, sndrzt/linux-4.15 6ea06264:arch/arm64/Kconfig) there is no ZONE_DMA, so
 * GFP_DMA resolves to ZONE_NORMAL and tables land above 4 GiB whenever ZONE_NORMAL has pages: the
 * MT8173 regression. That resolution is the buddy allocator's; this strategy only asks for GFP_DMA.
 */
import { GFP_DMA } from "../mm/gfp.ts";
import { SLAB_CACHE_DMA } from "../mm/slub.ts";
import type { StrategyContext } from "./base.ts";
import { SlabL2TableMemory } from "./slab-l2.ts";

export class LegacyGfpDmaTableMemory extends SlabL2TableMemory {
  readonly name = "legacy-gfp-dma";

  constructor(ctx: StrategyContext) {
    super(ctx, { cacheName: "io-pgtable_armv7s_l2", cacheAlign: 1024, cacheFlags: SLAB_CACHE_DMA, l1Gfp: GFP_DMA, l2ExtraGfp: GFP_DMA });
  }
}
