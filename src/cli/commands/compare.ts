// SPDX-License-Identifier: GPL-2.0-only
import { buildReport, scenarioEvents, summarise, type WorkloadSummary } from "../../lab/run.ts";
import type { ComparisonReport, StrategyResult } from "../../lab/types.ts";
import { computeAnswer, renderCharts, renderHtml, renderTerminal, toJson } from "../../report/index.ts";
import { checkOutputs, planOutputs } from "../io.ts";
import { spoolTrace } from "../trace-input.ts";
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
  // edges: outputs checked against the inputs before any work (io.ts planOutputs).
  checkOutputs({ inputs: [source.kind === "builtin" ? undefined : source.path], outputs: [flags.html, flags.json] });
  const strategies = strategiesFlag(flags.strategies);
  const scenario = loadScenario(source);
  const params: LabParams = runParams(flags, scenario);
  // edges: a trace on stdin or a FIFO is read once into a private temporary that every strategy reads.
  const spool = source.kind === "trace" ? await spoolTrace(source.path) : null;
  const jobSource: WorkloadSource = spool !== null && source.kind === "trace" ? { ...source, readPath: spool.path } : source;
  const jobs: StrategyJob[] = [...strategies.map((strategy, i) => ({ params, strategy, source: jobSource, ...(i === 0 ? { reportQuality: true } : {}) })), ...extra];
  const progress = new Progress(jobs.length, "strategies");
  const results = await runJobs(jobs, flags.jobs === undefined ? defaultJobs() : integerFlag("--jobs", flags.jobs, 1, 64), (job, r) =>
    progress.tick(`${job.strategy}${job.params.fitCheck ? "" : " (fit check off)"}: ${(r.runTimeMs ?? 0).toFixed(0)} ms`),
  ).finally(() => spool?.cleanup());
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
  // edges: both reports staged, then committed together (all or none; temporaries removed on a signal).
  const out = planOutputs({ inputs: [], outputs: [flags.json, flags.html] });
  try {
    if (flags.json !== false) out.write(flags.json, toJson(report, { answer: computeAnswer(report) }));
    if (flags.html !== false) out.write(flags.html, renderHtml(report, await renderCharts(report)));
    await out.commit();
  } finally {
    out.abort();
  }
  for (const f of [flags.json, flags.html]) if (f !== false && f !== "-") process.stderr.write(`wrote ${f}\n`);
}
