// SPDX-License-Identifier: GPL-2.0-only
/**
 * The simulated end state in the kernel's own text formats, so a reader can hold it beside what their
 * board prints: /proc/slabinfo, /proc/buddyinfo, a /proc/zoneinfo extract, /proc/allocinfo, and a
 * ptdump-style listing of the live IOMMU mappings. Each formatter takes plain data and prints the
 * kernel's columns:
 *   slabinfo  mm/slab_common.c cache_show, print_slabinfo_header ("slabinfo - version: 2.1"), the same
 *             text in 4.19 (nojick/test419@37381aa0246c) and 6.19 (AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4)
 *   buddyinfo mm/vmstat.c frag_show_print: "Node %d, zone %8s " then "%6lu " per order (both trees)
 *   zoneinfo  mm/vmstat.c zoneinfo_show_print: 4.19 prints free/min/low/high/spanned/present/managed and
 *             protection; 6.x adds boost, promo and cma (printed here when the view carries them)
 *   allocinfo lib/alloc_tag.c alloc_tag_to_text ("%12lli %8llu " then codetag_to_text's
 *             "file:line func:name"), header "allocinfo - version: 2.0" (6.19 tree)
 * SLUB has no tunables, so those columns are 0 as SLUB's get_slabinfo leaves them.
 */
import type { AllocSiteData, PtdumpLeafData, ZoneViewData } from "../lab/kernel-views.ts";
import type { SlabinfoRow } from "../mm/slub.ts";

/** The lab collects these (lab/kernel-views.ts); the renderers here only print them. */
export type ZoneView = ZoneViewData;
export type AllocSite = AllocSiteData;
export type PtdumpLeaf = PtdumpLeafData;

function pad(s: string | number, width: number): string {
  return String(s).padStart(width);
}

export function slabinfoText(rows: readonly SlabinfoRow[]): string {
  const out = [
    "slabinfo - version: 2.1",
    "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>",
  ];
  for (const r of rows) {
    out.push(
      `${r.name.padEnd(17)} ${pad(r.activeObjs, 6)} ${pad(r.numObjs, 6)} ${pad(r.objSize, 6)} ${pad(r.objPerSlab, 4)} ${pad(r.pagesPerSlab, 4)}` +
        ` : tunables ${pad(0, 4)} ${pad(0, 4)} ${pad(0, 4)} : slabdata ${pad(r.activeSlabs, 6)} ${pad(r.numSlabs, 6)} ${pad(0, 6)}`,
    );
  }
  return out.join("\n") + "\n";
}

export function buddyinfoText(zones: readonly ZoneView[], node = 0): string {
  return zones.map((z) => `Node ${node}, zone ${pad(z.name, 8)} ${z.freeByOrder.map((n) => `${pad(n, 6)} `).join("")}`).join("\n") + "\n";
}

export function zoneinfoText(zones: readonly ZoneView[], node = 0): string {
  const out: string[] = [];
  for (const z of zones) {
    const lines = [`Node ${node}, zone ${pad(z.name, 8)}`, `  pages free     ${z.freePages}`];
    if (z.boost !== null) lines.push(`        boost    ${z.boost}`);
    lines.push(`        min      ${z.min}`, `        low      ${z.low}`, `        high     ${z.high}`);
    if (z.promo !== null) lines.push(`        promo    ${z.promo}`);
    lines.push(`        spanned  ${z.spanned}`, `        present  ${z.present}`, `        managed  ${z.managed}`);
    if (z.cma !== null) lines.push(`        cma      ${z.cma}`);
    lines.push(`        protection: (${z.protection.join(", ")})`);
    out.push(lines.join("\n"));
  }
  return out.join("\n") + "\n";
}

export function allocinfoText(sites: readonly AllocSite[]): string {
  const out = ["allocinfo - version: 2.0", "#     <size>  <calls> <tag info>"];
  for (const s of sites) out.push(`${pad(s.bytes, 12)} ${pad(s.calls, 8)} ${s.file}:${s.line} func:${s.func} `);
  return out.join("\n") + "\n";
}

function size(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}M`;
  return `${bytes / 1024}K`;
}

function hex32(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}

/**
 * The live mappings as arm64's ptdump lays out a range (start-end, size, then attributes), with runs of
 * leaves of one kind and one set of attributes whose IOVA and PA both continue merged into one line.
 */
export function ptdumpText(leaves: readonly PtdumpLeaf[]): string {
  const sorted = [...leaves].sort((a, b) => a.iova - b.iova);
  const out = ["---[ IOMMU v7s mappings ]---"];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i] as PtdumpLeaf;
    let end = first.iova + first.bytes;
    let paEnd = first.pa + first.bytes;
    let n = 1;
    let j = i + 1;
    for (; j < sorted.length; j++) {
      const next = sorted[j] as PtdumpLeaf;
      if (next.iova !== end || next.pa !== paEnd || next.kind !== first.kind || next.attrs !== first.attrs) break;
      end += next.bytes;
      paEnd += next.bytes;
      n++;
    }
    out.push(
      `${hex32(first.iova)}-${hex32(end)} ${size(end - first.iova).padStart(8)}  pa 0x${first.pa.toString(16).padStart(9, "0")}  ${n} x ${first.kind}  ${first.attrs}`.trimEnd(),
    );
    i = j;
  }
  return out.join("\n") + "\n";
}
