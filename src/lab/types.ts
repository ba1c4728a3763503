// SPDX-License-Identifier: GPL-2.0-only
/**
 * The data a run produces, which the report layer turns into tables, JSON and HTML. Plain data only
 * (numbers, strings, arrays), so it serialises as is and crosses worker threads.
 */
import type { SlabinfoRow } from "../mm/slub.ts";
import type { KernelViews } from "./kernel-views.ts";

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

/**
 * Why a device fault happened, as the model's state at that moment tells it:
 * - "unmapped": no live mapping; the walk faults on an invalid descriptor;
 * - "stale-tlb": the M4U's TLB still holds a translation the tables no longer have (a skipped flush);
 * - "bad-table-pointer": the walk follows an L1 pointer that is not where its L2 table is (truncated to
 *   32 bits with the fit check off) or reads outside RAM (walk bus error);
 * - "invalid-pa": 4GB mode, the leaf's bus address lies outside the window the M4U sees DRAM in;
 * - "permission": a write through a read-only leaf (only when permissions are modelled);
 * - "mapped": the tables map it: the fault is not explained by the page tables.
 */
export type FaultVerdict = "unmapped" | "stale-tlb" | "bad-table-pointer" | "invalid-pa" | "permission" | "mapped";

/** A traced iommu_map / iommu_unmap call as fault attribution cites it. */
export interface TraceCallRef {
  readonly line: number;
  readonly ts: number | null;
  readonly iova: number;
  readonly size: number;
  /** The map's physical address; null for an unmap. */
  readonly paddr: number | null;
}

/** One device fault, matched against the replayed history and judged by the model's walk. */
export interface FaultAttribution {
  /** "trace": an iommu:io_page_fault line of the trace; "dmesg": a pasted mtk-iommu (or io_page_fault) line. */
  readonly origin: "trace" | "dmesg";
  /** The fault's line in its input. */
  readonly line: number;
  readonly timestamp: number | null;
  readonly device: string;
  /** Page IOVA. */
  readonly iova: number;
  readonly write: boolean;
  /**
   * When it was judged: "stream" at its place in the trace, "timestamp" before the first trace event
   * later than it (dmesg and trace on the same clock), "end" after the whole replay.
   */
  readonly evaluatedAt: "stream" | "timestamp" | "end";
  /** The last trace line replayed before the verdict (0: none). */
  readonly afterLine: number;
  readonly lastMap: TraceCallRef | null;
  readonly lastUnmap: TraceCallRef | null;
  readonly verdict: FaultVerdict;
  /** The model's device access would fault too (a stale TLB entry serves it instead). */
  readonly modelFaults: boolean;
  /** The walk of the simulated tables: the PA it reaches, or its fault type. */
  readonly walkPa: number | null;
  readonly walkFault: string | null;
  /** The PA the M4U's TLB would give, when it holds an entry for the page. */
  readonly tlbPa: number | null;
  /** The verdict in words, with the descriptors and lines behind it. */
  readonly reason: string;
}

/** What a boot step allocated (mm/boot.ts BootAllocation). */
export interface BootAllocationOut {
  readonly what: string;
  /** Lowest physical address; null for an aggregate (the background's pages of one zone). */
  readonly where: number | null;
  readonly bytes: number;
  readonly zone: string | null;
  /** Allocated and freed again within the step (an L1 that alloc_io_pgtable_ops refused). */
  readonly freed: boolean;
  /** The zone gfp_zone() chose, where the zonelist walk began (differs from `zone` after a fallback). */
  readonly requestedZone: string | null;
}

/** One step of the run's boot timeline (mm/boot.ts BootStep). */
export interface BootStepOut {
  readonly step: string;
  readonly timeIndex: number;
  readonly allocated: readonly BootAllocationOut[];
  readonly messages: readonly string[];
  /** Free pages and low/high watermarks per zone when the step began; empty before the buddy exists. */
  readonly zonesAtStart: readonly { readonly zone: string; readonly freePages: number; readonly low: number; readonly high: number }[];
}

/** mtk_iommu's domain allocation per added master (dma/domain-probe.ts), as a run reports it. */
export interface DomainProbeOut {
  readonly masters: number;
  readonly attempts: number;
  readonly failures: number;
  /** A later (or the first) attempt created the domain. */
  readonly succeeded: boolean;
  readonly createdBy: string | null;
  readonly createdAtAttempt: number | null;
  /** Masters left on the platform DMA ops (they DMA untranslated, without the M4U). */
  readonly withoutIommu: readonly string[];
  /** What the outcome means for the devices, one sentence. */
  readonly outcome: string;
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
  /** This run's boot timeline (per result: the device-probe step holds this strategy's L1, placed by the variant's domain timing). */
  readonly boot: readonly BootStepOut[];
  /** mtk_iommu's retry; null when the domain was refused before any master was added (a quirk the era lacks). */
  readonly domainProbe: DomainProbeOut | null;
  /**
   * The end state in the kernel's own views (lab/kernel-views.ts). Every run collects them; a report
   * keeps only the views asked for (--views), and none by default, so files stay small.
   */
  readonly kernelViews?: Partial<KernelViews>;
  /** Per device (a scenario's master, "trace" for a replay): what its mappings cost, by device name. */
  readonly attribution?: readonly DeviceAttribution[];
  /**
   * Per IOMMU instance, per domain and per device: present only on systems with more than one M4U or
   * domain (a single-M4U run's result is what it always was). docs/report-schema.md describes them.
   */
  readonly breakdown?: Breakdown;
  /** Device faults of a replayed trace (its io_page_fault lines, pasted --faults lines); absent when none. */
  readonly deviceFaults?: readonly FaultAttribution[];
}

/** What one device's mappings cost over the run. */
export interface DeviceAttribution {
  readonly device: string;
  /** Mappings made (DMA-API buffers, or a trace's iommu_map calls). */
  readonly maps: number;
  readonly bytesMapped: number;
  /** L2 tables allocated while this device's maps ran. */
  readonly l2TablesCaused: number;
  /** Peak IOVA bytes the device held mapped at once (page-granular). */
  readonly peakLiveIovaBytes: number;
}

/** One IOMMU instance (M4U) at the end of a run. */
export interface InstanceResult {
  readonly name: string;
  readonly compatible: string;
  /** REG_MMU_PT_BASE_ADDR as last written (0: never written, its domain has no table). */
  readonly ptBase: number;
  /** The L1 table PA the M4U decodes from PT_BASE. */
  readonly l1Pa: number;
  readonly translations: number;
  readonly tlbMisses: number;
  readonly faults: number;
}

/** One IOMMU domain (iommu_group) at the end of a run. */
export interface DomainResult {
  readonly id: string;
  /** The instance whose master's attach created it, and the M4Us its flushes reach. */
  readonly instance: string;
  readonly instances: readonly string[];
  readonly region: string;
  readonly apertureStart: number;
  readonly apertureEnd: number;
  readonly ias: number;
  readonly oas: number;
  /** Bytes of the L1 table: 16 KiB for ias 32, 64 KiB for ias 34. */
  readonly l1Bytes: number;
  readonly ttbrExt: boolean;
  /** null: it allocated its own table; else the id of the domain whose table it reuses. */
  readonly sharesTableOf: string | null;
  readonly created: boolean;
  /** Why alloc_io_pgtable_ops refused it (null when created). */
  readonly refusal: string | null;
  /** The L1 table's PA and zone (null when not created). */
  readonly l1Pa: number | null;
  readonly l1Zone: string | null;
  /** Live L2 tables of its table (a shared table counts in each domain that uses it). */
  readonly l2Tables: number;
  readonly mapCalls: number;
  readonly mapFailures: number;
  readonly unmapCalls: number;
  readonly bytesMapped: number;
  /** "instance:master" names of the platform attached to it. */
  readonly masters: readonly string[];
}

/** One workload device: where its DMA went and how much of it failed. */
export interface DeviceResult {
  readonly device: string;
  /** The domain id it was routed to; its master name was not the platform's when `routed` is false. */
  readonly domain: string;
  readonly instance: string;
  readonly routed: boolean;
  /** Buffers it asked the DMA API to map, and those that got no mapping (the DMA API's error). */
  readonly maps: number;
  readonly mapErrors: number;
  /** Buffers whose pages could not be had (the device driver's -ENOMEM before any mapping). */
  readonly bufferFailures: number;
}

export interface Breakdown {
  readonly instances: readonly InstanceResult[];
  readonly domains: readonly DomainResult[];
  readonly devices: readonly DeviceResult[];
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
  /** When the IOMMU domain (its L1) was allocated: "at-probe" (the kernel's) or "after-background". */
  readonly domainTiming: string;
  /** Entries of the M4U's TLB the run modelled (fully associative, LRU). */
  readonly tlbEntries?: number;
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
