// SPDX-License-Identifier: GPL-2.0-only
/**
 * The data a run produces, which the report layer turns into tables, JSON and HTML. Plain data only
 * (numbers, strings, arrays), so it serialises as is and crosses worker threads.
 */
import type { SlabinfoRow } from "../mm/slub.ts";

export interface Capabilities {
  readonly canShrink: boolean;
  readonly allocatesInAtomicContext: boolean;
  readonly preallocates: boolean;
  /** Its tables may lie above 4 GiB because the IOMMU follows 35-bit table pointers (MTK_TTBR_EXT). */
  readonly tablesAbove4GiBAddressable: boolean;
}

/** One sample of the counters, taken after an event of the workload. */
export interface Sample {
  /** Index of the workload event (map/unmap call) after which the sample was taken. */
  readonly event: number;
  readonly heldBytes: number;
  readonly inUseBytes: number;
  readonly liveL2Tables: number;
}

/** Where one table landed. */
export interface TablePlacement {
  readonly pa: number;
  readonly bytes: number;
  readonly level: 1 | 2;
  /** "DMA", "DMA32", "NORMAL", or "" outside managed RAM. */
  readonly zone: string;
  /** Still live at the end of the run. */
  readonly live: boolean;
}

/** Freed tables of one 1 MiB-aligned (or `binBytes`-aligned) physical range and zone. */
export interface FreedTableBin {
  /** First byte of the bin (inclusive). */
  readonly start: number;
  /** End of the bin (exclusive): start + binBytes. */
  readonly end: number;
  readonly zone: string;
  /** Tables freed in the bin (each counted by its first byte) and their bytes. */
  readonly count: number;
  readonly bytes: number;
}

/** A fixed-size summary of every table the run freed (report schema 2: `tables` keeps only live ones). */
export interface FreedTablesSummary {
  readonly count: number;
  readonly bytes: number;
  /** Freed tables that lay at or above 4 GiB. */
  readonly above4GiB: number;
  /** Width of every bin: 1 MiB, doubled while more than 512 bins would result. */
  readonly binBytes: number;
  /** Non-empty bins in address order (then zone). */
  readonly bins: readonly FreedTableBin[];
  /** The freed L1 tables themselves (`live: false`), in the order they were freed: a refused domain's L1. */
  readonly l1: readonly TablePlacement[];
}

export interface KernelCounters {
  /** What /proc/slabinfo would show for the v7s L2 cache, or null when the strategy uses no slab cache. */
  readonly slabinfo: SlabinfoRow | null;
  /** SecPageTables / nr_secondary_pagetable and nr_iommu_pages: iommu-pages accounting, which v7s tables never go through. */
  readonly secPageTablesBytes: number;
  readonly nrIommuPages: number;
}

export interface StrategyResult {
  readonly strategy: string;
  readonly description: string;
  readonly capabilities: Capabilities;
  /** False when the L1 table itself could not be allocated (or did not fit). */
  readonly domainCreated: boolean;
  readonly mapCalls: number;
  readonly mapFailures: number;
  readonly unmapCalls: number;
  /** Table allocations that returned NULL or did not fit in the PTE. */
  readonly allocFailures: number;
  /** Live L2 tables at the end. */
  readonly l2Tables: number;
  readonly l2TablesAllocated: number;
  readonly l2TablesFreed: number;
  /** Tables (L1 and L2) ever placed at or above 4 GiB. */
  readonly tablesAbove4GiB: number;
  readonly peakHeldBytes: number;
  readonly finalHeldBytes: number;
  readonly peakInUseBytes: number;
  readonly finalInUseBytes: number;
  /** Peak bytes held in ZONE_DMA32 (or ZONE_DMA where that is the below-4-GiB zone). */
  readonly peakDma32Bytes: number;
  readonly faults: number;
  /** Mapped IOVAs whose hardware walk differed from iova_to_phys or from the intended PA. */
  readonly translationMismatches: number;
  /** Device writes that landed in memory other than the intended buffer (fit check off). */
  readonly strayDmaWrites: number;
  /**
   * L2 tables the strategy handed out holding non-zero words. v7s trusts new tables to be zeroed and
   * frees tables with their entries still in them, so each of these is stale PTEs live in a new table.
   */
  readonly dirtyTables: number;
  /** Owners of memory that stray DMA hit, with counts. */
  readonly strayDmaVictims: Readonly<Record<string, number>>;
  /** Kernel messages the run would have logged, deduplicated, with counts. */
  readonly messages: readonly { readonly text: string; readonly count: number }[];
  readonly kernelCounters: KernelCounters;
  readonly samples: readonly Sample[];
  /** The tables still live at the end, in allocation order (all `live: true`). */
  readonly tables: readonly TablePlacement[];
  /** The tables freed during the run, summarised. */
  readonly freedTables: FreedTablesSummary;
  /**
   * l2Occupancy[i] = live L2 tables with valid-entry count in bucket i (0, 1-31, 32-63, ..., 224-256): 9
   * buckets, taken when the teardown phase begins (teardown empties every table), else at the end.
   */
  readonly l2Occupancy: readonly number[];
  /** Wall-clock time of the run; null unless the caller keeps it, so reports stay reproducible. */
  readonly runTimeMs: number | null;
}

export interface ZoneSpan {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export interface RunParams {
  readonly scenario: string;
  readonly era: string;
  readonly platform: string;
  readonly cpus: number;
  readonly seed: number;
  readonly strategies: readonly string[];
  readonly fitCheck: boolean;
}

export interface ComparisonReport {
  readonly schema: "iommu-lab/compare/2";
  readonly tool: { readonly name: string; readonly version: string };
  readonly params: RunParams;
  readonly platform: {
    readonly name: string;
    readonly description: string;
    readonly ram: readonly { readonly start: number; readonly end: number }[];
    readonly zones: readonly ZoneSpan[];
  };
  readonly workload: { readonly events: number; readonly maps: number; readonly unmaps: number; readonly description: string };
  readonly results: readonly StrategyResult[];
}
