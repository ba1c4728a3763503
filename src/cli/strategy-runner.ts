// SPDX-License-Identifier: GPL-2.0-only
/**
 * A command's workload as the lab's event source (a scenario, or a trace streamed from disk through the
 * parser, so a trace of any length needs memory for the live state only), and one run of it. The loop
 * itself is the lab's (runExperiment); this file only opens files.
 */
import { performance } from "node:perf_hooks";
import { runExperiment, runExperiments, type ExperimentOptions, type ExperimentRun } from "../lab/experiment.ts";
import { scenarioSource, traceSource, type EventSource } from "../lab/source.ts";
import type { KernelViewName } from "../lab/kernel-views.ts";
import type { RunSpec } from "../lab/spec.ts";
import type { StrategyResult } from "../lab/types.ts";
import { loadScenario, type WorkloadSource } from "./options.ts";
import { openTrace } from "./trace-input.ts";
import { describeTraceQuality } from "../workload/trace-quality.ts";

/** One run: plain data, so it can be posted to a worker thread. */
export interface StrategyJob {
  readonly spec: RunSpec;
  readonly source: WorkloadSource;
  /** Progress bar for a streamed trace (only the in-process, single-strategy commands ask for one). */
  readonly progress?: boolean | "auto";
  /** Print the trace-quality line on stderr (one run of a comparison asks, so it is printed once). */
  readonly reportQuality?: boolean;
  /** Kernel views the command will show (all when absent). */
  readonly views?: readonly KernelViewName[];
}

export const clock = (): number => performance.now();

/**
 * Several runs over one workload: the source is opened, read and parsed (or the scenario expanded) once,
 * and every batch is fed to every spec's system (runExperiments). The specs share the seed the source
 * expands with; RunPool groups only specs of the same machine.
 */
export interface GroupJob {
  readonly specs: readonly RunSpec[];
  readonly source: WorkloadSource;
  /** As StrategyJob's: the line is printed once for the group, not once per system. */
  readonly reportQuality?: boolean;
  readonly views?: readonly KernelViewName[];
}

/** Opens the source for one pass: a scenario expands with the machine's seed. */
export function openSource(source: WorkloadSource, seed: number, progress: boolean | "auto" = false, reportQuality = progress !== false): EventSource {
  const scenario = loadScenario(source);
  if (scenario !== null) return scenarioSource(scenario, seed);
  if (source.kind !== "trace") throw new TypeError("openSource: a non-trace source without a scenario");
  // edges: a stream spooled once by the command is read from readPath, named as the user gave it.
  let printed = false;
  // With the trace's own fault lines and timestamps: faults are attributed where they occur.
  const input = openTrace(source.readPath ?? source.path, {
    skipMalformed: source.skipMalformed,
    progress,
    name: source.path === "-" ? "stdin" : source.path,
    faults: true,
  });
  return traceSource(input.name, () => input.batches(), {
    ...(source.faults === undefined ? {} : { pastedFaults: source.faults }),
    // TraceQuality for the report: input.quality(replay) (src/workload/trace-quality.ts).
    quality: (replay) => {
      const q = input.quality(replay);
      // Every system fed from this source asks; the line goes out once.
      if (reportQuality && !printed) process.stderr.write(describeTraceQuality(input.name, q) + "\n");
      printed = true;
      return { malformedLines: q.malformed.count };
    },
    replayOptions: (iovaBits) => ({ bounds: { iovaBits, iovaSource: `the platform's M4U (ias ${iovaBits})` } }),
  });
}

export function runJobFull(job: StrategyJob, options: ExperimentOptions = {}): Promise<ExperimentRun> {
  return runExperiment(job.spec, openSource(job.source, job.spec.machine.seed, job.progress ?? false, job.reportQuality ?? (job.progress ?? false) !== false), {
    clock,
    ...(job.views === undefined ? {} : { views: job.views }),
    ...options,
  });
}

/** The worker's unit: one run's result. */
export async function runJob(job: StrategyJob): Promise<StrategyResult> {
  return (await runJobFull(job)).result;
}

/** The worker's unit for a group: each spec's result, in the order of `specs`. */
export async function runGroup(job: GroupJob): Promise<StrategyResult[]> {
  const first = job.specs[0];
  if (first === undefined) return [];
  const runs = await runExperiments(job.specs, openSource(job.source, first.machine.seed, false, job.reportQuality ?? false), {
    clock,
    ...(job.views === undefined ? {} : { views: job.views }),
  });
  return runs.map((r) => r.result);
}
