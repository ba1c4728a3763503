// SPDX-License-Identifier: GPL-2.0-only
/**
 * The shell around the lab's compare, shared by `compare` and `repro`: flags to a ComparisonSpec, the
 * worker pool as `runOne`, a progress bar, and the report files.
 */
import { InputError } from "../core/errors.ts";
import { compare, withoutTiming, type Comparison } from "../lab/compare.ts";
import type { MachineSpec, Variant, VariantSwitches } from "../lab/spec.ts";
import { chartNotes, computeAnswer } from "../analysis/index.ts";
import { renderCharts, renderHtml, renderTerminal, toJson } from "../report/index.ts";
import { checkWritable, writeFileAtomic } from "./io.ts";
import { integerFlag, loadScenario, switchFlags, workloadRef, type RunFlags, type WorkloadSource } from "./options.ts";
import { defaultJobs, RunPool } from "./parallel.ts";
import { Progress } from "./progress.ts";
import type { Scenario } from "../workload/scenario.ts";
import { VERSION } from "./version.ts";

export interface ReportFlags {
  html: string | false;
  json: string | false;
  timing?: boolean;
}

export interface ComparisonFlags extends RunFlags, ReportFlags {
  trace?: string;
  jobs?: string;
}

/** How a command picks its machine and variants once the flags and the scenario are known. */
export interface ComparisonPlan {
  readonly machine: (flags: RunFlags, scenario: Scenario | null) => MachineSpec;
  readonly variants: (switches: VariantSwitches) => readonly Variant[];
}

export async function runComparison(source: WorkloadSource, flags: ComparisonFlags, plan: ComparisonPlan): Promise<Comparison> {
  if (flags.trace === "-") throw new InputError("--trace", "", "compare reads the trace once per worker: give a file, not stdin ('-')");
  if (flags.html !== false) checkWritable(flags.html);
  if (flags.json !== false) checkWritable(flags.json);
  const scenario = loadScenario(source);
  const machine = plan.machine(flags, scenario);
  const switches = switchFlags(flags);
  const variants = plan.variants(switches);
  const lanes = flags.jobs === undefined ? defaultJobs() : integerFlag("--jobs", flags.jobs, 1, 64);
  const pool = new RunPool(lanes, variants.length, source, { fanOut: true });
  const progress = new Progress(variants.length, "strategies");
  try {
    return await compare({ machine, switches, variants, workload: workloadRef(source, scenario), version: VERSION }, pool.run, (v, r) =>
      progress.tick(`${v.label}: ${(r.runTimeMs ?? 0).toFixed(0)} ms`),
    );
  } finally {
    progress.stop();
    await pool.close();
  }
}

/**
 * Writes the files. The terminal shows wall times; the files leave them out unless --timing, so the
 * same inputs give the same bytes.
 */
/** The comparison as terminal text, with its answer. */
export function terminalText(c: Comparison, color: boolean): string {
  return renderTerminal(c.report, computeAnswer(c.report, c), { color });
}

export async function writeReports(c: Comparison, flags: ReportFlags): Promise<void> {
  const report = flags.timing === true ? c.report : withoutTiming(c.report);
  const answer = computeAnswer(report, c);
  if (flags.json !== false) {
    writeFileAtomic(flags.json, toJson(report, { answer }));
    process.stderr.write(`wrote ${flags.json}\n`);
  }
  if (flags.html !== false) {
    const svgs = await renderCharts(report, chartNotes());
    writeFileAtomic(flags.html, renderHtml(report, answer, svgs));
    process.stderr.write(`wrote ${flags.html}\n`);
  }
}
