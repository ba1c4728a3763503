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
import { MessagesObserver } from "./observers/messages.ts";
import type { Observer } from "./observers/observer.ts";
import { OccupancyObserver } from "./observers/occupancy.ts";
import { SamplesObserver } from "./observers/samples.ts";
import { StrayDmaObserver } from "./observers/stray-dma.ts";
import { TablesObserver } from "./observers/tables.ts";
import { VerifyObserver } from "./observers/verify.ts";
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
  /** Wall clock for runTimeMs; without one runTimeMs is null. */
  readonly clock?: () => number;
  readonly maxSamples?: number;
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
  private readonly until: StopRule;
  private readonly clock: (() => number) | null;
  private readonly startedAt: number;
  private consumed = 0;
  private stopped: Stop["reason"] | null = null;

  constructor(item: RunSpec | System, source: EventSource, options: ExperimentOptions) {
    this.clock = options.clock ?? null;
    this.startedAt = this.clock?.() ?? 0;
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
    this.until = options.until ?? { kind: "end" };
  }

  get done(): boolean {
    return this.stopped !== null;
  }

  /** Feeds one batch; false once the stop rule has fired. */
  feed(batch: readonly WorkloadEvent[]): boolean {
    if (this.stopped !== null) return false;
    const u = this.until;
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i] as WorkloadEvent;
      if (
        (u.kind === "after-events" && this.consumed >= u.events) ||
        (u.kind === "before-phase" && ev.type === "phase" && ev.phase === u.phase) ||
        (u.kind === "after-line" && TRACE_TYPES.has(ev.type) && (ev as TraceEvent).line > u.line)
      ) {
        this.stopped = u.kind;
        return false;
      }
      if (this.replayer !== null && TRACE_TYPES.has(ev.type)) this.replayer.apply(ev as TraceEvent);
      else this.executor.apply(ev);
      this.consumed++;
    }
    return true;
  }

  finish(source: EventSource): ExperimentRun {
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
      runTimeMs: this.clock === null ? null : this.clock() - this.startedAt,
    });
    const extras = this.extra.map((o) => o.finish(end));
    return { system: this.system, result, stop: { reason: this.stopped ?? "end", events: this.consumed }, replay: r === null ? null : r.stats, extras };
  }
}

/** Reads `source` once, feeding each batch to every system; results keep the order of `items`. */
export async function runExperiments(items: readonly (RunSpec | System)[], source: EventSource, options: ExperimentOptions = {}): Promise<ExperimentRun[]> {
  const runs = items.map((it) => new Experiment(it, source, options));
  for await (const batch of source.batches()) if (!feedAll(runs, batch)) break;
  return runs.map((x) => x.finish(source));
}

export async function runExperiment(item: RunSpec | System, source: EventSource, options: ExperimentOptions = {}): Promise<ExperimentRun> {
  const [run] = await runExperiments([item], source, options);
  if (run === undefined) throw new TypeError("runExperiment: no run");
  return run;
}

/** The same loop for a synchronous source. */
export function runExperimentSync(item: RunSpec | System, source: SyncEventSource, options: ExperimentOptions = {}): ExperimentRun {
  const x = new Experiment(item, source, options);
  for (const batch of source.batches()) if (!feedAll([x], batch)) break;
  return x.finish(source);
}

/** False once every system has stopped (the source need not be read further). */
function feedAll(runs: readonly Experiment[], batch: readonly WorkloadEvent[]): boolean {
  let any = false;
  for (const x of runs) {
    x.feed(batch);
    if (!x.done) any = true;
  }
  return any;
}
