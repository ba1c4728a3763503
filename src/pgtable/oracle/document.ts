// SPDX-License-Identifier: GPL-2.0-only
/**
 * The golden-vector format `v7s-oracle/1` (and its `+v6.6` / `+v4.19` variants): the document's types
 * and its parser, which validates a JSON document and names the file, case, op and field of any fault.
 */
import type { PgtableFamily } from "../../core/era.ts";
import { InputError } from "../../core/errors.ts";
import { PHYS_LIMIT } from "../../phys/memory.ts";
import type { Dump, DumpEntry } from "../dump.ts";
import { V7S_TEXTS } from "../text.ts";

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

export type Obj = { [k: string]: Json };

export function isObj(v: unknown): v is Obj {
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
            ? {
                op: "map",
                iova: p.int(oo, "iova", ow),
                paddr: p.int(oo, "paddr", ow),
                pgsize: p.int(oo, "size", ow),
                pgcount: 1,
                prot: p.int(oo, "prot", ow, U32),
              }
            : {
                op: "map",
                iova: p.int(oo, "iova", ow),
                paddr: p.int(oo, "paddr", ow),
                pgsize: p.int(oo, "pgsize", ow),
                pgcount: p.int(oo, "pgcount", ow, 1 << 24),
                prot: p.int(oo, "prot", ow, U32),
              };
          break;
        case "unmap": {
          if (perPage) {
            input = { op: "unmap", iova: p.int(oo, "iova", ow), pgsize: p.int(oo, "size", ow), pgcount: 1, gather: "none" };
          } else {
            const g = oo["gather"];
            if (g !== "gather" && g !== "none" && g !== "queued")
              p.fail(`${ow} field gather`, `must be "gather", "none" or "queued", got ${JSON.stringify(g)}`);
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
