// SPDX-License-Identifier: GPL-2.0-only
import { era as eraByName } from "../../core/era.ts";
import { InputError } from "../../core/errors.ts";
import { strategyVariants, withoutTiming } from "../../lab/compare.ts";
import { DEFAULT_MACHINE } from "../../lab/spec.ts";
import { checkPlatformEra, platform as platformByName, PlatformEraError } from "../../phys/platform.ts";
import { platformsJson, renderPlatformsHtml, renderPlatformsText, type PlatformRow } from "../../report/platforms.ts";
import { defaultScenarioFor } from "../../workload/builtin-scenarios.ts";
import { checkOutputs, planOutputs } from "../io.ts";
import { defaultScenarioArg, eraFlag, loadScenario, platformsFlag, runMachine, strategiesFlag, withFaultsFile, workloadSource } from "../options.ts";
import { textFormat, viewsFlag } from "../output.ts";
import { runComparison, selectViews, terminalText, writeReports, type ComparisonFlags } from "../run-comparison.ts";
import { VERSION } from "../version.ts";

interface CompareFlags extends ComparisonFlags {
  strategies?: string;
  platforms?: string;
  skipMalformed?: boolean;
  faults?: string;
  color?: boolean;
  format?: string;
  quiet?: boolean;
  views?: string;
}

/**
 * `compare [scenario]`: every strategy (or the named ones), a terminal table, report.json and
 * report.html. With no scenario and no trace, `--platform P` runs P's own default scenario.
 */
export async function action(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  textFormat(flags);
  viewsFlag(flags.views);
  if (flags.platforms !== undefined) {
    await comparePlatforms(scenarioArg, flags);
    return;
  }
  const arg = scenarioArg ?? (flags.trace === undefined ? defaultScenarioArg(flags) : undefined);
  const source = withFaultsFile(workloadSource(arg, flags.trace, flags.skipMalformed ?? false), flags.faults);
  const strategies = strategiesFlag(flags.strategies);
  const c = await runComparison(source, flags, { machine: runMachine, variants: (switches) => strategyVariants(strategies, switches) });
  const { c: shown, sections } = selectViews(c, flags);
  process.stdout.write(terminalText(shown, flags, sections));
  await writeReports(shown, flags);
}

/**
 * `compare --platforms a,b,...`: the same comparison on each platform (its own default scenario unless
 * one is named), one table across them; an era without a platform's SoC gives that row the reason.
 */
async function comparePlatforms(scenarioArg: string | undefined, flags: CompareFlags): Promise<void> {
  if (flags.platform !== undefined || flags.platformFile !== undefined)
    throw new InputError("--platforms", "", "give either --platforms or --platform/--platform-file, not both");
  const names = platformsFlag(flags.platforms ?? "");
  checkOutputs({ inputs: [scenarioArg, flags.trace], outputs: [flags.html, flags.json] });
  const strategies = strategiesFlag(flags.strategies);
  const rows: PlatformRow[] = [];
  for (const name of names) {
    const arg = scenarioArg ?? (flags.trace === undefined ? defaultScenarioFor(name) : undefined);
    const source = workloadSource(arg, flags.trace, flags.skipMalformed ?? false);
    const eraName = eraFlag(flags.era ?? loadScenario(source)?.era ?? DEFAULT_MACHINE.era).name;
    try {
      checkPlatformEra(platformByName(name), eraByName(eraName));
    } catch (err) {
      if (!(err instanceof PlatformEraError)) throw err;
      rows.push({ platform: name, ran: false, reason: `not in ${eraName}` });
      continue;
    }
    const c = await runComparison(
      source,
      { ...flags, platform: name, html: false, json: false },
      { machine: runMachine, variants: (switches) => strategyVariants(strategies, switches) },
    );
    const report = flags.timing === true ? c.report : withoutTiming(c.report);
    rows.push({ platform: name, ran: true, ownDefault: scenarioArg === undefined && flags.trace === undefined, report });
  }
  const named = scenarioArg ?? flags.trace ?? null;
  process.stdout.write(renderPlatformsText(rows, named));
  const out = planOutputs({ inputs: [], outputs: [flags.json, flags.html] });
  try {
    if (flags.json !== false) out.write(flags.json, platformsJson(rows, named, VERSION));
    if (flags.html !== false) out.write(flags.html, renderPlatformsHtml(rows, named));
    await out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  for (const f of [flags.json, flags.html]) if (f !== false) process.stderr.write(`wrote ${f}\n`);
}
