// SPDX-License-Identifier: GPL-2.0-only
/**
 * Flag values shared by the run commands (compare, repro, run, replay, explain), validated once, and
 * the workload source a command was given: a built-in scenario, a scenario file, or an ftrace log.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { ERA_NAMES, era, isEraName, type Era } from "../core/era.ts";
import { InputError } from "../core/errors.ts";
import type { LabParams } from "../lab/run.ts";
import { BACKGROUND_PRESETS, isBackgroundPreset } from "../mm/background.ts";
import { PLATFORM_NAMES } from "../phys/platform.ts";
import { STRATEGY_NAMES } from "../strategies/index.ts";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO, builtinScenario } from "../workload/builtin-scenarios.ts";
import { parseScenario, type Scenario } from "../workload/scenario.ts";

/** The flags every run command accepts, as commander hands them over (strings until validated). */
export interface RunFlags {
  era?: string;
  platform?: string;
  cpus?: string;
  seed?: string;
  background?: string;
  fitCheck?: boolean;
  churn?: string;
}

export function integerFlag(flag: string, value: string, min: number, max: number): number {
  const t = value.trim();
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InputError(flag, "", `"${value}" is not an integer from ${min} to ${max}`);
  return n;
}

/** `--era NAME` as an Era profile; an unknown name is bad input naming the flag and the known eras. */
export function eraFlag(value: string): Era {
  if (!isEraName(value)) throw new InputError("--era", "", `unknown kernel era "${value}" (known: ${ERA_NAMES.join(", ")})`);
  return era(value);
}

/** A comma-separated list of strategy names, each checked; "all" means every strategy. */
export function strategiesFlag(value: string | undefined): string[] {
  if (value === undefined || value.trim() === "all") return [...STRATEGY_NAMES];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) throw new InputError("--strategies", "", "names no strategy");
  for (const n of names) {
    if (!STRATEGY_NAMES.includes(n)) throw new InputError("--strategies", "", `unknown strategy "${n}" (known: ${STRATEGY_NAMES.join(", ")})`);
  }
  return [...new Set(names)];
}

export function strategyFlag(value: string | undefined, fallback: string): string {
  const name = value ?? fallback;
  if (!STRATEGY_NAMES.includes(name)) throw new InputError("--strategy", "", `unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(", ")})`);
  return name;
}

/** Resolves the run flags against the workload's own defaults (a scenario names its platform and era). */
export function labParams(flags: RunFlags, defaults: { readonly platform: string; readonly era: string; readonly seed: number }): LabParams {
  const eraName = eraFlag(flags.era ?? defaults.era).name;
  const platform = flags.platform ?? defaults.platform;
  if (!PLATFORM_NAMES.includes(platform)) throw new InputError("--platform", "", `unknown platform "${platform}" (known: ${PLATFORM_NAMES.join(", ")})`);
  const background = flags.background ?? "typical";
  if (!isBackgroundPreset(background)) {
    throw new InputError("--background", "", `unknown background load "${background}" (known: ${BACKGROUND_PRESETS.join(", ")})`);
  }
  return {
    platform,
    era: eraName,
    cpus: flags.cpus === undefined ? null : integerFlag("--cpus", flags.cpus, 1, 256),
    seed: flags.seed === undefined ? defaults.seed : integerFlag("--seed", flags.seed, 0, 0xffff_ffff),
    background,
    fitCheck: flags.fitCheck ?? true,
    backgroundChurn: flags.churn === undefined ? 0 : integerFlag("--churn", flags.churn, 0, 64),
  };
}

/** `labParams` with the workload's own defaults: a scenario names its platform, era and seed. */
export function runParams(flags: RunFlags, scenario: Scenario | null): LabParams {
  return labParams(flags, { platform: scenario?.platform ?? "mt8173-elm-4g", era: scenario?.era ?? "v4.19", seed: scenario?.seed ?? 1 });
}

/** Where a run's events come from. Plain data, so it can be posted to a worker thread. */
export type WorkloadSource =
  | { readonly kind: "builtin"; readonly name: string }
  | { readonly kind: "file"; readonly path: string; readonly text: string }
  | { readonly kind: "trace"; readonly path: string; readonly skipMalformed: boolean; readonly readPath?: string };

/** Picks the workload: `--trace FILE`, a scenario file, a built-in scenario name, or the default. */
export function workloadSource(arg: string | undefined, trace: string | undefined, skipMalformed = false): WorkloadSource {
  if (trace !== undefined) {
    if (arg !== undefined) throw new InputError(arg, "", "give either a scenario or --trace, not both");
    return { kind: "trace", path: trace, skipMalformed };
  }
  const name = arg ?? DEFAULT_SCENARIO;
  if (BUILTIN_SCENARIOS.some((s) => s.name === name) && !existsSync(name)) return { kind: "builtin", name };
  if (!existsSync(name)) {
    throw new InputError(name, "", `no such scenario file, and not a built-in scenario (built-ins: ${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")})`);
  }
  if (statSync(name).isDirectory()) throw new InputError(name, "", "is a directory, not a scenario file");
  return { kind: "file", path: name, text: readFileSync(name, "utf8") };
}

/** The scenario of a non-trace source (validated: an InputError names the field). */
export function loadScenario(src: WorkloadSource): Scenario | null {
  if (src.kind === "builtin") return builtinScenario(src.name);
  if (src.kind === "file") return parseScenario(src.text, src.path);
  return null;
}

export function sourceName(src: WorkloadSource): string {
  return src.kind === "builtin" ? src.name : src.path;
}
