// SPDX-License-Identifier: GPL-2.0-only
/**
 * Event sources: where an experiment's events come from. A source yields batches of events, at once or
 * as they arrive (a trace streamed from disk is an AsyncIterable of the parser's batches), and says how
 * the system takes them:
 * - "direct": each event is executed as it is (a scenario, a hand-written event list);
 * - "replay": iommu:map / iommu:unmap events pass through a TraceReplayer first, which keeps the trace's
 *   own view of what is mapped and counts what does not add up (lost events, a trace started late).
 */
import { Rng } from "../core/rng.ts";
import type { DeviceFault } from "../workload/faults.ts";
import type { TraceRecord, WorkloadEvent } from "../workload/events.ts";
import { ReplayShare, type ReplayOptions, type ReplayStats } from "../workload/replay.ts";
import { expandScenario, type Scenario } from "../workload/scenario.ts";

/** What the reader of an input found wrong with it, for the run's messages. */
export interface InputQuality {
  /** Malformed iommu lines skipped. */
  readonly malformedLines: number;
}

interface SourceBase {
  readonly name: string;
  readonly mode: "direct" | "replay";
  /**
   * Read after the last batch, with the replayer's counters of the system asking (null in direct
   * mode), so an input's own findings and the replay's can be told together.
   */
  quality?(replay: ReplayStats | null): InputQuality;
  /**
   * Replay mode: options for each system's TraceReplayer (`fileName` defaults to `name`). A source's
   * own carry a ReplayShare, so the systems it feeds keep the trace's side of the replay once.
   */
  replayOptions?(iovaBits: number): ReplayOptions;
  /** Replay mode: faults from outside the trace (pasted dmesg lines) to attribute against it. */
  readonly pastedFaults?: readonly DeviceFault[];
}

export interface SyncEventSource extends SourceBase {
  /** Can be iterated once. */
  batches(): Iterable<readonly WorkloadEvent[]>;
}

export interface AsyncEventSource extends SourceBase {
  batches(): AsyncIterable<readonly WorkloadEvent[]>;
}

export type EventSource = SyncEventSource | AsyncEventSource;

const BATCH = 4096;

function* batched(events: Iterable<WorkloadEvent>): Generator<readonly WorkloadEvent[]> {
  let batch: WorkloadEvent[] = [];
  for (const ev of events) {
    batch.push(ev);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The scenario's events for this run: the same seed gives the same stream for every strategy. */
export function scenarioEvents(scenario: Scenario, seed: number): Iterable<WorkloadEvent> {
  return expandScenario(scenario, new Rng(seed));
}

export function scenarioSource(scenario: Scenario, seed: number): SyncEventSource {
  return { name: scenario.name, mode: "direct", batches: () => batched(scenarioEvents(scenario, seed)) };
}

/** Events in memory (tests, a generated workload), executed as they are unless `mode` says "replay". */
export function eventListSource(
  events: Iterable<WorkloadEvent>,
  options: { readonly name?: string; readonly mode?: "direct" | "replay"; readonly pastedFaults?: readonly DeviceFault[] } = {},
): SyncEventSource {
  const mode = options.mode ?? "direct";
  const src: SyncEventSource = { name: options.name ?? "events", mode, batches: () => batched(events), ...(mode === "replay" ? sharedReplay({}) : {}) };
  return options.pastedFaults === undefined ? src : { ...src, pastedFaults: options.pastedFaults };
}

/** `hooks` with replayOptions that hand every system fed from the source one ReplayShare. */
function sharedReplay<H extends Pick<SourceBase, "replayOptions">>(hooks: H): H & Required<Pick<SourceBase, "replayOptions">> {
  const share = new ReplayShare();
  const own = hooks.replayOptions;
  return { ...hooks, replayOptions: (iovaBits: number) => ({ ...own?.(iovaBits), share }) };
}

/** A trace delivered in batches as it is read; `quality` is asked once the last batch is in. */
export function traceSource(
  name: string,
  batches: () => AsyncIterable<readonly TraceRecord[]>,
  hooks: Pick<SourceBase, "quality" | "replayOptions" | "pastedFaults"> = {},
): AsyncEventSource {
  return { name, mode: "replay", batches, ...sharedReplay(hooks) };
}
