// SPDX-License-Identifier: GPL-2.0-only
/**
 * The half of fault attribution that depends on the trace alone: when each device fault is judged, and
 * the last traced map and unmap that covered its IOVA at that moment. It is worked out once per source
 * (not once per system fed from it) in a pass over each batch before the systems run it; each system's
 * FaultsObserver then gives the verdict of its own tables at the planned event.
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
import type { WorkloadEvent } from "../../workload/events.ts";
import type { DeviceFault } from "../../workload/faults.ts";
import type { FaultAttribution, TraceCallRef } from "../types.ts";
import { FaultHistory, type TraceCall } from "./fault-history.ts";

/** Faults attributed per run; the rest are counted in a note (a fault storm repeats itself). */
export const MAX_ATTRIBUTED_FAULTS = 1000;

/** A fault to judge, with everything about it that the trace alone decides. */
export interface Judgement {
  readonly fault: DeviceFault;
  readonly evaluatedAt: FaultAttribution["evaluatedAt"];
  /** How the moment was chosen, for the reason text. */
  readonly when: string;
  /** The last traced call before the moment. */
  readonly afterLine: number;
  readonly lastMap: TraceCallRef | null;
  readonly lastUnmap: TraceCallRef | null;
}

/** The judgements of one batch: `judgements[k]` is made before the batch's event `at[k]` runs. */
export interface BatchPlan {
  readonly at: readonly number[];
  readonly judgements: readonly Judgement[];
}

export const EMPTY_PLAN: BatchPlan = { at: [], judgements: [] };

export class FaultTimeline {
  private readonly history = new FaultHistory();
  /** Pasted faults in timestamp order (those without one last), and the next to judge. */
  private readonly pending: readonly DeviceFault[];
  private next = 0;
  private traceHasTimestamps = false;
  private lastLine = 0;
  private judged = 0;
  private dropped = 0;
  private stopped = false;
  private final: readonly Judgement[] | null = null;

  constructor(pasted: readonly DeviceFault[] = []) {
    this.pending = [...pasted].sort((a, b) => (a.timestamp ?? Infinity) - (b.timestamp ?? Infinity));
  }

  /**
   * Plans one batch. `stopsBefore(ev, consumed)` is the run's stop rule (null: it runs to the end):
   * the systems stop before that event, so the timeline does too (and plans nothing after it).
   */
  plan(batch: readonly WorkloadEvent[], stopsBefore: ((ev: WorkloadEvent, consumed: number) => boolean) | null, consumedBefore: number): BatchPlan {
    if (this.stopped) return EMPTY_PLAN;
    const at: number[] = [];
    const judgements: Judgement[] = [];
    const add = (i: number, j: Judgement | null): void => {
      if (j === null) return;
      at.push(i);
      judgements.push(j);
    };
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i] as WorkloadEvent;
      if (stopsBefore !== null && stopsBefore(ev, consumedBefore + i)) {
        this.stopped = true;
        break;
      }
      if (ev.type === "iommuFault") {
        add(i, this.judge(ev.fault, "stream", `at trace line ${ev.line}, its place in the stream`));
        continue;
      }
      if (ev.type !== "iommuMap" && ev.type !== "iommuUnmap") continue;
      const ts = ev.ts ?? null;
      if (ts !== null) {
        this.traceHasTimestamps = true;
        for (let f = this.pending[this.next]; f !== undefined && f.timestamp !== null && f.timestamp < ts; f = this.pending[++this.next]) {
          add(i, this.judge(f, "timestamp", `before trace line ${ev.line} (${ts.toFixed(6)} s), the first traced call after ${f.timestamp.toFixed(6)} s`));
        }
      }
      const call: TraceCall = { line: ev.line, ts, iova: ev.iova, size: ev.size, paddr: ev.type === "iommuMap" ? ev.paddr : null };
      if (ev.type === "iommuMap") this.history.mapped(call);
      else this.history.unmapped(call);
      this.lastLine = ev.line;
    }
    return at.length === 0 ? EMPTY_PLAN : { at, judgements };
  }

  /** The faults left when the source ends or the run stops: judged after the last replayed call. */
  finish(): readonly Judgement[] {
    if (this.final !== null) return this.final;
    const out: Judgement[] = [];
    for (let f = this.pending[this.next]; f !== undefined; f = this.pending[++this.next]) {
      const j =
        f.timestamp !== null && this.traceHasTimestamps
          ? this.judge(f, "timestamp", `after the last replayed call: ${f.timestamp.toFixed(6)} s is later than every one`)
          : this.judge(
              f,
              "end",
              `after the last replayed call: ${f.timestamp === null ? "the line has no timestamp" : "the trace has no timestamps"} to place it by`,
            );
      if (j !== null) out.push(j);
    }
    this.final = out;
    return out;
  }

  /** Notes for the report (call after finish). */
  get notes(): readonly string[] {
    return this.dropped > 0 ? [`faults: ${this.dropped} further device faults not attributed (the first ${MAX_ATTRIBUTED_FAULTS} are)`] : [];
  }

  private judge(fault: DeviceFault, evaluatedAt: Judgement["evaluatedAt"], when: string): Judgement | null {
    if (this.judged >= MAX_ATTRIBUTED_FAULTS) {
      this.dropped++;
      return null;
    }
    this.judged++;
    const cover = this.history.at(fault.iova);
    return { fault, evaluatedAt, when, afterLine: this.lastLine, lastMap: ref(cover.map), lastUnmap: ref(cover.unmap) };
  }
}

function ref(c: TraceCall | null): TraceCallRef | null {
  return c === null ? null : { line: c.line, ts: c.ts, iova: c.iova, size: c.size, paddr: c.paddr };
}
