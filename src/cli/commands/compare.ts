// SPDX-License-Identifier: GPL-2.0-only
import { strategyVariants } from "../../lab/compare.ts";
import { colorWanted, defaultScenarioArg, runMachine, strategiesFlag, workloadSource } from "../options.ts";
import { runComparison, terminalText, writeReports, type ComparisonFlags } from "../run-comparison.ts";

interface CompareFlags extends ComparisonFlags {
  strategies?: string;
  skipMalformed?: boolean;
  color?: boolean;
}

/**
 * `compare [scenario]`: every strategy (or the named ones), a terminal table, report.json and
 * report.html. With no scenario and no trace, `--platform P` runs P's own default scenario.
 */
export async function action(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  const arg = scenarioArg ?? (flags.trace === undefined ? defaultScenarioArg(flags) : undefined);
  const source = workloadSource(arg, flags.trace, flags.skipMalformed ?? false);
  const strategies = strategiesFlag(flags.strategies);
  const c = await runComparison(source, flags, { machine: runMachine, variants: (switches) => strategyVariants(strategies, switches) });
  process.stdout.write(terminalText(c, colorWanted(flags)));
  await writeReports(c, flags);
}
