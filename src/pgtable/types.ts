// SPDX-License-Identifier: GPL-2.0-only
/**
 * The v7s engine's public surface (the contract the iommu-dma layer, the CLI and the tests build on).
 * Kernel failures are values (negative errno, 0 bytes unmapped); API misuse throws RangeError/TypeError.
 */
import type { Era } from "../core/era.ts";
import type { Gfp } from "../mm/gfp.ts";
import type { TableMemory } from "../strategies/table-memory.ts";
import type { V7sRefusalCode, V7sText } from "./text.ts";

/** include/linux/iommu.h prot bits. */
export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;
export const IOMMU_CACHE = 4;
export const IOMMU_NOEXEC = 8;
export const IOMMU_MMIO = 16;
export const IOMMU_PRIV = 32;

/**
 * io-pgtable.h quirk bits, one constant per meaning: a bit means different quirks in different texts
 * (8 is ARM_MTK_EXT from v6.6 on but ARM_MTK_4GB in v4.19; 16 is ARM_MTK_TTBR_EXT or NO_DMA), so code
 * that asks for a quirk by meaning uses quirkBits(era, names) (config.ts), which knows each text's bits.
 * ARM_NS and NO_PERMS are the same in every text; these are v6.6 and latest.
 */
export const QUIRK_ARM_NS = 1;
export const QUIRK_NO_PERMS = 2;
export const QUIRK_ARM_MTK_EXT = 8;
export const QUIRK_ARM_MTK_TTBR_EXT = 16;
/** v4.19 quirk bits (drivers/iommu/io-pgtable.h at nojick/test419 115e53ca). */
export const QUIRK_V419_TLBI_ON_MAP = 4;
export const QUIRK_V419_ARM_MTK_4GB = 8;
export const QUIRK_V419_NO_DMA = 16;

export interface V7sConfig {
  readonly ias: number;
  readonly oas: number;
  readonly quirks: number;
  readonly pgsizeBitmap: number;
  /** Latest/v6.6 only; v4.19 uses the NO_DMA quirk instead. */
  readonly coherentWalk: boolean;
  /**
   * Model switch, on by default as in every kernel since 4.19's "improve debugging" patch: refuse tables
   * whose address does not fit the descriptor. Off: the table is installed with its pointer truncated.
   */
  readonly fitCheck?: boolean;
}

/** Outputs of a successful alloc_io_pgtable_ops (cfg after alloc). */
export interface V7sAllocated {
  readonly pgsizeBitmap: number;
  readonly tcr: number;
  readonly prrr: number;
  readonly nmrr: number;
  readonly ttbr: number;
  /** v4.19 only (always 0). */
  readonly ttbr1?: number;
  readonly pgdPhys: number;
  readonly l1Entries: number;
}

export interface IotlbGather {
  /** iommu_iotlb_gather_queued(): the flush queue will invalidate, so leaves are not added. */
  readonly queued: boolean;
}

/**
 * TLB callbacks, all optional as in io_pgtable_tlb_* (latest NULL-checks each). Latest/v6.6 use
 * tlbFlushAll/tlbFlushWalk/tlbAddPage; v4.19 uses tlbFlushAll/tlbAddFlush/tlbSync.
 */
export interface FlushOps {
  tlbFlushAll?(): void;
  tlbFlushWalk?(iova: number, size: number, granule: number): void;
  tlbAddPage?(gather: IotlbGather | null, iova: number, granule: number): void;
  tlbAddFlush?(iova: number, size: number, granule: number, leaf: boolean): void;
  tlbSync?(): void;
}

/**
 * Where a PTE write lives, for dma_sync_single_for_device on a non-coherent walker: `l1Index` is -1 for
 * an L2 table not yet linked from the L1 (the section-split path fills it before installing it).
 */
export interface PteLocation {
  readonly tablePa: number;
  readonly level: 1 | 2;
  readonly l1Index: number;
  /** Null for an entry of the L1 table. */
  readonly l2Index: number | null;
}

/** DMA API calls for non-coherent table walks (coherent_walk false, or v4.19 without NO_DMA). */
export interface DmaApi {
  /** dma_map_single(table, bytes, DMA_TO_DEVICE); must return the PA or the table is refused. */
  mapSingle(pa: number, bytes: number): number;
  unmapSingle(pa: number, bytes: number): void;
  syncForDevice(at: PteLocation, entries: number): void;
}

export interface EngineLog {
  /** WARN_ON(cond) gives kind WARN_ON and the condition's source text; WARN/WARN_ONCE give the message. */
  warn(kind: "WARN_ON" | "WARN_ONCE" | "WARN", text: string): void;
  /** dev_err / pr_err text, e.g. "Page table does not fit in PTE: 0x140000000". */
  error(text: string): void;
}

export interface EngineEnv {
  readonly era: Era;
  readonly mem: TableMemory;
  readonly tlb?: FlushOps;
  readonly dma?: DmaApi;
  readonly log?: EngineLog;
  /** Suppresses the WARN_ON(!selftest_running) on -EEXIST, as during arm_v7s_do_selftests. */
  readonly selftestRunning?: boolean;
}

export type AllocResult = { readonly ok: true; readonly table: V7sPageTable } | { readonly ok: false; readonly code: V7sRefusalCode; readonly reason: string };

export interface MapResult {
  /** 0 or a negative errno: -EEXIST, -EINVAL, -ERANGE, -ENOMEM. */
  readonly ret: number;
  /** Bytes mapped by this call (the kernel's *mapped, zeroed before the call). */
  readonly mapped: number;
}

export interface V7sPageTable {
  readonly cfg: V7sConfig;
  /** The capability record: the era's text decoded with cfg's quirks at alloc (what a PTE means, too). */
  readonly text: V7sText;
  readonly out: V7sAllocated;
  readonly env: EngineEnv;
  /** Latest/v6.6: ops->map_pages. On v4.19, runs `.map` pgcount times and stops at the first failure. */
  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, gfp: Gfp): MapResult;
  /** mapPages without the result object, for hot loops: returns ret and leaves *mapped in `lastMapped`. */
  mapPagesRet(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, gfp: Gfp): number;
  /** The *mapped of the last mapPages/mapPagesRet call. */
  readonly lastMapped: number;
  /** Latest/v6.6: ops->unmap_pages; returns bytes unmapped. On v4.19, `.unmap` pgcount times. */
  unmapPages(iova: number, pgsize: number, pgcount: number, gather: IotlbGather | null): number;
  /** v4.19 ops->map: one page. Latest/v6.6 treat it as map_pages with pgcount 1. */
  map(iova: number, paddr: number, size: number, prot: number): number;
  /** v4.19 ops->unmap: one page. */
  unmap(iova: number, size: number): number;
  iovaToPhys(iova: number): number;
  /** free_io_pgtable_ops: tlb_flush_all, then every L2 table, the L1 table, and the strategy's teardown. */
  free(): void;
  /**
   * Live L2 tables: allocated and not yet freed. Equals the number of L1 table entries unless the kernel
   * leaked one (the v4.19 split of a raw 2M mapping overwrites two table entries without freeing them).
   */
  l2TablesLive(): number;
  /** The L1 entry for an IOVA and, for a table entry, where its L2 table is (for `explain`). */
  lookupL1(iova: number): L1Lookup;
  /** The L2 entry for an IOVA, or null when its L1 entry is not a table. */
  readL2(iova: number): number | null;
  /** L1 entry `l1Index` (0 .. out.l1Entries - 1); RangeError outside the table. */
  readL1(l1Index: number): number;
  /** Entry `l2Index` (0..255) of the L2 table linked at `l1Index`, or null when that slot holds no table. */
  readL2At(l1Index: number, l2Index: number): number | null;
  /** free() has run. */
  readonly isFreed: boolean;
  /** Every L2 table linked from the L1 table, in L1 order, with its count of valid entries. */
  forEachL2Table(cb: (l1Index: number, tablePa: number, validEntries: number) => void): void;
}

/** What the L1 entry for an IOVA holds. */
export interface L1Lookup {
  readonly l1Index: number;
  readonly pte: number;
  /** For a table entry: where the engine's L2 table really is (the CPU-side pointer). */
  readonly tablePa: number | null;
  /** For a table entry: the address the descriptor encodes (differs from tablePa only with fitCheck off). */
  readonly descriptorTablePa: number | null;
}
