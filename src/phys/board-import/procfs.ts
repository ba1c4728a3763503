// SPDX-License-Identifier: GPL-2.0-only
/**
 * /proc/iomem, /proc/buddyinfo, /proc/zoneinfo and /proc/slabinfo by their seq_printf formats
 * (AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4562a5039c9ad24e11d4212b52645; the same
 * layout in nojick/test419@37381aa0246ce0dba6cda47bc1e9752a9923072b):
 * - kernel/resource.c r_show: "%*s%0*llx-%0*llx : %s\n" (children indented by two spaces per level);
 * - mm/vmstat.c frag_show_print: "Node %d, zone %8s " then "%6lu " per order;
 * - mm/vmstat.c zoneinfo_show_print: "Node %d, zone %8s", "\n  pages free     %lu", then
 *   "\n        min      %lu" ... "spanned", "present", "managed" (boost, promo and cma only in newer kernels);
 * - mm/slab_common.c: "slabinfo - version: 2.1", cache_show "%-17s %6lu %6lu %6u %4u %4d" then
 *   " : tunables ..." and " : slabdata %6lu %6lu %6lu".
 * Each parser throws InputError naming the file and line of a line it cannot read.
 */
import { InputError } from "../../core/errors.ts";
import type { SlabinfoRow } from "../../core/slabinfo.ts";
export type { SlabinfoRow } from "../../core/slabinfo.ts";

export interface IomemRange {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly name: string;
  readonly depth: number;
}

export function parseIomem(text: string, file: string): IomemRange[] {
  const out: IomemRange[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const m = /^( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$/.exec(line);
    if (m === null) throw new InputError(file, `line ${i + 1}`, 'not an iomem line ("start-end : name")');
    const start = Number.parseInt(m[2] as string, 16);
    const end = Number.parseInt(m[3] as string, 16) + 1;
    // A user without CAP_SYS_ADMIN sees every address as 0.
    if (start === 0 && end === 1 && out.length > 0) throw new InputError(file, `line ${i + 1}`, "addresses are zeroed: read /proc/iomem as root");
    out.push({ start, end, name: m[4] as string, depth: (m[1] as string).length / 2 });
  });
  return out;
}

/** Top-level "System RAM" ranges of /proc/iomem. */
export function systemRam(ranges: readonly IomemRange[]): { start: number; end: number }[] {
  return ranges.filter((r) => r.depth === 0 && r.name === "System RAM").map((r) => ({ start: r.start, end: r.end }));
}

export interface BuddyinfoRow {
  readonly node: number;
  readonly zone: string;
  /** Free blocks per order, order 0 first. */
  readonly free: number[];
}

export function parseBuddyinfo(text: string, file: string): BuddyinfoRow[] {
  const out: BuddyinfoRow[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const m = /^Node (\d+), zone\s+(\S+)((?:\s+\d+)+)$/.exec(line);
    if (m === null) throw new InputError(file, `line ${i + 1}`, 'not a buddyinfo line ("Node N, zone NAME count count ...")');
    out.push({ node: Number(m[1]), zone: m[2] as string, free: (m[3] as string).trim().split(/\s+/).map(Number) });
  });
  return out;
}

export interface ZoneinfoRow {
  readonly node: number;
  readonly zone: string;
  readonly free: number;
  readonly min: number;
  readonly low: number;
  readonly high: number;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
}

export function parseZoneinfo(text: string, file: string): ZoneinfoRow[] {
  const out: ZoneinfoRow[] = [];
  let cur: { node: number; zone: string; line: number; v: Record<string, number> } | null = null;
  const finish = (): void => {
    if (cur === null) return;
    const need = ["free", "min", "low", "high", "spanned", "present", "managed"];
    const missing = need.filter((k) => cur?.v[k] === undefined);
    if (missing.length > 0) throw new InputError(file, `line ${cur.line}`, `zone ${cur.zone} of node ${cur.node} has no ${missing.join(", ")}`);
    const v = cur.v;
    out.push({
      node: cur.node,
      zone: cur.zone,
      free: v["free"] ?? 0,
      min: v["min"] ?? 0,
      low: v["low"] ?? 0,
      high: v["high"] ?? 0,
      spanned: v["spanned"] ?? 0,
      present: v["present"] ?? 0,
      managed: v["managed"] ?? 0,
    });
    cur = null;
  };
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const head = /^Node (\d+), zone\s+(\S+)\s*$/.exec(line);
    if (head !== null) {
      finish();
      cur = { node: Number(head[1]), zone: head[2] as string, line: i + 1, v: {} };
      return;
    }
    if (cur === null) return;
    const free = /^\s+pages free\s+(\d+)/.exec(line);
    if (free !== null) {
      cur.v["free"] = Number(free[1]);
      return;
    }
    const kv = /^\s+(min|low|high|spanned|present|managed)\s+(\d+)\s*$/.exec(line);
    if (kv !== null) cur.v[kv[1] as string] = Number(kv[2]);
  });
  finish();
  if (out.length === 0) throw new InputError(file, "", 'no "Node N, zone NAME" section: not /proc/zoneinfo');
  return out;
}

export function parseSlabinfo(text: string, file: string): SlabinfoRow[] {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  if (!/^slabinfo - version: 2\.\d+/.test(lines[0] ?? "")) throw new InputError(file, "line 1", 'not /proc/slabinfo (no "slabinfo - version: 2.x" header)');
  const out: SlabinfoRow[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line.startsWith("#") || line.trim() === "") return;
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*:\s*tunables\s+\d+\s+\d+\s+\d+\s*:\s*slabdata\s+(\d+)\s+(\d+)\s+\d+\s*$/.exec(line);
    if (m === null) throw new InputError(file, `line ${i + 1}`, "not a slabinfo row (name, 5 counts, tunables, slabdata)");
    const n = (k: number): number => Number(m[k]);
    out.push({ name: m[1] as string, activeObjs: n(2), numObjs: n(3), objSize: n(4), objPerSlab: n(5), pagesPerSlab: n(6), activeSlabs: n(7), numSlabs: n(8) });
  });
  return out;
}

/**
 * The slab caches that can hold v7s L2 tables: the driver's own "io-pgtable_armv7s_l2"
 * (drivers/iommu/io-pgtable-arm-v7s.c kmem_cache_create) and kmalloc-1k, the cache a merged or
 * kzalloc-based L2 table uses.
 */
export function l2Slabs(rows: readonly SlabinfoRow[]): SlabinfoRow[] {
  return rows.filter((r) => r.name === "io-pgtable_armv7s_l2" || r.name === "kmalloc-1k" || r.name === "kmalloc-1024");
}
