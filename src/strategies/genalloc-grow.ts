// SPDX-License-Identifier: GPL-2.0-only
/**
 * `genalloc-grow`: option 2 of Nicolas Boichat's 2018-12-04 summary with the "changes in the core (use
 * GFP_ATOMIC)" it said on-demand growth would need; never posted. The pool starts empty; when
 * gen_pool_alloc fails, one 64 KiB chunk (order 4: 64 tables, 64 MiB of IOVA) is taken from the buddy with
 * the map caller's gfp | GFP_DMA32 (GFP_ATOMIC from iommu-dma) and added, then the allocation is retried.
 * Chunks are never given back (genalloc has no chunk removal), so the pool only grows.
 *
 * Chunk size: 64 KiB trades order-4 fragility under GFP_ATOMIC against growth events and metadata; one
 * order-2 slab's worth (16 KiB) would grow four times as often.
 * The chunk's header and bitmap: gen_pool_add uses vzalloc, which may sleep and so cannot run on an
 * atomic map path; the model assumes the core change that would allow it (an atomic kzalloc of
 * struct gen_pool_chunk plus an 8-byte bitmap) and treats that allocation as always succeeding and as
 * not charged to any zone (see GenPool.metadataBytes()).
 */
import { GFP_DMA32, type Gfp } from "../mm/gfp.ts";
import type { StrategyContext } from "./base.ts";
import { GenallocL2TableMemory } from "./genalloc-l2.ts";

export const GROW_CHUNK_ORDER = 4;

export class GenallocGrowTableMemory extends GenallocL2TableMemory {
  readonly name = "genalloc-grow";

  constructor(ctx: StrategyContext) {
    super(ctx, GFP_DMA32);
  }

  protected l2Alloc(gfp: Gfp): number | null {
    const pa = this.poolAlloc();
    if (pa !== null) return pa;
    if (!this.addBlock((gfp | GFP_DMA32) as Gfp, GROW_CHUNK_ORDER)) return null;
    return this.poolAlloc();
  }
}
