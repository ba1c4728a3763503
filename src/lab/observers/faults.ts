// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fault attribution: for each device fault of a replayed trace, the last traced map and unmap that
 * covered its IOVA, and what the model's M4U would do with that page at that moment (TLB first, then
 * a probe of the simulated tables: no fill, no fault record, so the run is unchanged).
 *
 * Where a fault is judged: an `iommu:io_page_fault` line at its place in the trace; a pasted dmesg line
 * before the first traced call whose timestamp is later than its own. That assumes dmesg and the trace
 * share a clock: printk stamps each record with local_clock() taken on entry
 * (0lxb/linux@47c51c32767e:kernel/printk/printk.c:vprintk_store, r.info->ts_nsec), and ftrace's
 * default clock is the first of kernel/trace/trace.c's trace_clocks[], trace_clock_local ("local"),
 * the same per-CPU sched_clock. So they agree for a trace recorded with the default clock in the same
 * boot; not with trace_clock=global/mono/boot/counter, nor to better than the drift between CPUs.
 * Without timestamps on both sides, the fault is judged after the last replayed call, and says so.
 */
import { SZ_4K, hex } from "../../core/u32.ts";
import { WalkRecord } from "../../iommu/walker.ts";
import type { WorkloadEvent } from "../../workload/events.ts";
import type { DeviceFault } from "../../workload/faults.ts";
import type { System } from "../system.ts";
import type { FaultAttribution, FaultVerdict, TraceCallRef } from "../types.ts";
import { FaultHistory, type TraceCall } from "./fault-history.ts";
import type { Observer } from "./observer.ts";

/** Faults attributed per run; the rest are counted in a note (a fault storm repeats itself). */
export const MAX_ATTRIBUTED_FAULTS = 1000;

export interface FaultsOut {
  readonly faults: readonly FaultAttribution[];
  readonly notes: readonly string[];
}

export class FaultsObserver implements Observer<FaultsOut> {
  private readonly sys: System;
  private readonly history = new FaultHistory();
  /** Pasted faults in timestamp order (those without one last), and the next to judge. */
  private readonly pending: readonly DeviceFault[];
  private next = 0;
  private traceHasTimestamps = false;
  private lastLine = 0;
  private readonly out: FaultAttribution[] = [];
  private dropped = 0;
  private readonly rec = new WalkRecord();

  constructor(sys: System, pasted: readonly DeviceFault[] = []) {
    this.sys = sys;
    this.pending = [...pasted].sort((a, b) => (a.timestamp ?? Infinity) - (b.timestamp ?? Infinity));
  }

  /** A source event about to run (the experiment calls this before executing it). */
  event(ev: WorkloadEvent): void {
    if (ev.type === "iommuFault") {
      this.judge(ev.fault, "stream", `at trace line ${ev.line}, its place in the stream`);
      return;
    }
    if (ev.type !== "iommuMap" && ev.type !== "iommuUnmap") return;
    const ts = ev.ts ?? null;
    if (ts !== null) {
      this.traceHasTimestamps = true;
      for (let f = this.pending[this.next]; f !== undefined && f.timestamp !== null && f.timestamp < ts; f = this.pending[++this.next]) {
        this.judge(f, "timestamp", `before trace line ${ev.line} (${ts.toFixed(6)} s), the first traced call after ${f.timestamp.toFixed(6)} s`);
      }
    }
    const call: TraceCall = { line: ev.line, ts, iova: ev.iova, size: ev.size, paddr: ev.type === "iommuMap" ? ev.paddr : null };
    if (ev.type === "iommuMap") this.history.mapped(call);
    else this.history.unmapped(call);
    this.lastLine = ev.line;
  }

  finish(): FaultsOut {
    for (let f = this.pending[this.next]; f !== undefined; f = this.pending[++this.next]) {
      if (f.timestamp !== null && this.traceHasTimestamps)
        this.judge(f, "timestamp", `after the last replayed call: ${f.timestamp.toFixed(6)} s is later than every one`);
      else
        this.judge(
          f,
          "end",
          `after the last replayed call: ${f.timestamp === null ? "the line has no timestamp" : "the trace has no timestamps"} to place it by`,
        );
    }
    const notes = this.dropped > 0 ? [`faults: ${this.dropped} further device faults not attributed (the first ${MAX_ATTRIBUTED_FAULTS} are)`] : [];
    return { faults: this.out, notes };
  }

  private judge(f: DeviceFault, evaluatedAt: FaultAttribution["evaluatedAt"], when: string): void {
    if (this.out.length >= MAX_ATTRIBUTED_FAULTS) {
      this.dropped++;
      return;
    }
    const cover = this.history.at(f.iova);
    const lastMap = ref(cover.map);
    const lastUnmap = ref(cover.unmap);
    const v = this.verdict(f.iova, f.write, lastMap, lastUnmap);
    this.out.push({
      origin: f.origin,
      line: f.line,
      timestamp: f.timestamp,
      device: f.device,
      iova: f.iova,
      write: f.write,
      evaluatedAt,
      afterLine: this.lastLine,
      lastMap,
      lastUnmap,
      ...v,
      reason: `${v.reason}; judged ${when}`,
    });
  }

  private verdict(
    iova: number,
    write: boolean,
    lastMap: TraceCallRef | null,
    lastUnmap: TraceCallRef | null,
  ): Pick<FaultAttribution, "verdict" | "modelFaults" | "walkPa" | "walkFault" | "tlbPa" | "reason"> {
    const none = { walkPa: null, walkFault: null, tlbPa: null };
    if (iova >= this.sys.iovaLimit)
      return { verdict: "unmapped", modelFaults: true, ...none, reason: `IOVA ${hex(iova)} is outside the M4U's 2^${this.sys.m4u.config.ias} input range` };
    const d = this.sys.domain;
    if (!d.ok) return { verdict: "unmapped", modelFaults: true, ...none, reason: `no domain: ${d.refusal.text}` };
    const m4u = this.sys.m4u;
    const rec = this.rec;
    const ok = m4u.probePageInto(rec, iova / SZ_4K);
    const walkPa = ok ? rec.pa : null;
    const walkFault = ok ? null : rec.fault;
    const walkText = ok
      ? `the walk reaches ${hex(rec.pa)}`
      : `the walk faults (${rec.fault} at L${rec.level}, descriptor ${hex(rec.descriptor)} at ${hex(rec.descriptorPa)})`;
    const hit = m4u.tlbPeek(iova);
    const tlbPa = hit === undefined ? null : hit.paBase + (iova - hit.iovaBase);
    const w = { walkPa, walkFault, tlbPa };
    if (tlbPa !== null && tlbPa !== walkPa) {
      const flush =
        lastUnmap !== null && (lastMap === null || lastUnmap.line > lastMap.line)
          ? `the flush of the unmap at line ${lastUnmap.line} did not reach it`
          : "no flush dropped it";
      return { verdict: "stale-tlb", modelFaults: false, ...w, reason: `the TLB still translates it to ${hex(tlbPa)} but ${walkText}: ${flush}` };
    }
    const table = d.domain.table;
    const l1 = table.lookupL1(iova);
    // The hardware's pointers against where the tables are: PT_BASE to the L1 table, L1 to the L2 table.
    const l1Pa = table.out.pgdPhys;
    const badBase = m4u.l1TablePa !== l1Pa;
    const badL2 = l1.tablePa !== null && l1.descriptorTablePa !== null && l1.descriptorTablePa !== l1.tablePa;
    const badPointer = badBase || badL2;
    const pointerText = badBase
      ? `PT_BASE = ${hex(m4u.ptBaseRegister)} leads the M4U to ${hex(m4u.l1TablePa)} but the L1 table is at ${hex(l1Pa)} (the pointer lost the bits above 32: fit check off)`
      : badL2
        ? `L1[${l1.l1Index}] = ${hex(l1.pte)} points to ${hex(l1.descriptorTablePa ?? 0)} but its L2 table is at ${hex(l1.tablePa ?? 0)} (the pointer lost the bits above 32: fit check off)`
        : "";
    // The driver's own (CPU-side) tables: a page they do not map faults whatever the hardware walks.
    const l2 = (l1.pte & 3) === 1 ? table.readL2(iova) : null;
    const driverMaps = (l1.pte & 3) === 1 ? l2 !== null && (l2 & 3) !== 0 : (l1.pte & 3) !== 0;
    if (!driverMaps) {
      const story =
        lastMap === null
          ? "the trace never mapped it"
          : lastUnmap !== null && lastUnmap.line > lastMap.line
            ? `unmapped at line ${lastUnmap.line} after the map at line ${lastMap.line}`
            : `the map at line ${lastMap.line} is not in the tables (the model refused it)`;
      return { verdict: "unmapped", modelFaults: !ok, ...w, reason: `no live mapping (${story}); ${walkText}${badPointer ? `; besides, ${pointerText}` : ""}` };
    }
    if (badPointer) return { verdict: "bad-table-pointer", modelFaults: !ok, ...w, reason: `the driver's tables map it but ${pointerText}; ${walkText}` };
    if (!ok && rec.fault === "walk-bus-error")
      return { verdict: "bad-table-pointer", modelFaults: true, ...w, reason: `${walkText}: the table pointer leads outside RAM` };
    if (ok) {
      const from = tlbPa !== null ? " (the TLB agrees)" : "";
      return { verdict: "mapped", modelFaults: false, ...w, reason: `the tables map it: ${walkText}${from}; the fault is not explained by the page tables` };
    }
    const kind: FaultVerdict = rec.fault === "invalid-pa" ? "invalid-pa" : rec.fault === "permission" ? "permission" : "unmapped";
    if (kind !== "unmapped") return { verdict: kind, modelFaults: true, ...w, reason: `${walkText}${kind === "permission" && write ? " on a write" : ""}` };
    return { verdict: "unmapped", modelFaults: true, ...w, reason: `the driver's tables map it, yet ${walkText}` };
  }
}

function ref(c: TraceCall | null): TraceCallRef | null {
  return c === null ? null : { line: c.line, ts: c.ts, iova: c.iova, size: c.size, paddr: c.paddr };
}
