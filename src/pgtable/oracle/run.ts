// SPDX-License-Identifier: GPL-2.0-only
/**
 * Running a `v7s-oracle/1` document: every case through the engine on the vector harness's memory model
 * (ArenaTableMemory at config.table_phys_base over a RAM window covering the whole 35-bit space),
 * results in the document's own format (expectations and logs as observed, keys in the file's order).
 */
import { era as eraProfile, type Era, type EraName } from "../../core/era.ts";
import { EFAULT, EINVAL } from "../../core/errors.ts";
import { GFP_ATOMIC } from "../../mm/gfp.ts";
import { PHYS_LIMIT, PhysMemory } from "../../phys/memory.ts";
import { customPlatform } from "../../phys/platform.ts";
import { ArenaTableMemory } from "../../strategies/arena.ts";
import { dumpTable, type Dump } from "../dump.ts";
import { allocV7s } from "../engine.ts";
import { runSelftest, type SelftestResult } from "../selftest.ts";
import { V7S_TEXTS } from "../text.ts";
import type { EngineEnv, IotlbGather, V7sConfig, V7sPageTable } from "../types.ts";
import { isObj, type GatherMode, type Json, type LogEntry, type Obj, type OracleCase, type OracleDoc, type OracleOpRecord } from "./document.ts";

/** arm_v7s_do_selftests' return value: 0, -EINVAL when the table cannot be allocated, else -EFAULT. */
export function selftestRet(r: SelftestResult): number {
  if (r.ok) return 0;
  return r.step.startsWith("selftest: failed to allocate") ? -EINVAL : -EFAULT;
}

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
