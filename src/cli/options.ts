// SPDX-License-Identifier: GPL-2.0-only
/**
 * The run commands' flag values (declared in flags.ts) validated once and turned into the lab's specs;
 * plus the workload source a command was given: a built-in scenario, a scenario file, or an ftrace log.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { ERA_NAMES, era, isEraName, type Era } from "../core/era.ts";
import { InputError } from "../core/errors.ts";
import type { WorkloadRef } from "../lab/compare.ts";
import {
  DEFAULT_MACHINE,
  DEFAULT_STRATEGY,
  DEFAULT_SWITCHES,
  DOMAIN_TIMINGS,
  MAX_CPUS,
  type DomainTiming,
  type MachineSpec,
  type VariantSwitches,
} from "../lab/spec.ts";
import { BACKGROUND_PRESETS, isBackgroundPreset } from "../mm/background.ts";
import { PLATFORM_NAMES } from "../phys/platform.ts";
import { parsePlatformFile, type PlatformFile } from "../phys/platform-file.ts";
import { STRATEGY_NAMES } from "../strategies/index.ts";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO, builtinScenario, defaultScenarioFor } from "../workload/builtin-scenarios.ts";
import { parseFaults, type DeviceFault } from "../workload/faults.ts";
import { parseScenario, type Scenario } from "../workload/scenario.ts";

/** The flags every run command accepts, as commander hands them over (strings until validated). */
export interface RunFlags {
  era?: string;
  platform?: string;
  platformFile?: string;
  cpus?: string;
  seed?: string;
  background?: string;
  fitCheck?: boolean;
  churn?: string;
  domainTiming?: string;
  tlbEntries?: string;
}

/** ANSI colour on stdout: wanted unless --no-color, and only on a terminal. */
export function colorWanted(flags: { readonly color?: boolean }): boolean {
  return (flags.color ?? true) && process.stdout.isTTY === true;
}

/** A bound on --tlb-entries: far beyond any M4U, small enough that the LRU stays cheap. */
const MAX_TLB_ENTRIES = 65536;

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

/** `--platforms a,b,...`: preset names, each checked, "all" for every preset; at least one. */
export function platformsFlag(value: string): string[] {
  if (value.trim() === "all") return [...PLATFORM_NAMES];
  const names = [
    ...new Set(
      value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
  if (names.length === 0) throw new InputError("--platforms", "", "names no platform");
  for (const n of names)
    if (!PLATFORM_NAMES.includes(n)) throw new InputError("--platforms", "", `unknown platform "${n}" (known: ${PLATFORM_NAMES.join(", ")})`);
  return names;
}

export function strategyFlag(value: string | undefined): string {
  const name = value ?? DEFAULT_STRATEGY;
  if (!STRATEGY_NAMES.includes(name)) throw new InputError("--strategy", "", `unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(", ")})`);
  return name;
}

/** The machine the flags describe, over `defaults` (a scenario names its platform, era and seed). */
export function machineFlags(flags: RunFlags, defaults: Pick<MachineSpec, "platform" | "era" | "seed"> = DEFAULT_MACHINE): MachineSpec {
  const file = flags.platformFile === undefined ? null : platformFileFlag(flags.platformFile);
  if (file !== null && flags.platform !== undefined) throw new InputError("--platform-file", "", "give either --platform or --platform-file, not both");
  const eraName = eraFlag(flags.era ?? file?.kernel?.era ?? defaults.era).name;
  const platform = file?.name ?? flags.platform ?? defaults.platform;
  if (file === null && !PLATFORM_NAMES.includes(platform))
    throw new InputError("--platform", "", `unknown platform "${platform}" (known: ${PLATFORM_NAMES.join(", ")})`);
  const background = flags.background ?? DEFAULT_MACHINE.background;
  if (!isBackgroundPreset(background)) {
    throw new InputError("--background", "", `unknown background load "${background}" (known: ${BACKGROUND_PRESETS.join(", ")})`);
  }
  return {
    platform,
    ...(file === null ? {} : { platformFile: file }),
    era: eraName,
    cpus: flags.cpus === undefined ? null : integerFlag("--cpus", flags.cpus, 1, MAX_CPUS),
    seed: flags.seed === undefined ? defaults.seed : integerFlag("--seed", flags.seed, 0, 0xffff_ffff),
    background,
    backgroundChurn: flags.churn === undefined ? DEFAULT_MACHINE.backgroundChurn : integerFlag("--churn", flags.churn, 0, 64),
    ...(flags.tlbEntries === undefined ? {} : { tlbEntries: integerFlag("--tlb-entries", flags.tlbEntries, 1, MAX_TLB_ENTRIES) }),
  };
}

/** `--platform-file FILE`: read and validated; a missing file or a bad field is an InputError naming the path and the rule. */
export function platformFileFlag(path: string): PlatformFile {
  if (!existsSync(path)) throw new InputError(path, "", "no such platform file (--platform-file; `iommu-lab board-import` writes one from a boot log)");
  if (statSync(path).isDirectory()) throw new InputError(path, "", "is a directory, not a platform file");
  return parsePlatformFile(readFileSync(path, "utf8"), path);
}

/** The machine of a run: the flags over the scenario's own platform, era and seed, then the defaults. */
export function runMachine(flags: RunFlags, scenario: Scenario | null): MachineSpec {
  return machineFlags(flags, {
    platform: scenario?.platform ?? DEFAULT_MACHINE.platform,
    era: scenario?.era ?? DEFAULT_MACHINE.era,
    seed: scenario?.seed ?? DEFAULT_MACHINE.seed,
  });
}

/** `--domain-timing WHEN`; an unknown value is bad input naming the flag and the choices. */
export function domainTimingFlag(value: string | undefined): DomainTiming {
  const v = value ?? DEFAULT_SWITCHES.domainTiming;
  const known = DOMAIN_TIMINGS.find((t) => t === v);
  if (known === undefined) throw new InputError("--domain-timing", "", `unknown domain timing "${v}" (known: ${DOMAIN_TIMINGS.join(", ")})`);
  return known;
}

export function switchFlags(flags: RunFlags): VariantSwitches {
  return { fitCheck: flags.fitCheck ?? DEFAULT_SWITCHES.fitCheck, domainTiming: domainTimingFlag(flags.domainTiming) };
}

/** Where a run's events come from. Plain data, so it can be posted to a worker thread. */
export type WorkloadSource =
  | { readonly kind: "builtin"; readonly name: string }
  | { readonly kind: "file"; readonly path: string; readonly text: string }
  | { readonly kind: "trace"; readonly path: string; readonly skipMalformed: boolean; readonly readPath?: string; readonly faults?: readonly DeviceFault[] };

/**
 * The scenario a run uses when none is named: the platform's own default (`defaultScenarioFor`), for
 * `--platform P` or a `--platform-file` based on a preset; undefined (the model's default) otherwise.
 */
export function defaultScenarioArg(flags: RunFlags): string | undefined {
  const base = flags.platform ?? (flags.platformFile === undefined ? undefined : platformFileFlag(flags.platformFile).basedOn);
  return base === undefined ? undefined : defaultScenarioFor(base);
}

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

/**
 * `--faults FILE`: mtk-iommu fault lines pasted from dmesg (or io_page_fault lines), to attribute against
 * the trace being replayed. Without --trace there is no history to match them to: bad input.
 */
export function withFaultsFile(src: WorkloadSource, file: string | undefined): WorkloadSource {
  if (file === undefined) return src;
  if (src.kind !== "trace") throw new InputError("--faults", "", "needs --trace: faults are matched against a replayed trace's maps and unmaps");
  if (!existsSync(file)) throw new InputError(file, "", "no such faults file");
  if (statSync(file).isDirectory()) throw new InputError(file, "", "is a directory, not a faults file");
  const faults = parseFaults(readFileSync(file, "utf8"), file);
  if (faults.length === 0) throw new InputError(file, "", "holds no IOMMU fault line (mtk-iommu 'fault type=0x.. iova=0x..' or iommu:io_page_fault)");
  return { ...src, faults };
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

/** The workload as the lab's reports name it. */
export function workloadRef(src: WorkloadSource, scenario: Scenario | null): WorkloadRef {
  return scenario === null ? { kind: "trace", name: sourceName(src) } : { kind: "scenario", name: sourceName(src), scenario };
}
