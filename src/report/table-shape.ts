// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one place the report reads where tables lie: the live tables exactly, the freed ones as counts
 * per physical bin. Report schema 2 carries that summary as `freedTables`; a schema-1 result (every
 * table in `tables`, freed ones with live=false) is summarised here the same way, 1 MiB bins per zone,
 * the width doubling while more than 512 bins would result.
 */
import { SZ_1M, SZ_4G } from "../core/u32.ts";
import type { StrategyResult, TablePlacement } from "../lab/types.ts";

export interface FreedBin {
  readonly start: number;
  readonly end: number;
  readonly zone: string;
  readonly count: number;
  readonly bytes: number;
}

export interface FreedSummary {
  readonly count: number;
  readonly bytes: number;
  readonly above4GiB: number;
  readonly binBytes: number;
  /** Non-empty bins in address order, then zone. */
  readonly bins: readonly FreedBin[];
}

export interface TableShape {
  readonly live: readonly TablePlacement[];
  readonly freed: FreedSummary;
}

const MAX_BINS = 512;

export function tableShape(r: StrategyResult): TableShape {
  const summary = (r as { readonly freedTables?: FreedSummary }).freedTables;
  if (summary !== undefined) return { live: r.tables.filter((t) => t.live), freed: summary };
  return { live: r.tables.filter((t) => t.live), freed: summarise(r.tables.filter((t) => !t.live)) };
}

/** Freed tables binned by the page of their first byte, per zone. */
export function summarise(freed: readonly TablePlacement[]): FreedSummary {
  let width = SZ_1M;
  let bins = binned(freed, width);
  while (bins.length > MAX_BINS && width < 2 ** 15 * SZ_1M) {
    width *= 2;
    bins = binned(freed, width);
  }
  return {
    count: freed.length,
    bytes: freed.reduce((n, t) => n + t.bytes, 0),
    above4GiB: freed.filter((t) => t.pa >= SZ_4G).length,
    binBytes: width,
    bins,
  };
}

function binned(freed: readonly TablePlacement[], width: number): FreedBin[] {
  const byKey = new Map<string, { start: number; end: number; zone: string; count: number; bytes: number }>();
  for (const t of freed) {
    const start = Math.floor(t.pa / width) * width;
    const key = `${start}\u0000${t.zone}`;
    const b = byKey.get(key);
    if (b === undefined) byKey.set(key, { start, end: start + width, zone: t.zone, count: 1, bytes: t.bytes });
    else {
      b.count++;
      b.bytes += t.bytes;
    }
  }
  return [...byKey.values()].sort((a, b) => a.start - b.start || (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
}
