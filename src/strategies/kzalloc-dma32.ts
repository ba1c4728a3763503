// SPDX-License-Identifier: GPL-2.0-only
/**
 * `kzalloc-dma32`: Robin Murphy's alternative in the v2 thread (<c5ccde1e-…@arm.com>): drop the private
 * cache and kzalloc(SZ_1K, gfp | GFP_DMA32), as if a DMA32 kmalloc-1k cache existed. None does in any
 * kernel (6d6ea1e967a2 added no DMA32 kmalloc array), so the strategy runs the kmalloc model with its one
 * hypothetical switched on (`dma32Caches`: dma32-kmalloc-N caches with SLAB_CACHE_DMA32, kmalloc-1k's
 * geometry). Without that switch the same call is "Unexpected gfp" and lands anywhere (mm/kmalloc.ts).
 * In a kernel the cache would be shared with every other GFP_DMA32 kmalloc user, so its slabs' fill level
 * would not be the v7s tables' alone; the model's kmalloc is private to the strategy and simulates no
 * other users.
 */
import { GFP_DMA32, type Gfp } from "../mm/gfp.ts";
import { Kmalloc } from "../mm/kmalloc.ts";
import type { Usage } from "../mm/page-source.ts";
import type { SlabCache, SlabinfoRow } from "../mm/slub.ts";
import { L2_TABLE_BYTES, type StrategyContext, TableMemoryBase } from "./base.ts";

export class KzallocDma32TableMemory extends TableMemoryBase {
  readonly name = "kzalloc-dma32";
  readonly kmalloc: Kmalloc;
  /** dma32-kmalloc-1k: the cache every L2 table comes from. */
  readonly cache: SlabCache;

  constructor(ctx: StrategyContext) {
    super(ctx, GFP_DMA32);
    this.kmalloc = new Kmalloc({ pages: ctx.buddy, cpus: ctx.cpus, era: ctx.era, dma32Caches: true });
    this.cache = this.kmalloc.cacheFor(L2_TABLE_BYTES, GFP_DMA32) as SlabCache;
  }

  /** kmem_cache_shrink on the L2 cache; the number of slabs given back. */
  shrink(): number {
    return this.cache.shrink();
  }

  slabinfo(): SlabinfoRow {
    return this.cache.slabinfoRow();
  }

  protected l2Alloc(gfp: Gfp): number | null {
    return this.kmalloc.kzalloc(L2_TABLE_BYTES, (gfp | GFP_DMA32) as Gfp);
  }

  protected l2Free(pa: number): void {
    this.kmalloc.kfree(pa);
  }

  protected l2Usage(): Usage {
    return this.kmalloc.usage();
  }

  protected l2Messages(): string[] {
    return this.kmalloc.drainMessages();
  }

  protected l2Destroy(): void {
    this.kmalloc.destroy();
  }
}
