// SPDX-License-Identifier: GPL-2.0-only
/**
 * The golden-vector format `v7s-oracle/1` (and its `+v6.6` / `+v4.19` variants): parse and validate a
 * document, run every case through the engine on the vector harness's memory model (ArenaTableMemory at
 * config.table_phys_base over a RAM window covering the whole 35-bit space), produce results in the same
 * format, and check them against the expectations. Pure: the CLI reads the file and prints.
 */
import { era as eraProfile, type Era, type EraName, type PgtableFamily } from "../core/era.ts";
import { EFAULT, EINVAL, InputError } from "../core/errors.ts";
import { GFP_ATOMIC } from "../mm/gfp.ts";
import { PHYS_LIMIT, PhysMemory } from "../phys/memory.ts";
import { customPlatform } from "../phys/platform.ts";
import { ArenaTableMemory } from "../strategies/arena.ts";
import { dumpTable, type Dump, type DumpEntry } from "./dump.ts";
import { allocV7s } from "./engine.ts";
import { runSelftest, type SelftestResult } from "./selftest.ts";
import { V7S_TEXTS } from "./text.ts";
import type { EngineEnv, IotlbGather, V7sConfig, V7sPageTable } from "./types.ts";

/** arm_v7s_do_selftests' return value: 0, -EINVAL when the table cannot be allocated, else -EFAULT. */
export function selftestRet(r: SelftestResult): number {
  if (r.ok) return 0;
  return r.step.startsWith("selftest: failed to allocate") ? -EINVAL : -EFAULT;
}

export const ORACLE_FORMATS: Readonly<Record<string, PgtableFamily>> = {
  "v7s-oracle/1": "latest",
  "v7s-oracle/1+v6.6": "v6.6",
  "v7s-oracle/1+v4.19": "v4.19",
};

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type LogEntry = Json[];

export interface OracleConfig {
  readonly ias: number;
  readonly oas: number;
  readonly quirks: number;
  readonly pgsize_bitmap: number;
  /** Absent in v4.19 documents. */
  readonly coherent_walk?: boolean;
  readonly table_phys_base: number;
}

export type GatherMode = "gather" | "none" | "queued";

export type OracleOp =
  | { readonly op: "map"; readonly iova: number; readonly paddr: number; readonly pgsize: number; readonly pgcount: number; readonly prot: number }
  | { readonly op: "unmap"; readonly iova: number; readonly pgsize: number; readonly pgcount: number; readonly gather: GatherMode }
  | { readonly op: "iova_to_phys"; readonly iova: number }
  | { readonly op: "dump" }
  | { readonly op: "free" };

export interface OracleOpRecord {
  readonly input: OracleOp;
  /** The op as written in the file (kept for output: notes, v4.19 `size`). */
  readonly raw: { [k: string]: Json };
  readonly expect: { [k: string]: Json } | null;
  readonly tlb: LogEntry[] | null;
  readonly warn: LogEntry[] | null;
  readonly dma: LogEntry[] | null;
}

export interface OracleCase {
  readonly name: string;
  readonly raw: { [k: string]: Json };
  readonly config: OracleConfig;
  readonly alloc: { [k: string]: Json } | null;
  readonly ops: OracleOpRecord[];
  readonly final: Dump | null;
}

export interface OracleDoc {
  readonly file: string;
  readonly format: string;
  readonly family: PgtableFamily;
  readonly raw: { [k: string]: Json };
  readonly cases: OracleCase[];
}

// ---- parsing -------------------------------------------------------------------------------------------

type Obj = { [k: string]: Json };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class Parser {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }
  fail(where: string, problem: string): never {
    throw new InputError(this.file, where, problem);
  }
  obj(v: unknown, where: string): Obj {
    if (!isObj(v)) this.fail(where, "must be an object");
    return v;
  }
  int(o: Obj, key: string, where: string, max = Number.MAX_SAFE_INTEGER, min = 0): number {
    const v = o[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(`${where} field ${key}`, v === undefined ? "is missing" : `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
    return v;
  }
  bool(o: Obj, key: string, where: string): boolean {
    const v = o[key];
    if (typeof v !== "boolean") this.fail(`${where} field ${key}`, v === undefined ? "is missing" : `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  log(o: Obj, key: string, where: string): LogEntry[] | null {
    const v = o[key];
    if (v === undefined) return null;
    if (!Array.isArray(v) || !v.every((e) => Array.isArray(e))) this.fail(`${where} field ${key}`, "must be a list of lists");
    return v as LogEntry[];
  }
  dump(v: unknown, where: string): Dump {
    const o = this.obj(v, where);
    const triples = (key: string): DumpEntry[] => {
      const list = o[key];
      if (!Array.isArray(list)) this.fail(`${where} field ${key}`, "must be a list of [a, b, c] integer triples");
      return list.map((t, i) => {
        if (!Array.isArray(t) || t.length !== 3 || !t.every((x) => typeof x === "number" && Number.isSafeInteger(x))) {
          this.fail(`${where} field ${key}[${i}]`, "must be an [a, b, c] integer triple");
        }
        return t as DumpEntry;
      });
    };
    return { l1: triples("l1"), l2: triples("l2"), l2_tables_live: this.int(o, "l2_tables_live", where) };
  }
}

const U32 = 0xffffffff;

/**
 * Validate a parsed JSON document; `file` names it in errors. Ops are read in the shape of the format's
 * text: `.map`/`.unmap` with `size` for a per-page text, map_pages/unmap_pages with `pgsize` and
 * `pgcount` otherwise; `coherent_walk` only where the text has it.
 */
export function parseOracle(json: unknown, file: string): OracleDoc {
  const p: Parser = new Parser(file);
  const root = p.obj(json, "");
  const format = root["format"];
  if (typeof format !== "string" || !Object.hasOwn(ORACLE_FORMATS, format)) {
    p.fail("field format", `must be one of ${Object.keys(ORACLE_FORMATS).join(", ")}, got ${JSON.stringify(format)}`);
  }
  const family = ORACLE_FORMATS[format] as PgtableFamily;
  const facts = V7S_TEXTS[family];
  const perPage = facts.mapOps === "per-page";
  const hasCoherentWalk = facts.dmaSkippedBy === "coherent_walk";
  const casesRaw = root["cases"];
  if (!Array.isArray(casesRaw)) p.fail("field cases", "must be a list");
  const cases = casesRaw.map((c, ci): OracleCase => {
    const where = `case ${ci}`;
    const co = p.obj(c, where);
    const name = typeof co["name"] === "string" ? co["name"] : `case${ci}`;
    const cfg = p.obj(co["config"], `${where} field config`);
    const cw = `${where} config`;
    const config: OracleConfig = {
      ias: p.int(cfg, "ias", cw, 64),
      oas: p.int(cfg, "oas", cw, 64),
      quirks: p.int(cfg, "quirks", cw, U32),
      pgsize_bitmap: p.int(cfg, "pgsize_bitmap", cw, U32),
      ...(hasCoherentWalk ? { coherent_walk: p.bool(cfg, "coherent_walk", cw) } : {}),
      table_phys_base: p.int(cfg, "table_phys_base", cw, PHYS_LIMIT - 1),
    };
    if (config.table_phys_base % 0x10000 !== 0) p.fail(`${cw} field table_phys_base`, "must be 64 KiB aligned");
    const alloc = co["alloc"] === undefined ? null : p.obj(co["alloc"], `${where} field alloc`);
    if (alloc !== null && typeof alloc["ok"] !== "boolean") p.fail(`${where} alloc field ok`, "must be true or false");
    const opsRaw = co["ops"] ?? [];
    if (!Array.isArray(opsRaw)) p.fail(`${where} field ops`, "must be a list");
    const ops = opsRaw.map((o, oi): OracleOpRecord => {
      const ow = `${where} op ${oi}`;
      const oo = p.obj(o, ow);
      const kind = oo["op"];
      let input: OracleOp;
      switch (kind) {
        case "map":
          input = perPage
            ? { op: "map", iova: p.int(oo, "iova", ow), paddr: p.int(oo, "paddr", ow), pgsize: p.int(oo, "size", ow), pgcount: 1, prot: p.int(oo, "prot", ow, U32) }
            : { op: "map", iova: p.int(oo, "iova", ow), paddr: p.int(oo, "paddr", ow), pgsize: p.int(oo, "pgsize", ow), pgcount: p.int(oo, "pgcount", ow, 1 << 24), prot: p.int(oo, "prot", ow, U32) };
          break;
        case "unmap": {
          if (perPage) {
            input = { op: "unmap", iova: p.int(oo, "iova", ow), pgsize: p.int(oo, "size", ow), pgcount: 1, gather: "none" };
          } else {
            const g = oo["gather"];
            if (g !== "gather" && g !== "none" && g !== "queued") p.fail(`${ow} field gather`, `must be "gather", "none" or "queued", got ${JSON.stringify(g)}`);
            input = { op: "unmap", iova: p.int(oo, "iova", ow), pgsize: p.int(oo, "pgsize", ow), pgcount: p.int(oo, "pgcount", ow, 1 << 24), gather: g };
          }
          break;
        }
        case "iova_to_phys":
          input = { op: "iova_to_phys", iova: p.int(oo, "iova", ow) };
          break;
        case "dump":
          input = { op: "dump" };
          break;
        case "free":
          input = { op: "free" };
          break;
        default:
          p.fail(`${ow} field op`, `must be map, unmap, iova_to_phys, dump or free, got ${JSON.stringify(kind)}`);
      }
      const expect = oo["expect"] === undefined ? null : p.obj(oo["expect"], `${ow} field expect`);
      if (expect !== null && kind === "dump") p.dump(expect, `${ow} field expect`);
      return { input, raw: oo, expect, tlb: p.log(oo, "tlb", ow), warn: p.log(oo, "warn", ow), dma: p.log(oo, "dma", ow) };
    });
    const final = co["final"] === undefined ? null : p.dump(co["final"], `${where} field final`);
    return { name, raw: co, config, alloc, ops, final };
  });
  return { file, format, family, raw: root, cases };
}

// ---- running -------------------------------------------------------------------------------------------

export interface CaseResult {
  readonly name: string;
  readonly alloc: Obj;
  readonly ops: Obj[];
  readonly final: Dump | null;
  /** The table after the last op (freed if the case ends with `free`), for dumps and pretty-printing. */
  readonly engine: V7sPageTable | null;
}

export interface RunOptions {
  /** Era to run under; default: the document's format. */
  readonly era?: EraName;
  /** Stop before this op index (for `dump --at`). */
  readonly stopAt?: number;
  /** Only this case index. */
  readonly caseIndex?: number;
}

const ORACLE_PLATFORM = customPlatform("oracle-35bit", [{ start: 0, end: PHYS_LIMIT }]);

function eraFor(doc: OracleDoc, opts: RunOptions): Era {
  if (opts.era !== undefined) return eraProfile(opts.era);
  return eraProfile(doc.family);
}

interface Logs {
  tlb: LogEntry[];
  warn: LogEntry[];
  dma: LogEntry[];
}

function makeEnv(era: Era, mem: ArenaTableMemory, logs: Logs): EngineEnv {
  return {
    era,
    mem,
    tlb: {
      tlbFlushAll: () => void logs.tlb.push(["flush_all"]),
      tlbFlushWalk: (iova, size, granule) => void logs.tlb.push(["flush_walk", iova, size, granule]),
      tlbAddPage: (gather, iova, granule) => void logs.tlb.push(["add_page", iova, granule, gather !== null]),
      tlbAddFlush: (iova, size, granule, leaf) => void logs.tlb.push(["add_flush", iova, size, granule, leaf]),
      tlbSync: () => void logs.tlb.push(["sync"]),
    },
    dma: {
      mapSingle: (pa, bytes) => {
        logs.dma.push(["map_single", bytes]);
        return pa;
      },
      unmapSingle: (_pa, bytes) => void logs.dma.push(["unmap_single", bytes]),
      syncForDevice: (at, n) => void logs.dma.push(["sync", at.l1Index, at.l2Index, n]),
    },
    log: { warn: (kind, text) => void logs.warn.push([kind, text]), error: () => {} },
  };
}

/** `obj` with its keys in the order `template` has them (then any others), so output diffs cleanly. */
function inOrderOf(template: Obj, obj: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(template)) if (Object.hasOwn(obj, k)) out[k] = obj[k] as Json;
  for (const k of Object.keys(obj)) if (!Object.hasOwn(out, k)) out[k] = obj[k] as Json;
  return out;
}

const GATHERS: Readonly<Record<GatherMode, IotlbGather | null>> = {
  gather: { queued: false },
  queued: { queued: true },
  none: null,
};

export function runCase(doc: OracleDoc, ci: number, opts: RunOptions = {}): CaseResult {
  const c = doc.cases[ci];
  if (c === undefined) throw new RangeError(`case index ${ci} outside 0..${doc.cases.length - 1}`);
  const era = eraFor(doc, opts);
  const perPage = V7S_TEXTS[doc.family].mapOps === "per-page";
  const phys = new PhysMemory(ORACLE_PLATFORM);
  const mem = new ArenaTableMemory(phys, c.config.table_phys_base);
  const logs: Logs = { tlb: [], warn: [], dma: [] };
  const env = makeEnv(era, mem, logs);
  const cfg: V7sConfig = {
    ias: c.config.ias,
    oas: c.config.oas,
    quirks: c.config.quirks,
    pgsizeBitmap: c.config.pgsize_bitmap,
    coherentWalk: c.config.coherent_walk ?? false,
  };
  const res = allocV7s(cfg, env);
  const take = (): Logs => {
    const out = { tlb: logs.tlb, warn: logs.warn, dma: logs.dma };
    logs.tlb = [];
    logs.warn = [];
    logs.dma = [];
    return out;
  };
  if (!res.ok) return { name: c.name, alloc: inOrderOf(c.alloc ?? {}, { ok: false, ...take() }), ops: [], final: null, engine: null };
  const t = res.table;
  const o = t.out;
  const alloc: Obj = inOrderOf(c.alloc ?? {}, {
    ok: true,
    pgsize_bitmap: o.pgsizeBitmap,
    tcr: o.tcr,
    prrr: o.prrr,
    nmrr: o.nmrr,
    ttbr: o.ttbr,
    ...(o.ttbr1 !== undefined ? { ttbr1: o.ttbr1 } : {}),
    pgd_phys: o.pgdPhys,
    l1_entries: o.l1Entries,
    ...take(),
  });
  const ops: Obj[] = [];
  let final: Dump | null = null;
  const stop = Math.min(opts.stopAt ?? c.ops.length, c.ops.length);
  for (let oi = 0; oi < stop; oi++) {
    const rec = c.ops[oi] as OracleOpRecord;
    const op = rec.input;
    const { expect: _e, tlb: _t, warn: _w, dma: _d, ...inputs } = rec.raw;
    let expect: Obj;
    switch (op.op) {
      case "map":
        if (perPage) expect = { ret: t.map(op.iova, op.paddr, op.pgsize, op.prot) };
        else {
          const ret = t.mapPagesRet(op.iova, op.paddr, op.pgsize, op.pgcount, op.prot, GFP_ATOMIC);
          expect = { ret, mapped: t.lastMapped };
        }
        break;
      case "unmap":
        expect = { unmapped: perPage ? t.unmap(op.iova, op.pgsize) : t.unmapPages(op.iova, op.pgsize, op.pgcount, GATHERS[op.gather]) };
        break;
      case "iova_to_phys":
        expect = { phys: t.iovaToPhys(op.iova) };
        break;
      case "dump":
        ops.push(inOrderOf(rec.raw, { ...inputs, expect: dumpTable(t) as unknown as Obj }));
        continue;
      case "free":
        final = dumpTable(t);
        t.free();
        expect = {};
        break;
    }
    ops.push(inOrderOf(rec.raw, { ...inputs, expect, ...take() }));
  }
  if (final === null && !t.isFreed) final = dumpTable(t);
  return { name: c.name, alloc, ops, final, engine: t };
}

/** Results in the document's own format: the same cases and ops, with `expect` and the logs as observed. */
export function runOracle(doc: OracleDoc, opts: RunOptions = {}): { doc: Obj; results: CaseResult[] } {
  const results = doc.cases.map((_, ci) => runCase(doc, ci, opts));
  const cases = results.map((r, ci) => {
    const raw = (doc.cases[ci] as OracleCase).raw;
    const out: Obj = { name: raw["name"] ?? r.name, description: raw["description"] ?? "", config: raw["config"] ?? {}, alloc: r.alloc, ops: r.ops };
    if (r.final !== null) out["final"] = r.final as unknown as Obj;
    return inOrderOf(raw, out);
  });
  const out: Obj = { ...doc.raw, cases };
  const ks = doc.raw["kernel_selftest"];
  if (isObj(ks)) {
    const st = runSelftest(opts.era ?? doc.family);
    out["kernel_selftest"] = { ...ks, kernel_selftest_ret: selftestRet(st), warn: st.warnings.map((w) => ["WARN", w]) };
  }
  return { doc: inOrderOf(doc.raw, out), results };
}

// ---- checking ------------------------------------------------------------------------------------------

export interface Difference {
  readonly caseIndex: number;
  readonly caseName: string;
  /** Op index, or "alloc" / "final". */
  readonly op: number | "alloc" | "final";
  readonly field: string;
  readonly expected: Json;
  readonly actual: Json;
}

export interface CheckReport {
  readonly total: number;
  readonly passed: number;
  /** The first difference of every failing case, in case order. */
  readonly failures: Difference[];
}

export interface CheckOptions extends RunOptions {
  /** Compare WARN logs too (the vectors call them optional). Default true. */
  readonly warn?: boolean;
}

function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/** The first element where two logs or dump lists differ, for a readable report. */
function firstListDiff(field: string, exp: Json[], act: Json[]): { field: string; expected: Json; actual: Json } {
  const n = Math.max(exp.length, act.length);
  for (let i = 0; i < n; i++) {
    if (!jsonEqual(exp[i], act[i])) return { field: `${field}[${i}]`, expected: exp[i] ?? null, actual: act[i] ?? null };
  }
  return { field, expected: exp, actual: act };
}

function dumpDiff(field: string, exp: Dump, act: Dump): { field: string; expected: Json; actual: Json } | null {
  for (const k of ["l1", "l2"] as const) {
    if (!jsonEqual(exp[k] as Json, act[k] as Json)) return firstListDiff(`${field}.${k}`, exp[k] as Json[], act[k] as Json[]);
  }
  if (exp.l2_tables_live !== act.l2_tables_live) return { field: `${field}.l2_tables_live`, expected: exp.l2_tables_live, actual: act.l2_tables_live };
  return null;
}

function logDiff(rec: { tlb: LogEntry[] | null; warn: LogEntry[] | null; dma: LogEntry[] | null }, act: Obj, warn: boolean): { field: string; expected: Json; actual: Json } | null {
  for (const k of ["tlb", "dma", "warn"] as const) {
    if (k === "warn" && !warn) continue;
    const e = rec[k];
    if (e === null) continue;
    const a = (act[k] ?? []) as Json[];
    if (!jsonEqual(e, a)) return firstListDiff(k, e, a);
  }
  return null;
}

function caseDiff(c: OracleCase, r: CaseResult, ci: number, warn: boolean): Difference | null {
  const mk = (op: Difference["op"], d: { field: string; expected: Json; actual: Json }): Difference => ({ caseIndex: ci, caseName: c.name, op, ...d });
  if (c.alloc !== null) {
    const ea = c.alloc;
    const aa = r.alloc;
    if (ea["ok"] !== aa["ok"]) return mk("alloc", { field: "ok", expected: ea["ok"] ?? null, actual: aa["ok"] ?? null });
    if (ea["ok"] === true) {
      for (const k of ["pgsize_bitmap", "tcr", "prrr", "nmrr", "l1_entries", "ttbr1"]) {
        if (ea[k] !== undefined && ea[k] !== aa[k]) return mk("alloc", { field: k, expected: ea[k], actual: aa[k] ?? null });
      }
      // TTBR embeds the pgd's address: compare its bits relative to each side's own pgd.
      if (typeof ea["ttbr"] === "number" && typeof ea["pgd_phys"] === "number") {
        const rel = (ttbr: number, pgd: number): number => (ttbr - (pgd % 2 ** 32)) >>> 0;
        const er = rel(ea["ttbr"], ea["pgd_phys"]);
        const ar = rel(aa["ttbr"] as number, aa["pgd_phys"] as number);
        if (er !== ar) return mk("alloc", { field: "ttbr (relative to pgd_phys)", expected: er, actual: ar });
      }
    }
    const d = logDiff({ tlb: (ea["tlb"] ?? null) as LogEntry[] | null, warn: (ea["warn"] ?? null) as LogEntry[] | null, dma: (ea["dma"] ?? null) as LogEntry[] | null }, aa, warn);
    if (d) return mk("alloc", d);
  }
  for (let oi = 0; oi < c.ops.length; oi++) {
    const rec = c.ops[oi] as OracleOpRecord;
    const act = r.ops[oi];
    if (act === undefined) return mk(oi, { field: "op", expected: rec.input.op, actual: null });
    const ae = act["expect"] as Obj;
    if (rec.expect !== null) {
      if (rec.input.op === "dump") {
        const d = dumpDiff("dump", rec.expect as unknown as Dump, ae as unknown as Dump);
        if (d) return mk(oi, d);
      } else {
        for (const k of Object.keys(rec.expect)) {
          if (!jsonEqual(rec.expect[k], ae[k])) return mk(oi, { field: k, expected: rec.expect[k] ?? null, actual: ae[k] ?? null });
        }
      }
    }
    const d = logDiff(rec, act, warn);
    if (d) return mk(oi, d);
  }
  if (c.final !== null) {
    if (r.final === null) return mk("final", { field: "final", expected: "a dump", actual: null });
    const d = dumpDiff("final", c.final, r.final);
    if (d) return mk("final", d);
  }
  return null;
}

export function checkOracle(doc: OracleDoc, opts: CheckOptions = {}): CheckReport {
  const failures: Difference[] = [];
  let passed = 0;
  const ks = doc.raw["kernel_selftest"];
  if (isObj(ks) && typeof ks["kernel_selftest_ret"] === "number") {
    const ret = selftestRet(runSelftest(opts.era ?? doc.family));
    if (ret !== ks["kernel_selftest_ret"]) {
      failures.push({ caseIndex: -1, caseName: "kernel_selftest", op: "alloc", field: "kernel_selftest_ret", expected: ks["kernel_selftest_ret"], actual: ret });
    }
  }
  doc.cases.forEach((c, ci) => {
    const d = caseDiff(c, runCase(doc, ci, opts), ci, opts.warn ?? true);
    if (d === null) passed++;
    else failures.push(d);
  });
  return { total: doc.cases.length, passed, failures };
}

export function describeDifference(d: Difference): string {
  const at = typeof d.op === "number" ? `op ${d.op}` : d.op;
  return `case ${d.caseIndex} (${d.caseName}) ${at} field ${d.field}: expected ${JSON.stringify(d.expected)}, actual ${JSON.stringify(d.actual)}`;
}
