// SPDX-License-Identifier: GPL-2.0-only
import { renderTerminal } from "../../report/index.ts";
import { loadScenario, runParams, workloadSource } from "../options.ts";
import { compare, writeReports } from "./compare.ts";

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

/** `repro`: the default scenario on elm/v4.19, every strategy plus legacy-gfp-dma with the fit check off. */
export async function action(flags: ReproFlags): Promise<void> {
  const source = workloadSource(undefined, undefined);
  const scenario = loadScenario(source);
  const base = { ...flags, html: flags.html ?? (false as const), json: flags.json ?? (false as const) };
  const params = runParams({ ...flags, era: flags.era ?? "v4.19" }, scenario);
  const noFit = params.fitCheck ? [{ params: { ...params, fitCheck: false }, strategy: "legacy-gfp-dma", source }] : [];
  const report = await compare(source, { ...base, era: params.era }, noFit);
  process.stdout.write(renderTerminal(report, { color: (flags.color ?? true) && process.stdout.isTTY === true }));
  await writeReports(report, base);
}
