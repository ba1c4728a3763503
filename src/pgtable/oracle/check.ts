// SPDX-License-Identifier: GPL-2.0-only
/** Checking a `v7s-oracle/1` document: run it and report the first difference of every failing case. */
import type { Dump } from "../dump.ts";
import { runSelftest } from "../selftest.ts";
import { isObj, type Json, type LogEntry, type Obj, type OracleCase, type OracleDoc, type OracleOpRecord } from "./document.ts";
import { runCase, selftestRet, type CaseResult, type RunOptions } from "./run.ts";

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

function logDiff(
  rec: { tlb: LogEntry[] | null; warn: LogEntry[] | null; dma: LogEntry[] | null },
  act: Obj,
  warn: boolean,
): { field: string; expected: Json; actual: Json } | null {
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
    const d = logDiff(
      { tlb: (ea["tlb"] ?? null) as LogEntry[] | null, warn: (ea["warn"] ?? null) as LogEntry[] | null, dma: (ea["dma"] ?? null) as LogEntry[] | null },
      aa,
      warn,
    );
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
      failures.push({
        caseIndex: -1,
        caseName: "kernel_selftest",
        op: "alloc",
        field: "kernel_selftest_ret",
        expected: ks["kernel_selftest_ret"],
        actual: ret,
      });
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
