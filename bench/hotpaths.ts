// SPDX-License-Identifier: GPL-2.0-only
/**
 * The per-page and per-leaf hot paths of the full model, one figure each: iommu_pgsize as the v4.19
 * per-page loop and the batched form call it, the allocation-free verification probe (time and heap
 * bytes per walk, by byte IOVA and by page frame number), and M4U range flushes with an empty and with a
 * full TLB. The heap figure of the byte-IOVA probe includes the caller boxing an IOVA above 2^31.
 *
 * The figures are written against a small interface (`HotpathImpl`) so the same loops can time another
 * build of the sources side by side (one process, interleaved) when comparing before and after.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { iommuPgsizeInto, type PgsizeOut } from "../src/dma/pgsize.ts";
import { MTK_PGSIZE_BITMAP } from "../src/dma/iommu-core.ts";
import { M4u, mt8173Config } from "../src/iommu/m4u.ts";
import { WalkRecord } from "../src/iommu/walker.ts";
import { PhysMemory } from "../src/phys/memory.ts";
import { platform } from "../src/phys/platform.ts";

export interface Figure {
  name: string;
  unit: string;
  value: number;
}

/** What the figures need from a build of the model. */
export interface HotpathImpl {
  /** iommu_pgsize: returns pgsize * count (so the loop keeps its result). */
  pgsize(bitmap: number, iova: number, paddr: number, size: number, batched: boolean): number;
  /** An M4U over `phys`, as the lab builds it (mt8173 config, 4GB mode). */
  m4u(phys: PhysMemory, tlbEntries: number): M4uLike;
  /** The verification probe of one IOVA: the CPU PA, or -1 on a fault. */
  probe(m4u: M4uLike, iova: number): number;
  /** The same probe by page frame number and offset, where the build has one. */
  probePage?: (m4u: M4uLike, pfn: number, offset: number) => number;
  phys(): PhysMemory;
}

export interface M4uLike {
  writePtBase(ttbr: number): void;
  flushRange(start: number, end: number): void;
  translate(iova: number, access: "read" | "write"): { readonly ok: boolean };
  tlbEntries(): readonly unknown[];
}

const out: PgsizeOut = { pgsize: 0, count: 0 };
const record = new WalkRecord();

export const CURRENT: HotpathImpl = {
  pgsize: (bitmap, iova, paddr, size, batched) => iommuPgsizeInto(out, bitmap, iova, paddr, size, batched) * out.count,
  m4u: (phys, tlbEntries) => new M4u(phys, mt8173Config(true, { tlbEntries })),
  probe: (m4u, iova) => ((m4u as M4u).probeInto(record, iova) ? record.pa : -1),
  probePage: (m4u, pfn, offset) => ((m4u as M4u).probePageInto(record, pfn, offset) ? record.pa : -1),
  phys: () => new PhysMemory(platform("mt8173-elm-4g")),
};

const L1 = 0x4000_4000;
const L2_BASE = 0x4010_0000;
const TABLES = 256;
/** Where the tables map: high, as trace IOVAs are (0xf…, above 2^31, so heap numbers as bytes). */
const IOVA_BASE = 0xf000_0000;

/** 256 L2 tables of MTK 4 KiB pages (bus bit 32 set) under one L1, as bench/iommu.ts builds them, at IOVA_BASE. */
function buildTables(impl: HotpathImpl, tlbEntries: number): M4uLike {
  const phys = impl.phys();
  for (let t = 0; t < TABLES; t++) {
    const l2 = L2_BASE + t * 0x400;
    phys.write32(L1 + 4 * (IOVA_BASE / 0x10_0000 + t), (l2 | 0x9) >>> 0);
    for (let i = 0; i < 256; i++) phys.write32(l2 + 4 * i, ((0x5000_0000 + (t * 256 + i) * 0x1000) | 0xe42) >>> 0);
  }
  const m4u = impl.m4u(phys, tlbEntries);
  m4u.writePtBase(L1);
  return m4u;
}

/** The (iova, paddr, size) of every iommu_pgsize call a v4.19 map loop makes for trace-like buffers. */
function pgsizeInputs(batched: boolean): Float64Array {
  const rows: number[] = [];
  let x = 0x2468ace;
  for (let b = 0; rows.length < 3 * 200_000; b++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    // Trace IOVAs sit high (0xf…, > 2^31); 4 KiB..1 MiB buffers, PAs page-aligned, some 1 MiB-aligned.
    let iova = 0xf000_0000 + (b % 200) * 0x10_0000;
    let pa = 0x4000_0000 + (x & 0x0fff_f000) + ((x & 1) === 0 ? 0 : 0x1_0000_0000);
    let left = 0x1000 << (x % 9);
    while (left > 0) {
      rows.push(iova, pa, left);
      const step = batched ? left : 0x1000;
      iova += step;
      pa += step;
      left -= step;
    }
  }
  return Float64Array.from(rows);
}

function nsPer(ops: number, body: () => number): number {
  body(); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    if (body() === -0.5) throw new Error("unreachable");
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1e6) / ops;
}

let gcFn: (() => void) | null = null;
function gc(): void {
  if (gcFn === null) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
}

/** Bytes in V8's young generation, where short-lived objects are allocated. */
function newSpaceUsed(): number {
  for (const sp of getHeapSpaceStatistics()) if (sp.space_name === "new_space") return sp.space_used_size;
  throw new Error("hotpaths: V8 reports no new_space");
}

/**
 * Heap bytes allocated per call of `body`: young-generation growth over `n` calls after a full GC, the
 * smallest of 20 trials in which no scavenge ran (a trial whose young generation shrank is dropped).
 * Code and feedback the JIT makes live elsewhere, so 0 means the calls allocated nothing.
 */
function bytesPer(n: number, body: (i: number) => number): number {
  // The accumulator stays a small integer, so the loop itself boxes no number (which unoptimised code
  // would), and the warm-up lets the loop reach optimised code before anything is counted.
  let s = 0;
  for (let w = 0; w < 50; w++) for (let i = 0; i < n; i++) s ^= body(i) & 1;
  // What reading the statistics allocates by itself, taken off every trial.
  let overhead = Number.POSITIVE_INFINITY;
  let least = Number.POSITIVE_INFINITY;
  for (let t = 0; t < 20; t++) {
    gc();
    const e0 = newSpaceUsed();
    overhead = Math.min(overhead, newSpaceUsed() - e0);
    gc();
    const h0 = newSpaceUsed();
    for (let i = 0; i < n; i++) s ^= body(i) & 1;
    const grew = newSpaceUsed() - h0;
    if (grew >= 0) least = Math.min(least, grew);
  }
  if (s === -0.5) throw new Error("unreachable");
  return Math.max(0, least - overhead) / n;
}

export function hotpathFigures(impl: HotpathImpl): Figure[] {
  const figures: Figure[] = [];
  for (const batched of [false, true]) {
    const rows = pgsizeInputs(batched);
    const calls = rows.length / 3;
    const ns = nsPer(calls, () => {
      let s = 0;
      for (let i = 0; i < rows.length; i += 3) s += impl.pgsize(MTK_PGSIZE_BITMAP, rows[i] as number, rows[i + 1] as number, rows[i + 2] as number, batched);
      return s;
    });
    figures.push({ name: `iommu_pgsize_${batched ? "batched" : "per_page"}`, unit: "ns/call", value: ns });
  }

  const m4u = buildTables(impl, 32);
  const N = 200_000;
  const spread = new Float64Array(N);
  let x = 0x12345678;
  for (let i = 0; i < N; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    spread[i] = IOVA_BASE + ((x % (TABLES * 0x10_0000)) & ~3);
  }
  figures.push({
    name: "verify_probe",
    unit: "ns/walk (PT_BASE -> L1 -> L2 from physical memory)",
    value: nsPer(N, () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += impl.probe(m4u, spread[i] as number);
      return s;
    }),
  });
  const probePage = impl.probePage;
  if (probePage !== undefined) {
    const pfns = Int32Array.from(spread, (v) => Math.floor(v / 4096));
    const offs = Int32Array.from(spread, (v) => v % 4096);
    figures.push({
      name: "verify_probe_by_pfn",
      unit: "ns/walk (page frame number + offset)",
      value: nsPer(N, () => {
        let s = 0;
        for (let i = 0; i < N; i++) s += probePage(m4u, pfns[i] as number, offs[i] as number);
        return s;
      }),
    });
    figures.push({ name: "verify_probe_by_pfn_heap", unit: "bytes/walk", value: bytesPer(2000, (i) => probePage(m4u, pfns[i] as number, offs[i] as number)) });
  }
  figures.push({ name: "verify_probe_heap", unit: "bytes/walk", value: bytesPer(2000, (i) => impl.probe(m4u, spread[i] as number)) });

  // Flushes of one 4 KiB page, as the v4.19 map path issues one per page: with an empty TLB (trace
  // replay), and with 32 entries none of which is in range (the default scenario keeps ~32).
  const flushes = new Float64Array(N);
  for (let i = 0; i < N; i++) flushes[i] = 0x2000_0000 + (i & 0xffff) * 0x1000;
  const empty = buildTables(impl, 32);
  figures.push({
    name: "flush_range_empty_tlb",
    unit: "ns/flush",
    value: nsPer(N, () => {
      for (let i = 0; i < N; i++) empty.flushRange(flushes[i] as number, (flushes[i] as number) + 0xfff);
      return 0;
    }),
  });
  const full = buildTables(impl, 32);
  for (let t = 0; t < 32; t++) full.translate(IOVA_BASE + ((t * 7) % TABLES) * 0x10_0000 + 0x40, "read");
  if (full.tlbEntries().length !== 32) throw new Error("hotpaths: the TLB did not fill");
  figures.push({
    name: "flush_range_full_tlb_miss",
    unit: "ns/flush (32 entries, none in range)",
    value: nsPer(N, () => {
      for (let i = 0; i < N; i++) full.flushRange(flushes[i] as number, (flushes[i] as number) + 0xfff);
      return full.tlbEntries().length;
    }),
  });
  return figures;
}

export function run(): Figure[] {
  return hotpathFigures(CURRENT);
}
