// SPDX-License-Identifier: GPL-2.0-only
/**
 * A command's workload as the lab's event source (a scenario, or a trace streamed from disk through the
 * parser, so a trace of any length needs memory for the live state only), and one run of it. The loop
 * itself is the lab's (runExperiment); this file only opens files.
 */
import { performance } from "node:perf_hooks";
import { runExperiment, runExperiments, type ExperimentOptions, type ExperimentRun } from "../lab/experiment.ts";
import { scenarioSource, traceSource, type EventSource } from "../lab/source.ts";
import type { RunSpec } from "../lab/spec.ts";
import type { StrategyResult } from "../lab/types.ts";
import { loadScenario, type WorkloadSource } from "./options.ts";
import { openTrace } from "./trace-input.ts";

/** One run: plain data, so it can be posted to a worker thread. */
export interface StrategyJob {
  readonly spec: RunSpec;
  readonly source: WorkloadSource;
  /** Progress bar for a streamed trace (only the in-process, single-strategy commands ask for one). */
  readonly progress?: boolean | "auto";
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
}

/** Opens the source for one pass: a scenario expands with the machine's seed. */
export function openSource(source: WorkloadSource, seed: number, progress: boolean | "auto" = false): EventSource {
  const scenario = loadScenario(source);
  if (scenario !== null) return scenarioSource(scenario, seed);
  if (source.kind !== "trace") throw new TypeError("openSource: a non-trace source without a scenario");
  const input = openTrace(source.path, { skipMalformed: source.skipMalformed, progress });
  return traceSource(input.name, () => input.batches(), { quality: () => ({ malformedLines: input.stats.ftrace.malformed }) });
}

export function runJobFull(job: StrategyJob, options: ExperimentOptions = {}): Promise<ExperimentRun> {
  return runExperiment(job.spec, openSource(job.source, job.spec.machine.seed, job.progress ?? false), { clock, ...options });
}

/** The worker's unit: one run's result. */
export async function runJob(job: StrategyJob): Promise<StrategyResult> {
  return (await runJobFull(job)).result;
}

/** The worker's unit for a group: each spec's result, in the order of `specs`. */
export async function runGroup(job: GroupJob): Promise<StrategyResult[]> {
  const first = job.specs[0];
  if (first === undefined) return [];
  const runs = await runExperiments(job.specs, openSource(job.source, first.machine.seed), { clock });
  return runs.map((r) => r.result);
}
