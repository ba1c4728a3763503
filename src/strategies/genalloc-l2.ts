// SPDX-License-Identifier: GPL-2.0-only
/**
 * L2 tables from a gen_pool of 1 KiB granules (min_alloc_order 10) over DMA32 blocks the strategy adds
 * itself: gen_pool_alloc(1024) then a memset to zero (gen_pool_dma_zalloc's shape). The pool never
 * shrinks; its blocks go back to the buddy only at destroy (gen_pool_destroy, then free_pages).
 */
import { PAGE_SIZE } from "../core/bits.ts";
import { hex } from "../core/format.ts";
import { GenPool } from "../mm/genalloc.ts";
import type { Gfp } from "../mm/gfp.ts";
import { type Usage, ZoneBytes, type ZoneName } from "../mm/page-source.ts";
import { L2_TABLE_BYTES, PGTABLE_OWNER, type StrategyContext, TableMemoryBase } from "./base.ts";

export const GENALLOC_OWNER = `genalloc:${PGTABLE_OWNER}`;

export abstract class GenallocL2TableMemory extends TableMemoryBase {
  readonly pool: GenPool;
  private readonly blocks: { readonly pa: number; readonly order: number; readonly zone: ZoneName | null }[] = [];
  private live = 0;

  constructor(ctx: StrategyContext, l1Gfp: Gfp) {
    super(ctx, l1Gfp);
    this.pool = new GenPool(10, "io-pgtable-arm-v7s-l2", ctx.era.mm.genallocChunk.headerBytes);
  }

  /** Adds a block of 2^order pages from the buddy to the pool; false when the buddy has none. */
  protected addBlock(gfp: Gfp, order: number): boolean {
    const pa = this.pages.allocPages(gfp, order, GENALLOC_OWNER);
    if (pa === null) return false;
    this.blocks.push({ pa, order, zone: this.pages.zoneOf(pa) });
    this.pool.add(pa, PAGE_SIZE * 2 ** order);
    return true;
  }

  protected poolAlloc(): number | null {
    const pa = this.pool.alloc(L2_TABLE_BYTES);
    if (pa === null) return null;
    this.phys.zero(pa, L2_TABLE_BYTES);
    this.live++;
    return pa;
  }

  protected l2Free(pa: number): void {
    if (!this.pool.contains(pa)) throw new RangeError(`${this.name}: freeL2(${hex(pa)}) is not in the table pool`);
    this.pool.free(pa, L2_TABLE_BYTES);
    this.live--;
  }

  protected l2Usage(): Usage {
    const heldByZone = new ZoneBytes();
    let held = 0;
    for (const b of this.blocks) {
      const bytes = PAGE_SIZE * 2 ** b.order;
      held += bytes;
      heldByZone.add(b.zone, bytes);
    }
    return { heldBytes: held, inUseBytes: this.live * L2_TABLE_BYTES, heldByZone: heldByZone.toRecord() };
  }

  protected l2Messages(): string[] {
    return [];
  }

  protected l2Destroy(): void {
    this.pool.destroy();
    for (const b of this.blocks) this.pages.freePages(b.pa, b.order);
    this.blocks.length = 0;
  }
}
