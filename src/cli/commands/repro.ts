// SPDX-License-Identifier: GPL-2.0-only
import { REGRESSION_2018, reproVariants } from "../../lab/compare.ts";
import { runMachine, workloadSource, type RunFlags } from "../options.ts";
import { textFormat, viewsFlag } from "../output.ts";
import { runComparison, selectViews, terminalText, writeReports } from "../run-comparison.ts";

interface ReproFlags extends RunFlags {
  json?: string;
  html?: string;
  jobs?: string;
  timing?: boolean;
  color?: boolean;
  format?: string;
  quiet?: boolean;
  views?: string;
}

/** `repro`: the 2018 regression on elm, every strategy plus the regressed allocator with the fit check off. */
export async function action(flags: ReproFlags): Promise<void> {
  textFormat(flags);
  viewsFlag(flags.views);
  const files = {
    ...(flags.quiet === true ? { quiet: true } : {}),
    html: flags.html ?? (false as const),
    json: flags.json ?? (false as const),
    ...(flags.timing === undefined ? {} : { timing: flags.timing }),
  };
  const c = await runComparison(
    workloadSource(undefined, undefined),
    { ...flags, ...files },
    { machine: (f, scenario) => runMachine({ ...f, era: f.era ?? REGRESSION_2018.era }, scenario), variants: reproVariants },
  );
  const { c: shown, sections } = selectViews(c, flags);
  process.stdout.write(terminalText(shown, flags, sections));
  await writeReports(shown, files);
}
