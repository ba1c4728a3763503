// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the sub-page allocators (SLUB, genalloc, page_frag, kmalloc) and the table-memory strategies need
 * from the buddy allocator. The buddy allocator implements it; tests may use a simpler one.
 */
import type { PhysMemory } from "../phys/memory.ts";
import type { ZoneName } from "../phys/zones.ts";
import type { Gfp } from "./gfp.ts";

export type { ZoneName };

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

/**
 * A running per-zone byte tally. A zone appears in `toRecord()` from its first non-zero change, in that
 * order, and is left out while its sum is 0; addresses outside managed RAM (zone null) are not counted.
 */
export class ZoneBytes {
  private readonly byZone: Partial<Record<ZoneName, number>> = {};

  add(zone: ZoneName | null, bytes: number): void {
    if (zone !== null && bytes !== 0) this.byZone[zone] = (this.byZone[zone] ?? 0) + bytes;
  }

  /** Adds every zone of another tally (a `Usage.heldByZone`). */
  addAll(record: Readonly<Partial<Record<ZoneName, number>>>): void {
    for (const [z, b] of Object.entries(record) as [ZoneName, number][]) this.add(z, b);
  }

  toRecord(): Partial<Record<ZoneName, number>> {
    const out: Partial<Record<ZoneName, number>> = {};
    for (const [z, b] of Object.entries(this.byZone) as [ZoneName, number][]) if (b !== 0) out[z] = b;
    return out;
  }
}
