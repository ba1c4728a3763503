// SPDX-License-Identifier: GPL-2.0-only
import { formatFtraceLine, type TraceSink } from "../../dma/trace.ts";
import { buildReport, withoutTiming } from "../../lab/compare.ts";
import { variant } from "../../lab/spec.ts";
import { dumpTable } from "../../pgtable/dump.ts";
import { computeAnswer } from "../../analysis/index.ts";
import { toJson } from "../../report/index.ts";
import { reportText, textFormat, viewsFlag, withViews } from "../output.ts";
import { checkOutputs, planOutputs } from "../io.ts";
import {
  eraFlag,
  loadScenario,
  runMachine,
  strategyFlag,
  switchFlags,
  withFaultsFile,
  workloadRef,
  workloadSource,
  type RunFlags,
  type WorkloadSource,
} from "../options.ts";
import { runJobFull } from "../strategy-runner.ts";
import { VERSION } from "../version.ts";

interface RunCommandFlags extends RunFlags {
  strategy?: string;
  json?: string;
  traceOut?: string;
  dumpTables?: string;
  skipMalformed?: boolean;
  faults?: string;
  timing?: boolean;
  color?: boolean;
  format?: string;
  quiet?: boolean;
  views?: string;
}

/** `run [scenario]`: one strategy over a scenario. */
export async function runAction(scenarioArg: string | undefined, flags: RunCommandFlags): Promise<void> {
  await runOne(workloadSource(scenarioArg, undefined), flags);
}

/** `replay <trace>`: one strategy over a streamed ftrace log. */
export async function replayAction(trace: string, flags: RunCommandFlags): Promise<void> {
  await runOne(withFaultsFile(workloadSource(undefined, trace, flags.skipMalformed ?? false), flags.faults), flags);
}

async function runOne(source: WorkloadSource, flags: RunCommandFlags): Promise<void> {
  textFormat(flags);
  viewsFlag(flags.views);
  // edges: outputs checked against the inputs before any work (io.ts planOutputs).
  checkOutputs({ inputs: [source.kind === "builtin" ? undefined : source.path], outputs: [flags.json, flags.traceOut, flags.dumpTables] });
  const strategy = strategyFlag(flags.strategy);
  const scenario = loadScenario(source);
  const machine = runMachine(flags, scenario);
  const switches = switchFlags(flags);
  const traceLines: string[] = [];
  // The Era, not only its tracepoint format: the line's columns (pid width, flag characters) are the era's too.
  const era = eraFlag(machine.era);
  const sink: TraceSink | null = flags.traceOut === undefined ? null : { emit: (ev) => traceLines.push(formatFtraceLine(ev, era, traceLines.length)) };
  const spec = { machine, variant: variant(strategy, {}, switches) };
  const { system, result } = await runJobFull({ spec, source, progress: true, views: viewsFlag(flags.views) }, { boot: { trace: sink } });
  const { report, sections } = withViews(buildReport({ machine, switches, workload: workloadRef(source, scenario), version: VERSION }, [result]), flags);
  // The terminal shows the run time; the JSON leaves it out unless --timing (reproducible files).
  process.stdout.write(reportText(report, computeAnswer(report), flags, sections));
  // edges: the run's files staged, then committed together.
  const out = planOutputs({ inputs: [source.kind === "builtin" ? undefined : source.path], outputs: [flags.traceOut, flags.dumpTables, flags.json] });
  try {
    if (flags.traceOut !== undefined) out.write(flags.traceOut, traceLines.map((l) => l + "\n").join(""));
    if (flags.dumpTables !== undefined) {
      const engine = system.domain.ok ? system.domain.domain.table : null;
      out.write(flags.dumpTables, JSON.stringify(engine === null ? null : dumpTable(engine)) + "\n");
    }
    if (flags.json !== undefined) out.write(flags.json, toJson(flags.timing === true ? report : withoutTiming(report)));
    await out.commit();
  } finally {
    out.abort();
  }
  if (flags.quiet === true) return;
  if (flags.traceOut !== undefined && flags.traceOut !== "-") process.stderr.write(`wrote ${flags.traceOut} (${traceLines.length} events)\n`);
  for (const f of [flags.dumpTables, flags.json]) if (f !== undefined && f !== "-") process.stderr.write(`wrote ${f}\n`);
}
