// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { strategyVariants } from "../../lab/compare.ts";
import { STRATEGY_NAMES } from "../../strategies/index.ts";
import { DEFAULT_SCENARIO } from "../../workload/builtin-scenarios.ts";
import { addJobsFlag, addRunFlags } from "../flags.ts";
import { colorWanted, runMachine, strategiesFlag, workloadSource } from "../options.ts";
import { runComparison, terminalText, writeReports, type ComparisonFlags } from "../run-comparison.ts";

interface CompareFlags extends ComparisonFlags {
  strategies?: string;
  skipMalformed?: boolean;
  color?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command("compare")
    .argument("[scenario]", `a scenario file or built-in name (default: ${DEFAULT_SCENARIO})`)
    .description("Run one workload against every table-memory strategy; print a table and write report.html and report.json")
    .option("--trace <file>", "replay an ftrace iommu:map/unmap log instead of a scenario ('-' reads stdin)")
    .option("--strategies <list>", `comma-separated strategies, or 'all' (${STRATEGY_NAMES.join(", ")})`)
    .option("--html <file>", "where to write the HTML report", "report.html")
    .option("--no-html", "do not write the HTML report")
    .option("--json <file>", "where to write the JSON report", "report.json")
    .option("--no-json", "do not write the JSON report");
  addJobsFlag(cmd)
    .option("--skip-malformed", "with --trace: count and skip malformed iommu lines instead of stopping at the first")
    .option("--timing", "include wall-clock run times in the JSON and HTML (they are then no longer byte-identical across runs)")
    .option("--no-color", "no ANSI colours in the terminal table");
  addRunFlags(cmd).action(action);
}

/** `compare [scenario]`: every strategy (or the named ones), a terminal table, report.json and report.html. */
export async function action(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  const source = workloadSource(scenarioArg, flags.trace, flags.skipMalformed ?? false);
  const strategies = strategiesFlag(flags.strategies);
  const c = await runComparison(source, flags, { machine: runMachine, variants: (switches) => strategyVariants(strategies, switches) });
  process.stdout.write(terminalText(c, colorWanted(flags)));
  await writeReports(c, flags);
}
