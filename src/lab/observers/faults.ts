// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fault attribution, the half that depends on the system: for each fault the FaultTimeline judges
 * (src/lab/observers/fault-timeline.ts: when, and the last traced map and unmap that covered it),
 * what this system's M4U would do with that page at that moment (TLB first, then a probe of the
 * simulated tables: no fill, no fault record, so the run is unchanged).
 */
import { SZ_4K, hex } from "../../core/u32.ts";
import { WalkRecord } from "../../iommu/walker.ts";
import type { System } from "../system.ts";
import type { FaultAttribution, FaultVerdict, TraceCallRef } from "../types.ts";
import type { Judgement } from "./fault-timeline.ts";

export class FaultsObserver {
  private readonly sys: System;
  private readonly out: FaultAttribution[] = [];
  private readonly rec = new WalkRecord();

  constructor(sys: System) {
    this.sys = sys;
  }

  /** Gives the verdict of this system's tables now, for a fault the timeline judges here. */
  judge(j: Judgement): void {
    const f = j.fault;
    const v = this.verdict(f.iova, f.write, j.lastMap, j.lastUnmap);
    this.out.push({
      origin: f.origin,
      line: f.line,
      timestamp: f.timestamp,
      device: f.device,
      iova: f.iova,
      write: f.write,
      evaluatedAt: j.evaluatedAt,
      afterLine: j.afterLine,
      lastMap: j.lastMap,
      lastUnmap: j.lastUnmap,
      ...v,
      reason: `${v.reason}; judged ${j.when}`,
    });
  }

  finish(): readonly FaultAttribution[] {
    return this.out;
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
