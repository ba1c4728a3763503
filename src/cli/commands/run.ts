// SPDX-License-Identifier: GPL-2.0-only
import { era } from "../../core/era.ts";
import { formatFtraceLine, type TraceSink } from "../../dma/trace.ts";
import { buildReport } from "../../lab/run.ts";
import type { Session } from "../../lab/session.ts";
import type { ComparisonReport, StrategyResult } from "../../lab/types.ts";
import type { V7sEngine } from "../../pgtable/engine.ts";
import { dumpTable } from "../../pgtable/dump.ts";
import { renderTerminal, toJson } from "../../report/index.ts";
import { checkOutputs, planOutputs } from "../io.ts";
import { loadScenario, runParams, sourceName, strategyFlag, workloadSource, type RunFlags, type WorkloadSource } from "../options.ts";
import { runJob } from "../strategy-runner.ts";
import { VERSION } from "../version.ts";
import { workloadOf } from "./compare.ts";

interface RunCommandFlags extends RunFlags {
  strategy?: string;
  json?: string;
  traceOut?: string;
  dumpTables?: string;
  skipMalformed?: boolean;
  timing?: boolean;
  color?: boolean;
}

/** `run [scenario]`: one strategy over a scenario. */
export async function runAction(scenarioArg: string | undefined, flags: RunCommandFlags): Promise<void> {
  await runOne(workloadSource(scenarioArg, undefined), flags);
}

/** `replay <trace>`: one strategy over an ftrace log, streamed. */
export async function replayAction(trace: string, flags: RunCommandFlags): Promise<void> {
  await runOne(workloadSource(undefined, trace, flags.skipMalformed ?? false), flags);
}

async function runOne(source: WorkloadSource, flags: RunCommandFlags): Promise<void> {
  // edges: outputs checked against the inputs before any work (io.ts planOutputs).
  checkOutputs({ inputs: [source.kind === "builtin" ? undefined : source.path], outputs: [flags.json, flags.traceOut, flags.dumpTables] });
  const strategy = strategyFlag(flags.strategy, "slab-dma32");
  const scenario = loadScenario(source);
  const params = runParams(flags, scenario);
  const traceLines: string[] = [];
  const sink: TraceSink | null =
    flags.traceOut === undefined ? null : { emit: (ev) => traceLines.push(formatFtraceLine(ev, era(params.era).tracepointFormat, traceLines.length)) };
  let session: Session | null = null;
  const result = await runJob({ params, strategy, source, progress: true }, sink, (s) => (session = s));
  const workload = workloadOf(source, scenario, params.seed, [result]);
  const report: ComparisonReport = buildReport(params, { scenario: sourceName(source), strategies: [strategy], version: VERSION }, workload, [
    flags.timing === true ? result : ({ ...result, runTimeMs: null } satisfies StrategyResult),
  ]);
  // The terminal shows the run time; the JSON leaves it out unless --timing (reproducible files).
  process.stdout.write(renderTerminal({ ...report, results: [result] }, { color: (flags.color ?? true) && process.stdout.isTTY === true }));
  // edges: the run's files staged, then committed together.
  const out = planOutputs({ inputs: [source.kind === "builtin" ? undefined : source.path], outputs: [flags.traceOut, flags.dumpTables, flags.json] });
  try {
    if (flags.traceOut !== undefined) out.write(flags.traceOut, traceLines.map((l) => l + "\n").join(""));
    if (flags.dumpTables !== undefined) {
      const s = session as Session | null;
      const engine = s?.domain?.table;
      out.write(flags.dumpTables, JSON.stringify(engine === undefined ? null : dumpTable(engine as V7sEngine)) + "\n");
    }
    if (flags.json !== undefined) out.write(flags.json, toJson(report));
    await out.commit();
  } finally {
    out.abort();
  }
  if (flags.traceOut !== undefined && flags.traceOut !== "-") process.stderr.write(`wrote ${flags.traceOut} (${traceLines.length} events)\n`);
  for (const f of [flags.dumpTables, flags.json]) if (f !== undefined && f !== "-") process.stderr.write(`wrote ${f}\n`);
}
