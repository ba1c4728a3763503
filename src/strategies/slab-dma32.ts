// SPDX-License-Identifier: GPL-2.0-only
/**
 * `slab-dma32`: the merged fix. 6d6ea1e967a2 "mm: add support for kmem caches in DMA32 zone" (SLAB_CACHE_DMA32
 * → allocflags |= GFP_DMA32) plus "iommu/io-pgtable-arm-v7s: request DMA32 memory, and improve debugging"
 * (v6 2/3, <20181210011504.122604-3-drinkcat@chromium.org>). L1 from __get_free_pages(__GFP_ZERO |
 * ARM_V7S_TABLE_GFP_DMA = GFP_DMA32); L2 from a SLAB_CACHE_DMA32 cache with kmem_cache_zalloc(cache, gfp):
 * no zone bit in the call, because GFP_DMA32 there is in GFP_SLAB_BUG_MASK ("Unexpected gfp").
 */
import { GFP_DMA32, NO_GFP } from "../mm/gfp.ts";
import { SLAB_CACHE_DMA32 } from "../mm/slub.ts";
import type { StrategyContext } from "./base.ts";
import { SlabL2TableMemory } from "./slab-l2.ts";

export class SlabDma32TableMemory extends SlabL2TableMemory {
  readonly name = "slab-dma32";

  constructor(ctx: StrategyContext) {
    super(ctx, { cacheName: "io-pgtable_armv7s_l2", cacheAlign: 1024, cacheFlags: SLAB_CACHE_DMA32, l1Gfp: GFP_DMA32, l2ExtraGfp: NO_GFP });
  }
}
