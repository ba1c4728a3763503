// SPDX-License-Identifier: GPL-2.0-only
/**
 * `genalloc-prealloc`: option 2 of Nicolas Boichat's 2018-12-04 summary (quoted in <b99dd00f-…@suse.cz>
 * and <20181205144130.GA16121@arm.com>), never posted as a patch: reserve every L2 table a 4 GiB IOVA space
 * can need, 4096 × 1 KiB = 4 MiB of DMA32 memory, in a gen_pool when the domain is created. The map path
 * then allocates nothing (gen_pool_alloc takes no gfp), so it cannot fail in atomic context while the
 * reserve lasts; the price is 4 MiB held from creation whether or not a table is ever used, and no
 * shrinking (genalloc cannot remove a chunk).
 * The reserve is taken as max-order blocks (GFP_KERNEL|GFP_DMA32: domain creation may sleep); if the
 * buddy cannot supply them all, the shortfall is logged and the pool works with what it got.
 */
import { PAGE_SIZE } from "../core/bits.ts";
import { bytes } from "../core/format.ts";
import { GFP_DMA32, GFP_KERNEL, type Gfp } from "../mm/gfp.ts";
import type { StrategyContext } from "./base.ts";
import { GenallocL2TableMemory } from "./genalloc-l2.ts";

/** 4096 L2 tables: the whole 4 GiB IOVA space. */
export const PREALLOC_BYTES = 4 * 1024 * 1024;

export class GenallocPreallocTableMemory extends GenallocL2TableMemory {
  readonly name = "genalloc-prealloc";

  constructor(ctx: StrategyContext) {
    super(ctx, GFP_DMA32);
    const order = ctx.era.buddyOrders - 1;
    const blockBytes = PAGE_SIZE * 2 ** order;
    let got = 0;
    while (got < PREALLOC_BYTES && this.addBlock((GFP_KERNEL | GFP_DMA32) as Gfp, order)) got += blockBytes;
    if (got < PREALLOC_BYTES) {
      this.messages.push(`${this.name}: reserved ${bytes(got)} of ${bytes(PREALLOC_BYTES)} for L2 tables (no free order-${order} DMA32 block)`);
    }
  }

  protected l2Alloc(_gfp: Gfp): number | null {
    return this.poolAlloc();
  }
}
