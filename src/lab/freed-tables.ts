// SPDX-License-Identifier: GPL-2.0-only
/**
 * A fixed-size summary of the tables a run freed: totals, and counts per 1 MiB-aligned physical bin
 * (per zone), so a report of a trace of any length stays small while the live tables are kept exactly.
 * The accumulator holds one entry per (MiB, zone) that ever held a freed table: bounded by the physical
 * address space (2^35 bytes = 32,768 MiB), never by the number of frees.
 */
import { SZ_1M, SZ_4G } from "../core/u32.ts";
import type { FreedTableBin, FreedTablesSummary, TablePlacement } from "./types.ts";

/** At most this many bins in a summary; past it the bin width doubles until the bins fit. */
export const MAX_FREED_BINS = 512;

interface Acc {
  mib: number;
  zone: string;
  count: number;
  bytes: number;
}

export class FreedTables {
  private readonly bins = new Map<string, Acc>();
  /** Freed L1 tables, exactly: one per domain (or refused probe), never per event. */
  private readonly l1: TablePlacement[] = [];
  count = 0;
  bytes = 0;
  above4GiB = 0;

  /** A table of `bytes` at `pa` in `zone` was freed (the bin is that of its first byte). */
  add(pa: number, bytes: number, zone: string, level: 1 | 2 = 2): void {
    if (level === 1) this.l1.push({ pa, bytes, level, zone, live: false });
    this.count++;
    this.bytes += bytes;
    if (pa >= SZ_4G) this.above4GiB++;
    const mib = Math.floor(pa / SZ_1M);
    const key = `${mib}\u0000${zone}`;
    const b = this.bins.get(key);
    if (b === undefined) this.bins.set(key, { mib, zone, count: 1, bytes });
    else {
      b.count++;
      b.bytes += bytes;
    }
  }

  /** The summary: bins in address order (then zone name); 1 MiB wide unless more than MAX_FREED_BINS. */
  summary(maxBins = MAX_FREED_BINS): FreedTablesSummary {
    const fine = [...this.bins.values()].sort((a, b) => a.mib - b.mib || (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
    let widthMib = 1;
    let bins = merge(fine, widthMib);
    // Each doubling at least halves the bins of one zone; a bin holds one zone, so the loop ends once
    // every zone is one bin (at most a few zones: the 2^35 cap is reached long before).
    while (bins.length > maxBins && widthMib < 2 ** 15) {
      widthMib *= 2;
      bins = merge(fine, widthMib);
    }
    return { count: this.count, bytes: this.bytes, above4GiB: this.above4GiB, binBytes: widthMib * SZ_1M, bins, l1: this.l1.map((t) => ({ ...t })) };
  }
}

function merge(fine: readonly Acc[], widthMib: number): FreedTableBin[] {
  const out: { start: number; end: number; zone: string; count: number; bytes: number }[] = [];
  const open = new Map<string, (typeof out)[number]>();
  for (const a of fine) {
    const first = Math.floor(a.mib / widthMib) * widthMib;
    const key = `${first}\u0000${a.zone}`;
    const b = open.get(key);
    if (b !== undefined) {
      b.count += a.count;
      b.bytes += a.bytes;
      continue;
    }
    const bin = { start: first * SZ_1M, end: (first + widthMib) * SZ_1M, zone: a.zone, count: a.count, bytes: a.bytes };
    open.set(key, bin);
    out.push(bin);
  }
  return out.sort((x, y) => x.start - y.start || (x.zone < y.zone ? -1 : x.zone > y.zone ? 1 : 0));
}
