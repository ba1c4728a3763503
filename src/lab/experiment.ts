// SPDX-License-Identifier: GPL-2.0-only
/**
 * THE experiment loop: events from any source into one or several systems, observed, until a stop rule
 * or the end of the source, then a StrategyResult per system.
 *
 *   source ──batches──▶ Experiment.feed ──▶ (TraceReplayer, replay sources) ──▶ Executor.apply ──▶ System
 *                                                                                   │
 *                                                      observers ◀── mapped/accessed/phase/settled
 *
 * `runExperiments(specs, source)` reads the source once and feeds every batch to every system (the
 * parse-once fan-out); `runExperiment` is the one-system case, `runExperimentSync` the same loop for a
 * source that is not asynchronous (scenarios, event lists).
 */
import type { TraceEvent, WorkloadEvent } from "../workload/events.ts";
import { TraceReplayer, type ReplayStats } from "../workload/replay.ts";
import { Executor } from "./executor.ts";
import { AttributionObserver } from "./observers/attribution.ts";
import { FaultsObserver } from "./observers/faults.ts";
import { EMPTY_PLAN, FaultTimeline, type BatchPlan, type Judgement } from "./observers/fault-timeline.ts";
import { MessagesObserver } from "./observers/messages.ts";
import type { Observer } from "./observers/observer.ts";
import { OccupancyObserver } from "./observers/occupancy.ts";
import { SamplesObserver } from "./observers/samples.ts";
import { StrayDmaObserver } from "./observers/stray-dma.ts";
import { TablesObserver } from "./observers/tables.ts";
import { VerifyObserver } from "./observers/verify.ts";
import type { KernelViewName } from "./kernel-views.ts";
import { assembleResult } from "./result.ts";
import type { EventSource, InputQuality, SyncEventSource } from "./source.ts";
import type { RunSpec } from "./spec.ts";
import { bootSystem, type BootOptions, type System } from "./system.ts";
import type { StrategyResult } from "./types.ts";

/**
 * When to stop feeding a system, checked before each source event:
 * - "end": run the whole source;
 * - "after-events": stop once `events` source events have gone in;
 * - "before-phase": stop at the start of the named phase (the event is not executed);
 * - "after-line": stop before the first trace event from a line after `line` (trace sources).
 */
export type StopRule =
  | { readonly kind: "end" }
  | { readonly kind: "after-events"; readonly events: number }
  | { readonly kind: "before-phase"; readonly phase: string }
  | { readonly kind: "after-line"; readonly line: number };

export interface Stop {
  /** Which rule ended the run ("end": the source ran out). */
  readonly reason: StopRule["kind"];
  /** Source events that went in. */
  readonly events: number;
}

export interface ExperimentOptions {
  readonly until?: StopRule;
  /** Boot options for every spec booted here (a system passed in is already booted). */
  readonly boot?: BootOptions;
  /**
   * Wall clock for runTimeMs; without one runTimeMs is null. With one system runTimeMs is the whole run
   * (reading the source included); with several sharing a source, each system's own boot, feeding and
   * finish (the shared reading is nobody's).
   */
  readonly clock?: () => number;
  readonly maxSamples?: number;
  /** Kernel views to collect at the end of each run (all when absent; report/views.ts selects). */
  readonly views?: readonly KernelViewName[];
  /** Further observers per system; their outputs come back in `extras`, in order. */
  readonly observers?: (system: System) => readonly Observer<unknown>[];
}

export interface ExperimentRun {
  readonly system: System;
  readonly result: StrategyResult;
  readonly stop: Stop;
  /** The trace replayer's counters (replay-mode sources), null otherwise. */
  readonly replay: ReplayStats | null;
  readonly extras: readonly unknown[];
}

const TRACE_TYPES = new Set<WorkloadEvent["type"]>(["iommuMap", "iommuUnmap"]);

/** One system being fed: the executor, its observers, the replayer of a replay source, the stop rule. */
class Experiment {
  private readonly system: System;
  private readonly executor: Executor;
  private readonly messages: MessagesObserver;
  private readonly verify: VerifyObserver;
  private readonly stray: StrayDmaObserver;
  private readonly samples: SamplesObserver;
  private readonly occupancy: OccupancyObserver;
  private readonly tables: TablesObserver;
  private readonly attribution: AttributionObserver;
  private readonly extra: readonly Observer<unknown>[];
  private readonly replayer: TraceReplayer | null;
  /** Replay sources: this system's verdicts on the faults the shared timeline judges. */
  private readonly faults: FaultsObserver | null;
  private readonly timeline: FaultTimeline | null;
  private readonly until: StopRule;
  private readonly views: readonly KernelViewName[] | undefined;
  private readonly clock: (() => number) | null;
  private readonly startedAt: number;
  /** Time inside this system's own work, when it shares the source with others (null: alone). */
  private own: number | null;
  private finishAt = 0;
  private consumed = 0;
  private stopped: Stop["reason"] | null = null;

  constructor(item: RunSpec | System, source: EventSource, options: ExperimentOptions, timeline: FaultTimeline | null, shared = false) {
    this.clock = options.clock ?? null;
    this.startedAt = this.clock?.() ?? 0;
    this.own = shared && this.clock !== null ? 0 : null;
    const system = "spec" in item ? item : bootSystem(item, options.boot ?? {});
    this.system = system;
    this.messages = new MessagesObserver(system);
    this.verify = new VerifyObserver(system);
    this.stray = new StrayDmaObserver(system);
    this.samples = new SamplesObserver(system, options.maxSamples);
    this.occupancy = new OccupancyObserver(system);
    this.tables = new TablesObserver(system);
    this.extra = options.observers?.(system) ?? [];
    this.attribution = new AttributionObserver(system);
    this.executor = new Executor(system, [this.messages, this.verify, this.stray, this.samples, this.occupancy, this.tables, this.attribution, ...this.extra]);
    this.replayer =
      source.mode === "replay"
        ? new TraceReplayer(this.executor.replaySink(), { fileName: source.name, ...source.replayOptions?.(system.m4u.config.ias) })
        : null;
    this.timeline = timeline;
    this.faults = timeline === null ? null : new FaultsObserver(system);
    this.until = options.until ?? { kind: "end" };
    this.views = options.views;
    // Boot (and the observers' set-up) is this system's own.
    if (this.own !== null) this.own = (this.clock as () => number)() - this.startedAt;
  }

  get done(): boolean {
    return this.stopped !== null;
  }

  /** Feeds one batch (with the timeline's fault judgements for it); false once the stop rule has fired. */
  feed(batch: readonly WorkloadEvent[], plan: BatchPlan): boolean {
    if (this.stopped !== null) return false;
    if (this.own === null) return this.feedEvents(batch, plan);
    const t0 = (this.clock as () => number)();
    const more = this.feedEvents(batch, plan);
    this.own += (this.clock as () => number)() - t0;
    return more;
  }

  private feedEvents(batch: readonly WorkloadEvent[], plan: BatchPlan): boolean {
    const u = this.until;
    const checkStop = u.kind !== "end";
    const replayer = this.replayer;
    const faults = this.faults;
    let k = 0;
    let judgeAt = plan.at[0] ?? -1;
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i] as WorkloadEvent;
      if (checkStop && stopsBefore(u, ev, this.consumed)) {
        this.stopped = u.kind;
        return false;
      }
      for (; judgeAt === i; judgeAt = plan.at[++k] ?? -1) faults?.judge(plan.judgements[k] as Judgement);
      const type = ev.type;
      // A device fault is judged (above), never executed.
      if (replayer !== null && (type === "iommuMap" || type === "iommuUnmap")) replayer.apply(ev);
      else if (type !== "iommuFault") this.executor.apply(ev);
      this.consumed++;
    }
    return true;
  }

  /** Boot + feeding + finish so far: all of it alone, or this system's own share of a shared source. */
  private runTime(): number {
    const now = (this.clock as () => number)();
    return this.own === null ? now - this.startedAt : this.own + (now - this.finishAt);
  }

  finish(source: EventSource): ExperimentRun {
    if (this.clock !== null) this.finishAt = this.clock();
    const r = this.replayer;
    const quality: InputQuality | null = source.quality?.(r === null ? null : r.stats) ?? null;
    if (r !== null) {
      const log = this.messages.log;
      const st = r.stats;
      if (st.unknownUnmaps > 0) log.add(`replay: ${st.unknownUnmaps} unmaps of ranges the trace never mapped (counted, not replayed)`);
      if (quality !== null && quality.malformedLines > 0) log.add(`replay: ${quality.malformedLines} malformed trace lines skipped`);
      for (const m of st.messages) log.add(`replay: ${m}`);
    }
    const end = { events: this.executor.events, live: this.executor.liveMappings() };
    const t = this.timeline;
    if (t !== null) {
      for (const j of t.finish()) this.faults?.judge(j);
      for (const m of t.notes) this.messages.log.add(m);
    }
    const faults = this.faults?.finish() ?? null;
    const result = assembleResult(this.system, {
      messages: this.messages.finish(),
      verify: this.verify.finish(end),
      stray: this.stray.finish(),
      samples: this.samples.finish(end),
      occupancy: this.occupancy.finish(),
      tables: this.tables.finish(),
      attribution: this.attribution.finish(),
      bufferFailures: this.executor.bufferFailures,
      devices: this.executor.deviceStats,
      runTimeMs: this.clock === null ? null : this.runTime(),
      deviceFaults: faults ?? [],
      views: this.views,
    });
    const extras = this.extra.map((o) => o.finish(end));
    return { system: this.system, result, stop: { reason: this.stopped ?? "end", events: this.consumed }, replay: r === null ? null : r.stats, extras };
  }
}

/** Reads `source` once, feeding each batch to every system; results keep the order of `items`. */
export async function runExperiments(items: readonly (RunSpec | System)[], source: EventSource, options: ExperimentOptions = {}): Promise<ExperimentRun[]> {
  const shared = items.length > 1;
  const timeline = faultTimeline(source);
  const runs = items.map((it) => new Experiment(it, source, options, timeline, shared));
  const feed = feeder(runs, timeline, options.until ?? END);
  for await (const batch of source.batches()) if (!feed(batch)) break;
  return runs.map((x) => x.finish(source));
}

export async function runExperiment(item: RunSpec | System, source: EventSource, options: ExperimentOptions = {}): Promise<ExperimentRun> {
  const [run] = await runExperiments([item], source, options);
  if (run === undefined) throw new TypeError("runExperiment: no run");
  return run;
}

/** The same loop for a synchronous source. */
export function runExperimentSync(item: RunSpec | System, source: SyncEventSource, options: ExperimentOptions = {}): ExperimentRun {
  const timeline = faultTimeline(source);
  const x = new Experiment(item, source, options, timeline);
  const feed = feeder([x], timeline, options.until ?? END);
  for (const batch of source.batches()) if (!feed(batch)) break;
  return x.finish(source);
}

const END: StopRule = { kind: "end" };

/** Whether the rule stops the run before `ev`, after `consumed` source events went in. */
function stopsBefore(u: StopRule, ev: WorkloadEvent, consumed: number): boolean {
  return (
    (u.kind === "after-events" && consumed >= u.events) ||
    (u.kind === "before-phase" && ev.type === "phase" && ev.phase === u.phase) ||
    (u.kind === "after-line" && TRACE_TYPES.has(ev.type) && (ev as TraceEvent).line > u.line)
  );
}

/** Replay sources attribute device faults: one timeline for every system fed from the source. */
function faultTimeline(source: EventSource | SyncEventSource): FaultTimeline | null {
  return source.mode === "replay" ? new FaultTimeline(source.pastedFaults) : null;
}

/**
 * Feeds a batch to every system, after planning its fault judgements once (the timeline applies the
 * same stop rule, so it stops where the systems do). False once every system has stopped.
 */
function feeder(runs: readonly Experiment[], timeline: FaultTimeline | null, until: StopRule): (batch: readonly WorkloadEvent[]) => boolean {
  let consumed = 0;
  // As each Experiment does, the rule is not tested per event when the run goes to the end.
  const stops = until.kind === "end" ? null : (ev: WorkloadEvent, n: number): boolean => stopsBefore(until, ev, n);
  return (batch) => {
    const plan = timeline === null ? EMPTY_PLAN : timeline.plan(batch, stops, consumed);
    consumed += batch.length;
    let any = false;
    for (const x of runs) {
      x.feed(batch, plan);
      if (!x.done) any = true;
    }
    return any;
  };
}
