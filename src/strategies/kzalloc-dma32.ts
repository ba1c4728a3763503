// SPDX-License-Identifier: GPL-2.0-only
/**
 * `kzalloc-dma32`: Robin Murphy's alternative in the v2 thread (<c5ccde1e-…@arm.com>): drop the private
 * cache and kzalloc(SZ_1K, gfp | GFP_DMA32), as if a DMA32 kmalloc-1k cache existed. None does in any
 * kernel (6d6ea1e967a2 added no DMA32 kmalloc array), so this is modelled as a private cache with
 * kmalloc-1k's geometry (alignment ARCH_KMALLOC_MINALIGN, 1 KiB objects, so the same slab order and, without
 * slab debugging, the same 1 KiB object alignment) and SLAB_CACHE_DMA32 semantics. In a kernel it would
 * be shared with every other GFP_DMA32 kmalloc user, so its slabs' fill level would not be the v7s
 * tables' alone; the model does not simulate those other users.
 */
import { GFP_DMA32, NO_GFP } from "../mm/gfp.ts";
import { SLAB_CACHE_DMA32 } from "../mm/slub.ts";
import type { StrategyContext } from "./base.ts";
import { SLAB_CAPABILITIES, SlabL2TableMemory } from "./slab-l2.ts";

export class KzallocDma32TableMemory extends SlabL2TableMemory {
  readonly name = "kzalloc-dma32";
  readonly capabilities = SLAB_CAPABILITIES;

  constructor(ctx: StrategyContext) {
    super(ctx, {
      cacheName: "dma32-kmalloc-1k",
      cacheAlign: ctx.era.mm.kmallocMinAlign,
      cacheFlags: SLAB_CACHE_DMA32,
      l1Gfp: GFP_DMA32,
      // The hypothetical DMA32 kmalloc array would take GFP_DMA32 as its selector, not as a page zone bit.
      l2ExtraGfp: NO_GFP,
    });
  }
}
