// SPDX-License-Identifier: GPL-2.0-only
import { strategyVariants } from "../../lab/compare.ts";
import { colorWanted, runMachine, strategiesFlag, withFaultsFile, workloadSource } from "../options.ts";
import { runComparison, terminalText, writeReports, type ComparisonFlags } from "../run-comparison.ts";

interface CompareFlags extends ComparisonFlags {
  strategies?: string;
  skipMalformed?: boolean;
  faults?: string;
  color?: boolean;
}

/** `compare [scenario]`: every strategy (or the named ones), a terminal table, report.json and report.html. */
export async function action(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  const source = withFaultsFile(workloadSource(scenarioArg, flags.trace, flags.skipMalformed ?? false), flags.faults);
  const strategies = strategiesFlag(flags.strategies);
  const c = await runComparison(source, flags, { machine: runMachine, variants: (switches) => strategyVariants(strategies, switches) });
  process.stdout.write(terminalText(c, colorWanted(flags)));
  await writeReports(c, flags);
}
