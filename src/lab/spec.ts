// SPDX-License-Identifier: GPL-2.0-only
/**
 * What one experiment runs: a machine (platform, kernel era, CPUs, background load, seeds) and a variant
 * (the table-memory strategy and the switches that differ between the runs of one comparison). Plain
 * data, so a spec crosses worker threads and a report can say exactly what each column ran.
 */
import { era as eraByName, type Era } from "../core/era.ts";
import type { BackgroundPreset } from "../mm/background.ts";
import { platform as platformByName, type Platform } from "../phys/platform.ts";
import { platformFromFile, type PlatformFile } from "../phys/platform-file.ts";
import { DOMAIN_TIMING_CHOICES, RUN_DEFAULTS } from "../workload/run-defaults.ts";

/** The machine and its kernel: everything a system needs besides the variant. */
export interface MachineSpec {
  /** A preset name, or the name of `platformFile`'s platform. */
  readonly platform: string;
  /** A platform read from a --platform-file (validated, plain data, so the spec still crosses worker threads); it wins over the name. */
  readonly platformFile?: PlatformFile;
  readonly era: string;
  /** Present CPUs (SLUB geometry, IOVA rcache); null: the platform's. */
  readonly cpus: number | null;
  /** Seed of the background load (and, by convention, of the workload). */
  readonly seed: number;
  readonly background: BackgroundPreset;
  /** Background allocations and frees interleaved per workload event (churn of the rest of the kernel). */
  readonly backgroundChurn: number;
  readonly tlbEntries?: number;
}

/**
 * When the IOMMU domain (and so its L1 table) is allocated relative to the background load:
 * - "after-background": the background fills memory first, then the device probes (the order every
 *   report so far has used: the L1 lands wherever a loaded system has room);
 * - "at-probe": the device probes on a freshly booted kernel, then the rest of the kernel loads.
 */
export type DomainTiming = (typeof DOMAIN_TIMING_CHOICES)[number];
export const DOMAIN_TIMINGS: readonly DomainTiming[] = DOMAIN_TIMING_CHOICES;

/** One column of a comparison. `label` names it in reports; the other fields say what it ran. */
export interface Variant {
  readonly strategy: string;
  /** The engine's "Page table does not fit in PTE" check; on in every kernel since 4.19. */
  readonly fitCheck: boolean;
  readonly domainTiming: DomainTiming;
  readonly label: string;
}

export interface RunSpec {
  readonly machine: MachineSpec;
  readonly variant: Variant;
}

/** The switches a variant may change from the comparison's defaults. */
export interface VariantSwitches {
  readonly fitCheck: boolean;
  readonly domainTiming: DomainTiming;
}

export const DEFAULT_SWITCHES: VariantSwitches = { fitCheck: true, domainTiming: RUN_DEFAULTS.domainTiming };

/**
 * A variant of `strategy`; its label is the strategy's name, plus what differs from `base` (the
 * comparison's own switches), so a plain run reads "slab-dma32" and an extra one
 * "legacy-gfp-dma (fit check off)".
 */
export function variant(strategy: string, switches: Partial<VariantSwitches> = {}, base: VariantSwitches = DEFAULT_SWITCHES): Variant {
  const s: VariantSwitches = { ...base, ...switches };
  const notes: string[] = [];
  if (s.fitCheck !== base.fitCheck) notes.push(`fit check ${s.fitCheck ? "on" : "off"}`);
  if (s.domainTiming !== base.domainTiming) notes.push(`domain ${s.domainTiming}`);
  return { strategy, fitCheck: s.fitCheck, domainTiming: s.domainTiming, label: notes.length === 0 ? strategy : `${strategy} (${notes.join(", ")})` };
}

/** The machine a run gets when neither the scenario nor the user names one (workload/run-defaults.ts). */
export const DEFAULT_MACHINE: MachineSpec = {
  platform: RUN_DEFAULTS.platform,
  era: RUN_DEFAULTS.era,
  cpus: null,
  seed: RUN_DEFAULTS.seed,
  background: RUN_DEFAULTS.background,
  backgroundChurn: RUN_DEFAULTS.backgroundChurn,
};

/** The strategy a single run uses unless told otherwise. */
export const DEFAULT_STRATEGY: string = RUN_DEFAULTS.strategy;

export interface ResolvedMachine {
  readonly platform: Platform;
  readonly era: Era;
  readonly cpus: number;
}

export const MAX_CPUS = 256;

/** Resolves names; an unknown platform or era, or a CPU count outside [1, MAX_CPUS], throws RangeError. */
export function resolveMachine(m: MachineSpec): ResolvedMachine {
  const platform = m.platformFile === undefined ? platformByName(m.platform) : platformFromFile(m.platformFile);
  const era = eraByName(m.era);
  const cpus = m.cpus ?? platform.cpus;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) throw new RangeError(`machine: ${cpus} CPUs; must be an integer from 1 to ${MAX_CPUS}`);
  return { platform, era, cpus };
}
