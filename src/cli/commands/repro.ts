// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { renderTerminal } from "../../report/index.ts";
import { DEFAULT_SCENARIO } from "../../workload/builtin-scenarios.ts";
import { loadScenario, runParams, workloadSource } from "../options.ts";
import { addRunFlags, compare, writeReports } from "./compare.ts";

interface ReproFlags {
  json?: string;
  html?: string;
  era?: string;
  platform?: string;
  cpus?: string;
  seed?: string;
  background?: string;
  churn?: string;
  fitCheck?: boolean;
  jobs?: string;
  timing?: boolean;
  color?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command("repro")
    .description(
      `Reproduce the 2018 MT8173 regression: elm with 4 GiB, Linux v4.19, background load, ${DEFAULT_SCENARIO}; ` +
        "every strategy, plus legacy-gfp-dma with the fit check off to show what the hardware would do",
    )
    .option("--json <file>", "also write the results as JSON")
    .option("--html <file>", "also write the HTML report")
    .option("--jobs <n>", "strategies run in parallel worker threads (default: the CPU count)")
    .option("--timing", "include wall-clock run times in the JSON")
    .option("--no-color", "no ANSI colours");
  addRunFlags(cmd).action(async (flags: ReproFlags) => {
    const source = workloadSource(undefined, undefined);
    const scenario = loadScenario(source);
    const base = { ...flags, html: flags.html ?? (false as const), json: flags.json ?? (false as const) };
    const params = runParams({ ...flags, era: flags.era ?? "v4.19" }, scenario);
    const noFit = params.fitCheck ? [{ params: { ...params, fitCheck: false }, strategy: "legacy-gfp-dma", source }] : [];
    const report = await compare(source, { ...base, era: params.era }, noFit);
    process.stdout.write(renderTerminal(report, { color: (flags.color ?? true) && process.stdout.isTTY === true }));
    await writeReports(report, base);
  });
}
