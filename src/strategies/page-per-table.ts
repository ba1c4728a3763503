// SPDX-License-Identifier: GPL-2.0-only
/**
 * `page-per-table`: every 1 KiB L2 table in its own zeroed 4 KiB DMA32 page, as the iommu-pages allocator
 * (iommu_alloc_pages_node_sz rounds any size up with get_order: "sub page allocations result in a full
 * page") would give Jason Gunthorpe's out-of-tree generic_pt armv7s format, whose set_prot ORs GFP_DMA32
 * into the table gfp (docs/kernel-facts.md#later-history and #q10). Three quarters of every page is waste, but a
 * freed table gives its page straight back.
 */
import { PAGE_SIZE } from "../core/bits.ts";
import { hex } from "../core/format.ts";
import { __GFP_ZERO, GFP_DMA32, type Gfp } from "../mm/gfp.ts";
import { type Usage, ZoneBytes, type ZoneName } from "../mm/page-source.ts";
import { L2_TABLE_BYTES, PGTABLE_OWNER, type StrategyContext, TableMemoryBase } from "./base.ts";

export class PagePerTableTableMemory extends TableMemoryBase {
  readonly name = "page-per-table";
  private readonly live = new Map<number, ZoneName | null>();
  private readonly zoneBytes = new ZoneBytes();

  constructor(ctx: StrategyContext) {
    super(ctx, GFP_DMA32);
  }

  protected l2Alloc(gfp: Gfp): number | null {
    const pa = this.pages.allocPages((gfp | GFP_DMA32 | __GFP_ZERO) as Gfp, 0, `${PGTABLE_OWNER}:l2`);
    if (pa === null) return null;
    const z = this.pages.zoneOf(pa);
    this.live.set(pa, z);
    this.zoneBytes.add(z, PAGE_SIZE);
    return pa;
  }

  protected l2Free(pa: number): void {
    if (!this.live.has(pa)) throw new RangeError(`${this.name}: freeL2(${hex(pa)}) is not a live L2 table`);
    const z = this.live.get(pa) ?? null;
    this.live.delete(pa);
    this.zoneBytes.add(z, -PAGE_SIZE);
    this.pages.freePages(pa, 0);
  }

  protected l2Usage(): Usage {
    return { heldBytes: this.live.size * PAGE_SIZE, inUseBytes: this.live.size * L2_TABLE_BYTES, heldByZone: this.zoneBytes.toRecord() };
  }

  protected l2Messages(): string[] {
    return [];
  }

  protected l2Destroy(): void {
    const [pa] = this.live.keys();
    if (pa !== undefined) throw new RangeError(`${this.name}: destroy with the L2 table at ${hex(pa)} still allocated`);
  }
}
