// SPDX-License-Identifier: GPL-2.0-only
/** Cell text shared by the terminal and HTML tables, so both show the same figures. */
import { bytes } from "../core/u32.ts";
import { EN_DASH, formatRatio } from "../analysis/figures.ts";
import type { KernelCounters, StrategyResult } from "../lab/types.ts";

export { EN_DASH, formatRatio };

/** held / in use at peak; null when nothing is in use. */
export function overheadRatio(r: Pick<StrategyResult, "peakHeldBytes" | "peakInUseBytes">): number | null {
  return r.peakInUseBytes > 0 ? r.peakHeldBytes / r.peakInUseBytes : null;
}

export function formatSlabinfo(slab: KernelCounters["slabinfo"]): string {
  if (slab === null) return EN_DASH;
  const slabs = `${slab.numSlabs} slab${slab.numSlabs === 1 ? "" : "s"}`;
  return `${slab.activeObjs}/${slab.numObjs} objs, ${slabs}`;
}

export function formatSecPageTables(n: number): string {
  return bytes(n);
}

/** Why SecPageTables stays at zero for v7s: its tables never go through iommu-pages (drivers/iommu/io-pgtable-arm-v7s.c, __arm_v7s_alloc_table). */
export const SEC_PAGE_TABLES_NOTE = "v7s tables are not accounted: io-pgtable-arm-v7s allocates with __get_free_pages and kmem_cache, not iommu-pages";

export function formatMs(ms: number | null): string {
  if (ms === null) return EN_DASH;
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

export function formatCount(n: number): string {
  return n.toString();
}

/** Greedy word wrap: `first` prefixes the first line, `rest` the others; no line exceeds `width` unless one word does. */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = rest + w;
    } else {
      line += (empty ? "" : " ") + w;
    }
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}
