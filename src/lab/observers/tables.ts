// SPDX-License-Identifier: GPL-2.0-only
/**
 * Table memory as the observing wrapper saw it: where every table landed, failed allocations, dirty
 * tables, the peaks of bytes held and in use, and what /proc/slabinfo would show.
 */
import type { StrategyResult } from "../types.ts";
import type { System } from "../system.ts";
import type { Observer } from "./observer.ts";

/** The result's table-memory figures (allocFailures before the fit-check refusals are added), and notes. */
export type TablesOut = Pick<
  StrategyResult,
  | "allocFailures"
  | "l2TablesAllocated"
  | "l2TablesFreed"
  | "tablesAbove4GiB"
  | "peakHeldBytes"
  | "finalHeldBytes"
  | "peakInUseBytes"
  | "finalInUseBytes"
  | "peakDma32Bytes"
  | "dirtyTables"
  | "tables"
  | "freedTables"
  | "kernelCounters"
> & { readonly notes: readonly string[] };

export class TablesObserver implements Observer<TablesOut> {
  private readonly sys: System;

  constructor(sys: System) {
    this.sys = sys;
  }

  finish(): TablesOut {
    const mem = this.sys.mem;
    const u = mem.usage();
    mem.notePeaks();
    return {
      allocFailures: mem.allocFailures,
      l2TablesAllocated: mem.l2Allocated,
      l2TablesFreed: mem.l2Freed,
      tablesAbove4GiB: mem.tablesAbove4GiB,
      peakHeldBytes: mem.peakHeldBytes,
      finalHeldBytes: u.heldBytes,
      peakInUseBytes: mem.peakInUseBytes,
      finalInUseBytes: u.inUseBytes,
      peakDma32Bytes: mem.peakLowBytes,
      dirtyTables: mem.dirtyTables,
      tables: mem.tables().map((t) => ({ ...t })),
      freedTables: mem.freedTables(),
      // v7s allocates with __get_free_pages and kmem_cache, never iommu-pages: SecPageTables and
      // nr_iommu_pages show none of its memory, whatever the strategy; only slabinfo does.
      kernelCounters: { slabinfo: mem.slabinfoRow(), secPageTablesBytes: 0, nrIommuPages: 0 },
      notes: mem.firstDirty.map((m) => `model: ${m} (stale PTEs of a freed table; the allocator did not zero it)`),
    };
  }
}
