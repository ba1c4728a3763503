// SPDX-License-Identifier: GPL-2.0-only
import { strategyVariants } from "../../lab/compare.ts";
import { runMachine, strategiesFlag, workloadSource } from "../options.ts";
import { textFormat, viewsFlag } from "../output.ts";
import { runComparison, selectViews, terminalText, writeReports, type ComparisonFlags } from "../run-comparison.ts";

interface CompareFlags extends ComparisonFlags {
  strategies?: string;
  skipMalformed?: boolean;
  color?: boolean;
  format?: string;
  quiet?: boolean;
  views?: string;
}

/** `compare [scenario]`: every strategy (or the named ones), a terminal table, report.json and report.html. */
export async function action(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  textFormat(flags);
  viewsFlag(flags.views);
  const source = workloadSource(scenarioArg, flags.trace, flags.skipMalformed ?? false);
  const strategies = strategiesFlag(flags.strategies);
  const c = await runComparison(source, flags, { machine: runMachine, variants: (switches) => strategyVariants(strategies, switches) });
  const { c: shown, sections } = selectViews(c, flags);
  process.stdout.write(terminalText(shown, flags, sections));
  await writeReports(shown, flags);
}
