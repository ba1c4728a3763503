// SPDX-License-Identifier: GPL-2.0-only
/**
 * The summary table's columns, defined once for the terminal and the HTML table. `field` is the JSON
 * path inside a result (or a derived name), `value` the machine-readable number the HTML exposes in
 * data-value, `text` what a person reads.
 */
import { bytes } from "../core/u32.ts";
import type { StrategyResult } from "../lab/types.ts";
import { formatCount, formatMs, formatRatio, formatSecPageTables, formatSlabinfo, overheadRatio } from "./format.ts";

export type ColumnGroup = "memory" | "correctness" | "kernel";

export interface Column {
  /** Short header for the terminal. */
  readonly header: string;
  /** Longer header text for HTML (title attribute). */
  readonly title: string;
  readonly group: ColumnGroup;
  /** JSON path under a result ("peakHeldBytes", "kernelCounters.secPageTablesBytes") or a derived name ("overhead"). */
  readonly field: string;
  /** True when `field` is a path into the JSON rather than a derived figure. */
  readonly inJson: boolean;
  readonly align: "left" | "right";
  value(r: StrategyResult): number | null;
  text(r: StrategyResult): string;
  /** Marks a cell that reports something going wrong (shown in red). */
  bad?(r: StrategyResult): boolean;
}

function sizeColumn(header: string, title: string, field: keyof StrategyResult & `${string}Bytes`): Column {
  return {
    header,
    title,
    group: "memory",
    field,
    inJson: true,
    align: "right",
    value: (r) => r[field],
    text: (r) => bytes(r[field]),
  };
}

function countColumn(header: string, title: string, field: keyof StrategyResult, bad: boolean): Column {
  const get = (r: StrategyResult): number => r[field] as number;
  const col: Column = {
    header,
    title,
    group: "correctness",
    field,
    inJson: true,
    align: "right",
    value: get,
    text: (r) => formatCount(get(r)),
  };
  return bad ? { ...col, bad: (r) => get(r) > 0 } : col;
}

export const COLUMNS: readonly Column[] = [
  sizeColumn("peak held", "Peak bytes held from the page allocator", "peakHeldBytes"),
  sizeColumn("final held", "Bytes held at the end of the run", "finalHeldBytes"),
  sizeColumn("peak in use", "Peak bytes of live tables (L1 + 1 KiB per live L2)", "peakInUseBytes"),
  sizeColumn("final in use", "Bytes of live tables at the end", "finalInUseBytes"),
  {
    header: "overhead",
    title: "Peak held / peak in use",
    group: "memory",
    field: "overhead",
    inJson: false,
    align: "right",
    value: (r) => overheadRatio(r),
    text: (r) => formatRatio(overheadRatio(r)),
  },
  sizeColumn("DMA32 peak", "Peak bytes held below 4 GiB (ZONE_DMA32, or ZONE_DMA where that is the low zone)", "peakDma32Bytes"),
  countColumn("\u2265 4 GiB", "Tables (L1 and L2) ever placed at or above 4 GiB", "tablesAbove4GiB", true),
  countColumn("alloc fail", "Table allocations that returned NULL or did not fit in the PTE", "allocFailures", true),
  countColumn("map fail", "Map calls that failed", "mapFailures", true),
  countColumn("faults", "IOMMU translation faults", "faults", true),
  countColumn("mismatches", "IOVAs whose hardware walk differed from iova_to_phys or the intended PA", "translationMismatches", true),
  countColumn("stray", "Device writes that landed outside the intended buffer", "strayDmaWrites", true),
  countColumn("dirty", "L2 tables handed out still holding entries of a freed table", "dirtyTables", true),
  countColumn("L2 freed", "L2 tables freed during the run", "l2TablesFreed", false),
  {
    header: "run ms",
    title: "Wall-clock time of the run in milliseconds (not deterministic)",
    group: "correctness",
    field: "runTimeMs",
    inJson: true,
    align: "right",
    value: (r) => r.runTimeMs,
    text: (r) => formatMs(r.runTimeMs),
  },
  {
    header: "slabinfo",
    title: "What /proc/slabinfo shows for the v7s L2 cache: active/total objects, slabs",
    group: "kernel",
    field: "kernelCounters.slabinfo.activeObjs",
    inJson: true,
    align: "left",
    value: (r) => r.kernelCounters.slabinfo?.activeObjs ?? null,
    text: (r) => formatSlabinfo(r.kernelCounters.slabinfo),
  },
  {
    header: "SecPageTables",
    title: "SecPageTables in /proc/meminfo (iommu-pages accounting)",
    group: "kernel",
    field: "kernelCounters.secPageTablesBytes",
    inJson: true,
    align: "right",
    value: (r) => r.kernelCounters.secPageTablesBytes,
    text: (r) => formatSecPageTables(r.kernelCounters.secPageTablesBytes),
  },
  {
    header: "iommu pages",
    title: "nr_iommu_pages (iommu-pages accounting)",
    group: "kernel",
    field: "kernelCounters.nrIommuPages",
    inJson: true,
    align: "right",
    value: (r) => r.kernelCounters.nrIommuPages,
    text: (r) => formatCount(r.kernelCounters.nrIommuPages),
  },
];

export const GROUP_TITLES: Readonly<Record<ColumnGroup, string>> = {
  memory: "Memory: bytes held from the page allocator vs bytes of live tables",
  correctness: "Correctness and counters",
  kernel: "Kernel counters",
};
