// SPDX-License-Identifier: GPL-2.0-only
/**
 * Comparisons: one workload against several variants, and the report that gathers their results. The
 * shell passes in `runOne` (a worker pool, or an in-process run), so this file decides what runs and
 * how the report reads, never how or where a run executes.
 */
import { DEFAULT_TLB_ENTRIES } from "../iommu/tlb.ts";
import { zonesFor } from "../phys/zones.ts";
import { STRATEGY_NAMES } from "../strategies/index.ts";
import type { WorkloadEvent } from "../workload/events.ts";
import { REGRESSION_2018 } from "../workload/run-defaults.ts";
import type { Scenario } from "../workload/scenario.ts";
import { scenarioEvents } from "./source.ts";
import { DEFAULT_SWITCHES, resolveMachine, variant, type MachineSpec, type RunSpec, type Variant, type VariantSwitches } from "./spec.ts";
import type { ComparisonReport, RunParams, StrategyResult } from "./types.ts";

const PAGE = 4096;

/** What a comparison replays: a scenario (its events are counted for the report), or a trace by name. */
export type WorkloadRef = { readonly kind: "scenario"; readonly name: string; readonly scenario: Scenario } | { readonly kind: "trace"; readonly name: string };

export interface ComparisonSpec {
  readonly machine: MachineSpec;
  /** The comparison's own switches; a variant that differs says so in its label. */
  readonly switches: VariantSwitches;
  readonly variants: readonly Variant[];
  readonly workload: WorkloadRef;
  /** The tool version the report names. */
  readonly version: string;
}

/** Runs one variant over the comparison's workload (the shell decides where: a worker, this thread). */
export type RunOne = (spec: RunSpec) => Promise<StrategyResult>;

export interface Comparison {
  readonly report: ComparisonReport;
  /** What each result ran, in the order of `report.results`. */
  readonly variants: readonly Variant[];
  /** The comparison's own switches (a variant that differs is labelled so). */
  readonly switches: VariantSwitches;
}

/** Every strategy (or the named ones) under the comparison's switches. */
export function strategyVariants(strategies: readonly string[] = STRATEGY_NAMES, switches: VariantSwitches = DEFAULT_SWITCHES): Variant[] {
  return strategies.map((s) => variant(s, {}, switches));
}

export { REGRESSION_2018 };

/** The 2018 reproduction's variants under the comparison's switches (workload/run-defaults.ts). */
export function reproVariants(switches: VariantSwitches): Variant[] {
  const extra = switches.fitCheck ? [variant(REGRESSION_2018.extra.strategy, REGRESSION_2018.extra.switches, switches)] : [];
  return [...strategyVariants(STRATEGY_NAMES, switches), ...extra];
}

/** Runs every variant through `runOne` (all at once: the pool bounds them) and builds the report. */
export async function compare(spec: ComparisonSpec, runOne: RunOne, onResult?: (v: Variant, r: StrategyResult) => void): Promise<Comparison> {
  const results = await Promise.all(
    spec.variants.map(async (v) => {
      const r = await runOne({ machine: spec.machine, variant: v });
      onResult?.(v, r);
      return r;
    }),
  );
  return { report: buildReport(spec, results), variants: spec.variants, switches: spec.switches };
}

export interface WorkloadSummary {
  readonly events: number;
  readonly maps: number;
  readonly unmaps: number;
  readonly description: string;
}

const MAP_EVENTS = new Set<WorkloadEvent["type"]>(["alloc", "mapSingle", "mapSg", "iommuMap"]);
const UNMAP_EVENTS = new Set<WorkloadEvent["type"]>(["free", "unmap", "iommuUnmap"]);

/** Counts a finite event stream's map and unmap requests (consumes it). */
export function summarise(events: Iterable<WorkloadEvent>, description: string): WorkloadSummary {
  let n = 0;
  let maps = 0;
  let unmaps = 0;
  for (const ev of events) {
    n++;
    if (MAP_EVENTS.has(ev.type)) maps++;
    else if (UNMAP_EVENTS.has(ev.type)) unmaps++;
  }
  return { events: n, maps, unmaps, description };
}

/**
 * What the report says of the workload: a scenario's event counts, or for a trace the calls the replay
 * made (every strategy whose domain exists sees the same ones).
 */
export function workloadOf(w: WorkloadRef, seed: number, results: readonly StrategyResult[]): WorkloadSummary {
  if (w.kind === "scenario") return summarise(scenarioEvents(w.scenario, seed), w.scenario.description);
  const maps = Math.max(0, ...results.map((r) => r.mapCalls));
  const unmaps = Math.max(0, ...results.map((r) => r.unmapCalls));
  return { events: maps + unmaps, maps, unmaps, description: `ftrace replay of ${w.name}` };
}

/** The report of results run under `spec` (in its variants' order). */
export function buildReport(spec: Omit<ComparisonSpec, "variants">, results: readonly StrategyResult[]): ComparisonReport {
  const r = resolveMachine(spec.machine);
  const params: RunParams = {
    scenario: spec.workload.name,
    era: r.era.name,
    platform: r.platform.name,
    cpus: r.cpus,
    seed: spec.machine.seed,
    strategies: results.map((x) => x.strategy),
    fitCheck: spec.switches.fitCheck,
    domainTiming: spec.switches.domainTiming,
    tlbEntries: spec.machine.tlbEntries ?? DEFAULT_TLB_ENTRIES,
  };
  return {
    schema: "iommu-lab/compare/2",
    tool: { name: "iommu-lab", version: spec.version },
    params,
    platform: {
      name: r.platform.name,
      description: r.platform.description,
      ram: r.platform.ram.map((b) => ({ start: b.start, end: b.end })),
      zones: zonesFor(r.platform, r.era)
        .filter((z) => z.endPfn > z.startPfn)
        .map((z) => ({ name: z.name, start: z.startPfn * PAGE, end: z.endPfn * PAGE })),
    },
    workload: workloadOf(spec.workload, spec.machine.seed, results),
    results,
  };
}

/** Wall times differ run to run; files leave them out (unless asked) so the same inputs give the same bytes. */
export function withoutTiming(report: ComparisonReport): ComparisonReport {
  return { ...report, results: report.results.map((r) => ({ ...r, runTimeMs: null })) };
}
