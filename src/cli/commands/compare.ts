// SPDX-License-Identifier: GPL-2.0-only
import { InputError } from "../../core/errors.ts";
import { buildReport, scenarioEvents, summarise, type WorkloadSummary } from "../../lab/run.ts";
import type { ComparisonReport, StrategyResult } from "../../lab/types.ts";
import { computeAnswer, renderCharts, renderHtml, renderTerminal, toJson } from "../../report/index.ts";
import { checkWritable, writeFileAtomic } from "../io.ts";
import { loadScenario, runParams, sourceName, strategiesFlag, workloadSource, integerFlag, type RunFlags, type WorkloadSource } from "../options.ts";
import type { Scenario } from "../../workload/scenario.ts";
import { defaultJobs, runJobs } from "../parallel.ts";
import { Progress } from "../progress.ts";
import type { LabParams } from "../../lab/run.ts";
import type { StrategyJob } from "../strategy-runner.ts";
import { VERSION } from "../version.ts";

interface CompareFlags extends RunFlags {
  trace?: string;
  strategies?: string;
  html: string | false;
  json: string | false;
  jobs?: string;
  skipMalformed?: boolean;
  timing?: boolean;
  color?: boolean;
}

/** `compare [scenario]`: every strategy, a terminal table, report.json and report.html. */
export async function action(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  const source = workloadSource(scenarioArg, flags.trace, flags.skipMalformed ?? false);
  const report = await compare(source, flags);
  process.stdout.write(renderTerminal(report, { color: (flags.color ?? true) && process.stdout.isTTY === true }));
  await writeReports(report, flags);
}

/** Runs the comparison; shared with `repro`. */
export async function compare(source: WorkloadSource, flags: CompareFlags, extra: readonly StrategyJob[] = []): Promise<ComparisonReport> {
  if (flags.trace === "-") throw new InputError("--trace", "", "compare reads the trace once per strategy: give a file, not stdin ('-')");
  if (flags.html !== false) checkWritable(flags.html);
  if (flags.json !== false) checkWritable(flags.json);
  const strategies = strategiesFlag(flags.strategies);
  const scenario = loadScenario(source);
  const params: LabParams = runParams(flags, scenario);
  const jobs: StrategyJob[] = [...strategies.map((strategy) => ({ params, strategy, source })), ...extra];
  const progress = new Progress(jobs.length, "strategies");
  const results = await runJobs(jobs, flags.jobs === undefined ? defaultJobs() : integerFlag("--jobs", flags.jobs, 1, 64), (job, r) =>
    progress.tick(`${job.strategy}${job.params.fitCheck ? "" : " (fit check off)"}: ${(r.runTimeMs ?? 0).toFixed(0)} ms`),
  );
  progress.stop();
  const labelled = results.map((r, i) => (jobs[i]?.params.fitCheck === false && params.fitCheck ? { ...r, strategy: `${r.strategy} (fit check off)` } : r));
  const workload = workloadOf(source, scenario, params.seed, results);
  const report = buildReport(params, { scenario: sourceName(source), strategies: labelled.map((r) => r.strategy), version: VERSION }, workload, labelled);
  return report;
}

/**
 * What the report says of the workload: a scenario's event counts, or for a trace the calls the replay
 * made (every strategy whose domain exists sees the same ones).
 */
export function workloadOf(source: WorkloadSource, scenario: Scenario | null, seed: number, results: readonly StrategyResult[]): WorkloadSummary {
  if (scenario !== null) return summarise(scenarioEvents(scenario, seed), scenario.description);
  const maps = Math.max(0, ...results.map((r) => r.mapCalls));
  const unmaps = Math.max(0, ...results.map((r) => r.unmapCalls));
  return {
    events: maps + unmaps,
    maps,
    unmaps,
    description: `ftrace replay of ${sourceName(source)}`,
  };
}

/** Wall times differ run to run; without --timing they are left out so the files are reproducible. */
function withoutTiming(report: ComparisonReport): ComparisonReport {
  return { ...report, results: report.results.map((r) => ({ ...r, runTimeMs: null })) };
}

/**
 * Writes the files. The terminal shows wall times; the files leave them out unless --timing, so the
 * same inputs give the same bytes.
 */
export async function writeReports(timed: ComparisonReport, flags: { html: string | false; json: string | false; timing?: boolean }): Promise<void> {
  const report = flags.timing === true ? timed : withoutTiming(timed);
  if (flags.json !== false) {
    writeFileAtomic(flags.json, toJson(report, { answer: computeAnswer(report) }));
    process.stderr.write(`wrote ${flags.json}\n`);
  }
  if (flags.html !== false) {
    const svgs = await renderCharts(report);
    writeFileAtomic(flags.html, renderHtml(report, svgs));
    process.stderr.write(`wrote ${flags.html}\n`);
  }
}
