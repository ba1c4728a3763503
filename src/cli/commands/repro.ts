// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { REGRESSION_2018, reproVariants } from "../../lab/compare.ts";
import { DEFAULT_SCENARIO } from "../../workload/builtin-scenarios.ts";
import { addJobsFlag, addRunFlags } from "../flags.ts";
import { colorWanted, runMachine, workloadSource, type RunFlags } from "../options.ts";
import { runComparison, terminalText, writeReports } from "../run-comparison.ts";

interface ReproFlags extends RunFlags {
  json?: string;
  html?: string;
  jobs?: string;
  timing?: boolean;
  color?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command("repro")
    .description(
      `Reproduce the 2018 MT8173 regression: elm with 4 GiB, Linux ${REGRESSION_2018.era}, background load, ${DEFAULT_SCENARIO}; ` +
        `every strategy, plus ${REGRESSION_2018.extra.strategy} with the fit check off to show what the hardware would do`,
    )
    .option("--json <file>", "also write the results as JSON")
    .option("--html <file>", "also write the HTML report");
  addJobsFlag(cmd).option("--timing", "include wall-clock run times in the JSON").option("--no-color", "no ANSI colours");
  addRunFlags(cmd).action(action);
}

/** `repro`: the 2018 regression on elm, every strategy plus the regressed allocator with the fit check off. */
export async function action(flags: ReproFlags): Promise<void> {
  const files = { html: flags.html ?? (false as const), json: flags.json ?? (false as const), ...(flags.timing === undefined ? {} : { timing: flags.timing }) };
  const c = await runComparison(
    workloadSource(undefined, undefined),
    { ...flags, ...files },
    { machine: (f, scenario) => runMachine({ ...f, era: f.era ?? REGRESSION_2018.era }, scenario), variants: reproVariants },
  );
  process.stdout.write(terminalText(c, colorWanted(flags)));
  await writeReports(c, files);
}
