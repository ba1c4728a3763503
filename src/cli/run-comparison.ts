// SPDX-License-Identifier: GPL-2.0-only
/**
 * The shell around the lab's compare, shared by `compare` and `repro`: flags to a ComparisonSpec, the
 * worker pool as `runOne`, a progress bar, and the report files.
 */
import { compare, withoutTiming, type Comparison } from "../lab/compare.ts";
import type { MachineSpec, Variant, VariantSwitches } from "../lab/spec.ts";
import { chartNotes, computeAnswer } from "../analysis/index.ts";
import { renderCharts, renderHtml, toJson } from "../report/index.ts";
import { reportText, viewsFlag, withViews, type OutputFlags } from "./output.ts";
import type { ExtraSection } from "../report/mail.ts";
import { checkOutputs, planOutputs } from "./io.ts";
import { spoolTrace } from "./trace-input.ts";
import { integerFlag, loadScenario, switchFlags, workloadRef, type RunFlags, type WorkloadSource } from "./options.ts";
import { defaultJobs, RunPool } from "./parallel.ts";
import { Progress } from "./progress.ts";
import type { Scenario } from "../workload/scenario.ts";
import { VERSION } from "./version.ts";

export interface ReportFlags {
  html: string | false;
  json: string | false;
  timing?: boolean;
  /** No "wrote FILE" lines on stderr (--quiet). */
  quiet?: boolean;
}

export interface ComparisonFlags extends RunFlags, ReportFlags {
  trace?: string;
  jobs?: string;
  views?: string;
}

/** How a command picks its machine and variants once the flags and the scenario are known. */
export interface ComparisonPlan {
  readonly machine: (flags: RunFlags, scenario: Scenario | null) => MachineSpec;
  readonly variants: (switches: VariantSwitches) => readonly Variant[];
}

export async function runComparison(source: WorkloadSource, flags: ComparisonFlags, plan: ComparisonPlan): Promise<Comparison> {
  // edges: outputs checked against the inputs before any work (io.ts planOutputs).
  checkOutputs({ inputs: [source.kind === "builtin" ? undefined : source.path], outputs: [flags.html, flags.json] });
  const scenario = loadScenario(source);
  const machine = plan.machine(flags, scenario);
  const switches = switchFlags(flags);
  const variants = plan.variants(switches);
  const lanes = flags.jobs === undefined ? defaultJobs() : integerFlag("--jobs", flags.jobs, 1, 64);
  // edges: a trace on stdin or a FIFO is read once into a private temporary that every strategy reads.
  const spool = source.kind === "trace" ? await spoolTrace(source.path) : null;
  const pool = new RunPool(lanes, variants.length, spool !== null && source.kind === "trace" ? { ...source, readPath: spool.path } : source, {
    fanOut: true,
    views: viewsFlag(flags.views),
  });
  const progress = new Progress(variants.length, "strategies");
  try {
    return await compare({ machine, switches, variants, workload: workloadRef(source, scenario), version: VERSION }, pool.run, (v, r) =>
      progress.tick(`${v.label}: ${(r.runTimeMs ?? 0).toFixed(0)} ms`),
    );
  } finally {
    progress.stop();
    await pool.close();
    spool?.cleanup();
  }
}

/**
 * Writes the files. The terminal shows wall times; the files leave them out unless --timing, so the
 * same inputs give the same bytes.
 */
/** The comparison as terminal text, with its answer. */
export function terminalText(c: Comparison, flags: OutputFlags, sections: readonly ExtraSection[] = []): string {
  return reportText(c.report, computeAnswer(c.report, c), flags, sections);
}

/** The comparison with only the kernel views --views asks for (none by default), and their sections. */
export function selectViews(c: Comparison, flags: OutputFlags): { c: Comparison; sections: ExtraSection[] } {
  const v = withViews(c.report, flags);
  return { c: { ...c, report: v.report }, sections: v.sections };
}

export async function writeReports(c: Comparison, flags: ReportFlags): Promise<void> {
  const report = flags.timing === true ? c.report : withoutTiming(c.report);
  const answer = computeAnswer(report, c);
  // edges: both reports staged, then committed together (all or none; temporaries removed on a signal).
  const out = planOutputs({ inputs: [], outputs: [flags.json, flags.html] });
  try {
    if (flags.json !== false) out.write(flags.json, toJson(report, { answer }));
    if (flags.html !== false) out.write(flags.html, renderHtml(report, answer, await renderCharts(report, chartNotes())));
    await out.commit();
  } finally {
    out.abort();
  }
  if (flags.quiet !== true) for (const f of [flags.json, flags.html]) if (f !== false && f !== "-") process.stderr.write(`wrote ${f}\n`);
}
