// SPDX-License-Identifier: GPL-2.0-only
import { InputError } from "../../core/errors.ts";
import { parseAddress } from "../../core/u32.ts";
import type { StopRule } from "../../lab/experiment.ts";
import { explainIova } from "../../lab/explain.ts";
import { variant } from "../../lab/spec.ts";
import { iovaLimitFor } from "../../lab/system.ts";
import { renderExplanation, renderFaultsText, type ExplainMoment } from "../../report/index.ts";
import { loadScenario, runMachine, strategyFlag, switchFlags, withFaultsFile, workloadSource, type RunFlags } from "../options.ts";
import { runJobFull } from "../strategy-runner.ts";
import { atFlag, lineAtTime } from "../trace-at.ts";

interface ExplainFlags extends RunFlags {
  iova?: string;
  at?: string;
  trace?: string;
  strategy?: string;
  skipMalformed?: boolean;
  faults?: string;
}

/** `explain --iova ADDR [scenario]`: the walk of one IOVA at one moment. */
export async function action(scenarioArg: string | undefined, flags: ExplainFlags): Promise<void> {
  const iova = parseAddress(flags.iova ?? "");
  if (iova === null) throw new InputError("--iova", "", `"${flags.iova}" is not an address`);
  const at = flags.at === undefined ? null : atFlag(flags.at, flags.trace);
  const source = withFaultsFile(workloadSource(scenarioArg, flags.trace, flags.skipMalformed ?? false), flags.faults);
  const machine = runMachine(flags, loadScenario(source));
  const spec = { machine, variant: variant(strategyFlag(flags.strategy), {}, switchFlags(flags)) };
  // The bound is the M4U's input address size, checked before the run.
  const outOfRange = (limit: number): InputError =>
    new InputError("--iova", "", `"${flags.iova}" is not an address below 2^${Math.log2(limit)} (the IOMMU's input address size)`);
  const limit = iovaLimitFor(spec);
  if (iova >= limit) throw outOfRange(limit);
  const line = at === null || at.kind === "events" ? null : at.kind === "line" ? at.line : await lineAtTime(flags.trace ?? "", at.seconds);
  const until: StopRule =
    at === null
      ? { kind: "before-phase", phase: "teardown" }
      : line !== null
        ? { kind: "after-line", line }
        : { kind: "after-events", events: at.kind === "events" ? at.events : 0 };
  const { system, stop, result } = await runJobFull({ spec, source, progress: "auto", views: [] }, { until });
  const x = explainIova(system, iova);
  if ("code" in x) throw outOfRange(x.limit);
  const moment: ExplainMoment =
    line !== null
      ? { kind: "line", line, events: stop.events, ...(at?.kind === "time" ? { seconds: at.seconds } : {}) }
      : at !== null
        ? { kind: "event", events: stop.events }
        : stop.reason === "before-phase"
          ? { kind: "phase-start", events: stop.events, phase: "teardown" }
          : { kind: "end" };
  process.stdout.write(renderExplanation(x, moment));
  // Faults up to the stop: pasted lines later than it are judged at the stop, and say so.
  const faults = renderFaultsText([result], 100);
  if (faults.length > 0) process.stdout.write(["", ...faults].join("\n"));
}
