// SPDX-License-Identifier: GPL-2.0-only
/**
 * A command's workload as the lab's event source (a scenario, or a trace streamed from disk through the
 * parser, so a trace of any length needs memory for the live state only), and one run of it. The loop
 * itself is the lab's (runExperiment); this file only opens files.
 */
import { performance } from "node:perf_hooks";
import { runExperiment, type ExperimentOptions, type ExperimentRun } from "../lab/experiment.ts";
import { scenarioSource, traceSource, type EventSource } from "../lab/source.ts";
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
}

export const clock = (): number => performance.now();

/** Opens the source for one pass: a scenario expands with the machine's seed. */
export function openSource(source: WorkloadSource, seed: number, progress: boolean | "auto" = false, reportQuality = progress !== false): EventSource {
  const scenario = loadScenario(source);
  if (scenario !== null) return scenarioSource(scenario, seed);
  if (source.kind !== "trace") throw new TypeError("openSource: a non-trace source without a scenario");
  // edges: a stream spooled once by the command is read from readPath, named as the user gave it.
  const input = openTrace(source.readPath ?? source.path, { skipMalformed: source.skipMalformed, progress, name: source.path === "-" ? "stdin" : source.path });
  return traceSource(input.name, () => input.batches(), {
    // TraceQuality for the report: input.quality(replay) (src/workload/trace-quality.ts).
    quality: (replay) => {
      const q = input.quality(replay);
      if (reportQuality) process.stderr.write(describeTraceQuality(input.name, q) + "\n");
      return { malformedLines: q.malformed.count };
    },
    replayOptions: (iovaBits) => ({ bounds: { iovaBits, iovaSource: `the platform's M4U (ias ${iovaBits})` } }),
  });
}

export function runJobFull(job: StrategyJob, options: ExperimentOptions = {}): Promise<ExperimentRun> {
  return runExperiment(job.spec, openSource(job.source, job.spec.machine.seed, job.progress ?? false, job.reportQuality ?? (job.progress ?? false) !== false), { clock, ...options });
}

/** The worker's unit: one run's result. */
export async function runJob(job: StrategyJob): Promise<StrategyResult> {
  return (await runJobFull(job)).result;
}
