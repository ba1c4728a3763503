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

export interface KernelCounters {
  /** What /proc/slabinfo would show for the v7s L2 cache, or null when the strategy uses no slab cache. */
  readonly slabinfo: SlabinfoRow | null;
  /** SecPageTables / nr_secondary_pagetable and nr_iommu_pages: iommu-pages accounting, which v7s tables never go through. */
  readonly secPageTablesBytes: number;
  readonly nrIommuPages: number;
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
  readonly tables: readonly TablePlacement[];
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
  readonly schema: "iommu-lab/compare/1";
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
