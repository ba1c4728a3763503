// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where v7s tables live. The engine asks a TableMemory for a 16 KiB (or 64 KiB) L1 and for 1 KiB L2 tables
 * and gets a physical address or null (the kernel's -ENOMEM). The fit check ("Page table does not fit in
 * PTE") is the engine's, not the strategy's: a strategy may hand out a table above 4 GiB, as the kernel's
 * allocators did on arm64 from v4.16.
 */
import type { Gfp } from "../mm/gfp.ts";
import type { Usage } from "../mm/page-source.ts";
import type { SlabinfoRow } from "../mm/slub.ts";
import type { PhysMemory } from "../phys/memory.ts";

/** What a strategy can do, declared once in its registry entry (strategies/index.ts), so no caller needs its name. */
export interface TableMemoryCapabilities {
  /** Can give memory back to the page allocator while the domain lives (kmem_cache_shrink, page frees). */
  readonly canShrink: boolean;
  /** Can obtain new memory from the map path, which may run in atomic context (GFP_ATOMIC). */
  readonly allocatesInAtomicContext: boolean;
  /** Reserves memory when the domain is created, before any table is needed. */
  readonly preallocates: boolean;
  /**
   * Hands out tables anywhere below 2^35, which only an M4U with the table-address extension can follow
   * (IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT, hardware flag PGTABLE_PA_35_EN): the session enables the quirk,
   * and its tables above 4 GiB are then addressable.
   */
  readonly needsTtbrExt: boolean;
}

export interface TableMemory {
  /** Strategy name, e.g. "slab-dma32"; "arena" for the vector harness's allocator. */
  readonly name: string;
  readonly phys: PhysMemory;
  /** The L1 table: `bytes` (16 KiB or 64 KiB), naturally aligned, zeroed. Null on failure. */
  allocL1(bytes: number): number | null;
  freeL1(pa: number, bytes: number): void;
  /**
   * One 1 KiB, 1 KiB-aligned L2 table. `gfp` is the map caller's (GFP_ATOMIC from iommu-dma; hard-coded
   * GFP_ATOMIC in 4.19); the strategy adds its own zone policy. Zeroed unless the strategy's kernel
   * counterpart would not zero it. Null on failure.
   */
  allocL2(gfp: Gfp): number | null;
  freeL2(pa: number): void;
  /** Bytes held from the page allocator versus bytes of live tables, at this moment. */
  usage(): Usage;
  /** Kernel messages the allocator would have logged since the last call (e.g. SLUB's allocation-failure warning). */
  drainMessages?(): string[];
  /** The /proc/slabinfo line of the strategy's slab cache, for strategies that use one. */
  slabinfo?(): SlabinfoRow;
  /** Tears the allocator down at domain free (kmem_cache_destroy, gen_pool_destroy). */
  destroy(): void;
}
