// SPDX-License-Identifier: GPL-2.0-only
/**
 * `page-frag`: the v3 RFC "[PATCH v3, RFC] iommu/io-pgtable-arm-v7s: Use page_frag to request DMA32 memory"
 * (<20181204082300.95106-1-drinkcat@chromium.org>), Acked by Will Deacon, not merged. L2 tables from an
 * embedded page_frag_cache: page_frag_alloc(1024, gfp | __GFP_ZERO | GFP_DMA32), freed with
 * page_frag_free; L1 from __get_free_pages(__GFP_ZERO | GFP_DMA32).
 *
 * As in the patch, free_pgtable does not drain the cache: the bias references on the current page are
 * never dropped, so after destroy() that page stays allocated (usage() keeps reporting it). The cache
 * tries a 32 KiB (order-3) page first, so 32 tables share a page, not the 4 the commit text assumed
 * (docs/kernel-facts.md#q4). A recycled page is not re-zeroed despite __GFP_ZERO, so an L2 table can come back
 * holding the PTEs of the table that used that slot before (see mm/page-frag.ts).
 */
import { __GFP_ZERO, GFP_DMA32, type Gfp } from "../mm/gfp.ts";
import { PageFragCache } from "../mm/page-frag.ts";
import type { Usage } from "../mm/page-source.ts";
import { L2_TABLE_BYTES, PGTABLE_OWNER, type StrategyContext, TableMemoryBase } from "./base.ts";

export class PageFragTableMemory extends TableMemoryBase {
  readonly name = "page-frag";
  readonly frags: PageFragCache;

  constructor(ctx: StrategyContext) {
    super(ctx, GFP_DMA32);
    this.frags = new PageFragCache(ctx.buddy, ctx.era, `page_frag:${PGTABLE_OWNER}`);
  }

  protected l2Alloc(gfp: Gfp): number | null {
    return this.frags.alloc(L2_TABLE_BYTES, (gfp | __GFP_ZERO | GFP_DMA32) as Gfp);
  }

  protected l2Free(pa: number): void {
    this.frags.free(pa);
  }

  protected l2Usage(): Usage {
    return this.frags.usage();
  }

  protected l2Messages(): string[] {
    return [];
  }

  /** Nothing: the patch neither drains the cache nor checks for live fragments. */
  protected l2Destroy(): void {}
}
