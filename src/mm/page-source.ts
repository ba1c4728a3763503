// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the sub-page allocators (SLUB, genalloc, page_frag, kmalloc) and the table-memory strategies need
 * from the buddy allocator. The buddy allocator implements it; tests may use a simpler one.
 */
import type { PhysMemory } from "../phys/memory.ts";
import type { Gfp } from "./gfp.ts";

export type ZoneName = "DMA" | "DMA32" | "NORMAL";

export interface PageSource {
  readonly phys: PhysMemory;
  /**
   * alloc_pages: a naturally aligned block of 2^order pages, as a physical address, or null when every
   * zone the gfp's zonelist allows is below its watermark or has no block. Zeroed iff __GFP_ZERO.
   * `owner` names the caller for accounting ("slab:io-pgtable_armv7s_l2", "page_frag", "background").
   */
  allocPages(gfp: Gfp, order: number, owner: string): number | null;
  /** __free_pages of a block allocated with the same order. Throws RangeError naming the address on misuse. */
  freePages(pa: number, order: number): void;
  /** The zone a physical address belongs to, or null outside managed RAM. */
  zoneOf(pa: number): ZoneName | null;
  /** Who holds the page at `pa` (its owner tag), or null when it is free: for "whose memory did stray DMA hit". */
  ownerOf(pa: number): string | null;
}

/** Bytes a caller holds from the page allocator versus bytes its own callers use, per zone. */
export interface Usage {
  readonly heldBytes: number;
  readonly inUseBytes: number;
  readonly heldByZone: Readonly<Partial<Record<ZoneName, number>>>;
}
