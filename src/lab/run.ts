// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs: one workload against one strategy (a Session), and the comparison report over many. Pure: the
 * CLI supplies the events (from a scenario here, or streamed from a trace file) and the clock.
 */
import { era as eraByName, type Era } from "../core/era.ts";
import { Rng } from "../core/rng.ts";
import type { TraceSink } from "../dma/trace.ts";
import type { BackgroundPreset } from "../mm/background.ts";
import { platform as platformByName, type Platform } from "../phys/platform.ts";
import { zonesFor } from "../phys/zones.ts";
import { strategy as strategyByName } from "../strategies/index.ts";
import type { WorkloadEvent } from "../workload/events.ts";
import { expandScenario, type Scenario } from "../workload/scenario.ts";
import { Session } from "./session.ts";
import type { ComparisonReport, RunParams, StrategyResult } from "./types.ts";

const PAGE = 4096;

/** Everything a run needs besides its events; plain data, so it crosses worker threads. */
export interface LabParams {
  readonly platform: string;
  readonly era: string;
  readonly cpus: number | null;
  readonly seed: number;
  readonly background: BackgroundPreset;
  readonly fitCheck: boolean;
  readonly backgroundChurn: number;
  readonly tlbEntries?: number;
}

export interface Resolved {
  readonly platform: Platform;
  readonly era: Era;
  readonly cpus: number;
}

/** Resolves names; an unknown platform or era throws RangeError listing the known ones. */
export function resolve(params: LabParams): Resolved {
  const platform = platformByName(params.platform);
  const era = eraByName(params.era);
  const cpus = params.cpus ?? platform.cpus;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 256) throw new RangeError(`--cpus ${cpus}: must be an integer from 1 to 256`);
  return { platform, era, cpus };
}

export function newSession(params: LabParams, strategyName: string, clock: () => number, trace: TraceSink | null = null): Session {
  const r = resolve(params);
  return new Session(
    {
      platform: r.platform,
      era: r.era,
      cpus: r.cpus,
      strategy: strategyByName(strategyName),
      seed: params.seed,
      background: params.background,
      fitCheck: params.fitCheck,
      backgroundChurn: params.backgroundChurn,
      trace,
      ...(params.tlbEntries === undefined ? {} : { tlbEntries: params.tlbEntries }),
    },
    clock,
  );
}

/** The scenario's events for this run: the same seed gives the same stream for every strategy. */
export function scenarioEvents(scenario: Scenario, seed: number): Iterable<WorkloadEvent> {
  return expandScenario(scenario, new Rng(seed));
}

/** One strategy over a whole event stream. */
export function runStrategy(
  params: LabParams,
  strategyName: string,
  events: Iterable<WorkloadEvent>,
  clock: () => number,
  trace: TraceSink | null = null,
): StrategyResult {
  const s = newSession(params, strategyName, clock, trace);
  for (const ev of events) s.apply(ev);
  return s.result();
}

export interface WorkloadSummary {
  readonly events: number;
  readonly maps: number;
  readonly unmaps: number;
  readonly description: string;
}

const MAP_EVENTS = new Set(["alloc", "mapSingle", "mapSg", "iommuMap"]);
const UNMAP_EVENTS = new Set(["free", "unmap", "iommuUnmap"]);

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

/** Assembles the comparison report; results keep the order of `strategies`. */
export function buildReport(
  params: LabParams,
  run: { readonly scenario: string; readonly strategies: readonly string[]; readonly version: string },
  workload: WorkloadSummary,
  results: readonly StrategyResult[],
): ComparisonReport {
  const r = resolve(params);
  const runParams: RunParams = {
    scenario: run.scenario,
    era: r.era.name,
    platform: r.platform.name,
    cpus: r.cpus,
    seed: params.seed,
    strategies: run.strategies,
    fitCheck: params.fitCheck,
  };
  return {
    schema: "iommu-lab/compare/1",
    tool: { name: "iommu-lab", version: run.version },
    params: runParams,
    platform: {
      name: r.platform.name,
      description: r.platform.description,
      ram: r.platform.ram.map((b) => ({ start: b.start, end: b.end })),
      zones: zonesFor(r.platform, r.era)
        .filter((z) => z.endPfn > z.startPfn)
        .map((z) => ({ name: z.name, start: z.startPfn * PAGE, end: z.endPfn * PAGE })),
    },
    workload,
    results,
  };
}
