// SPDX-License-Identifier: GPL-2.0-only
/**
 * Sweeps: a declarative grid (platforms x eras x CPU counts x background presets x seeds x strategies,
 * over one workload) expanded into cells, cut into shards, and joined back into one report. Pure: the
 * shell runs the cells (worker threads, an on-disk cache keyed by each cell's inputs) and distributes
 * shards with whatever batch system the user has; nothing here schedules.
 *
 *   { "workload": { "scenario": "mt8173-video-playback" },
 *     "platforms": ["mt8173-elm-4g", "mt8173-elm-2g"], "eras": ["v4.19", "v6.6", "latest"],
 *     "cpus": [2, 4, 8], "backgrounds": ["typical"], "seeds": [1], "strategies": "all" }
 *
 * A cell's identity is its key (the canonical JSON of its inputs), so the same grid gives the same cells
 * in the same order on every machine, and shard i of n is "every cell whose index is i-1 modulo n": cheap
 * and expensive rows spread evenly, and the n shards partition the grid exactly.
 */
import { z } from "zod";
import { ERA_NAMES, isEraName } from "../core/era.ts";
import { InputError } from "../core/errors.ts";
import { BACKGROUND_PRESETS, type BackgroundPreset } from "../mm/background.ts";
import { PLATFORM_NAMES } from "../phys/platform.ts";
import { STRATEGY_NAMES } from "../strategies/index.ts";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO } from "../workload/builtin-scenarios.ts";
import { jsonErrorOffset, throwIssues } from "../workload/validation.ts";
import type { StrategyResult } from "./types.ts";

export const SWEEP_GRID_SCHEMA = "iommu-lab/sweep-grid/1";
export const SWEEP_REPORT_SCHEMA = "iommu-lab/sweep/1";

const oneOf = (names: readonly string[], what: string) =>
  z.string().refine((s) => names.includes(s), { message: `must be a known ${what} (${names.join(", ")})` });

const distinct = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1)
    .max(64)
    .refine((xs) => new Set(xs.map((x) => JSON.stringify(x))).size === xs.length, { message: "must not repeat a value" });

const gridSchema = z.strictObject({
  $schema: z.string().optional(),
  workload: z
    .union([z.strictObject({ scenario: z.string().min(1) }), z.strictObject({ trace: z.string().min(1), skipMalformed: z.boolean().default(false) })])
    .default({ scenario: DEFAULT_SCENARIO }),
  platforms: distinct(oneOf(PLATFORM_NAMES, "platform")),
  eras: distinct(z.string().refine(isEraName, { message: `must be a known era (${ERA_NAMES.join(", ")})` })),
  /** "platform" means the platform's own CPU count. */
  cpus: distinct(z.union([z.number().int().min(1).max(256), z.literal("platform")])).default(["platform"]),
  backgrounds: distinct(oneOf(BACKGROUND_PRESETS, "background preset")).default(["typical"]),
  seeds: distinct(z.number().int().min(0).max(0xffff_ffff)).default([1]),
  strategies: z.union([z.literal("all"), distinct(oneOf(STRATEGY_NAMES, "strategy"))]).default("all"),
  fitCheck: z.boolean().default(true),
});

export type SweepWorkload = { readonly scenario: string } | { readonly trace: string; readonly skipMalformed: boolean };

/** A validated grid with every default filled in: what the report records, so merge can compare grids. */
export interface SweepGrid {
  readonly workload: SweepWorkload;
  readonly platforms: readonly string[];
  readonly eras: readonly string[];
  readonly cpus: readonly (number | "platform")[];
  readonly backgrounds: readonly BackgroundPreset[];
  readonly seeds: readonly number[];
  readonly strategies: readonly string[];
  readonly fitCheck: boolean;
}

/** One run of one strategy: the inputs that decide its result, besides the workload's bytes. */
export interface SweepCell {
  readonly index: number;
  readonly platform: string;
  readonly era: string;
  readonly cpus: number | "platform";
  readonly background: BackgroundPreset;
  readonly seed: number;
  readonly strategy: string;
  readonly fitCheck: boolean;
}

/** Parses grid JSON text; every problem is an InputError naming `fileName` and the field. */
export function parseSweepGrid(text: string, fileName: string): SweepGrid {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    const at = jsonErrorOffset(text);
    const before = text.slice(0, at);
    const msg = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ");
    throw new InputError(fileName, `line ${before.split("\n").length} column ${at - before.lastIndexOf("\n")}`, `not valid JSON (${msg})`);
  }
  const r = gridSchema.safeParse(json);
  if (!r.success) throwIssues(fileName, r.error.issues, json);
  const g = r.data;
  const workload: SweepWorkload =
    "scenario" in g.workload ? { scenario: g.workload.scenario } : { trace: g.workload.trace, skipMalformed: g.workload.skipMalformed };
  if ("scenario" in workload && !BUILTIN_SCENARIOS.some((s) => s.name === workload.scenario) && !/\.json$/i.test(workload.scenario)) {
    throw new InputError(fileName, "workload.scenario", `must be a built-in scenario (${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")}) or a .json file`);
  }
  return {
    workload,
    platforms: g.platforms,
    eras: g.eras,
    cpus: g.cpus,
    backgrounds: g.backgrounds as BackgroundPreset[],
    seeds: g.seeds,
    strategies: g.strategies === "all" ? [...STRATEGY_NAMES] : g.strategies,
    fitCheck: g.fitCheck,
  };
}

/** Every cell of the grid, strategies varying fastest, then seeds, backgrounds, CPU counts, eras, platforms. */
export function expandGrid(grid: SweepGrid): SweepCell[] {
  const cells: SweepCell[] = [];
  for (const platform of grid.platforms)
    for (const era of grid.eras)
      for (const cpus of grid.cpus)
        for (const background of grid.backgrounds)
          for (const seed of grid.seeds)
            for (const strategy of grid.strategies)
              cells.push({ index: cells.length, platform, era, cpus, background, seed, strategy, fitCheck: grid.fitCheck });
  return cells;
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** "2/5" -> {index: 2, count: 5}; the message names the rule, the caller names the input. */
export function parseShard(text: string): Shard | { readonly problem: string } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) return { problem: `"${text}" is not of the form i/n` };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 100_000) return { problem: `shard count ${count} must be from 1 to 100000` };
  if (index < 1 || index > count) return { problem: `shard ${index} must be from 1 to ${count}` };
  return { index, count };
}

export function shardCells(cells: readonly SweepCell[], shard: Shard | null): SweepCell[] {
  return shard === null ? [...cells] : cells.filter((c) => c.index % shard.count === shard.index - 1);
}

/** The cell's inputs as canonical JSON (fixed key order, no index): what a cache key is hashed from. */
export function cellKey(cell: SweepCell, workload: SweepWorkload): string {
  return JSON.stringify({
    platform: cell.platform,
    era: cell.era,
    cpus: cell.cpus,
    background: cell.background,
    seed: cell.seed,
    strategy: cell.strategy,
    fitCheck: cell.fitCheck,
    workload,
  });
}

/** What a sweep keeps of one strategy's run: the figures a grid is read for, not its samples or tables. */
export interface CellSummary {
  readonly domainCreated: boolean;
  readonly cpus: number;
  readonly mapCalls: number;
  readonly mapFailures: number;
  readonly allocFailures: number;
  readonly tablesAbove4GiB: number;
  readonly tablesAbove4GiBAddressable: boolean;
  readonly peakHeldBytes: number;
  readonly peakInUseBytes: number;
  readonly l2TablesAllocated: number;
  readonly faults: number;
  readonly translationMismatches: number;
  readonly strayDmaWrites: number;
  readonly dirtyTables: number;
  /** The run's first kernel message, if any (the refusal of a strategy the era lacks, for one). */
  readonly firstMessage: string | null;
}

export function summariseCell(r: StrategyResult, cpus: number): CellSummary {
  return {
    domainCreated: r.domainCreated,
    cpus,
    mapCalls: r.mapCalls,
    mapFailures: r.mapFailures,
    allocFailures: r.allocFailures,
    tablesAbove4GiB: r.tablesAbove4GiB,
    tablesAbove4GiBAddressable: r.capabilities.tablesAbove4GiBAddressable,
    peakHeldBytes: r.peakHeldBytes,
    peakInUseBytes: r.peakInUseBytes,
    l2TablesAllocated: r.l2TablesAllocated,
    faults: r.faults,
    translationMismatches: r.translationMismatches,
    strayDmaWrites: r.strayDmaWrites,
    dirtyTables: r.dirtyTables,
    firstMessage: r.messages[0]?.text ?? null,
  };
}

/** How a cell reads at a glance, worst first. */
export type CellVerdict = "no-domain" | "failures" | "above-4g" | "wrong-walk" | "ok";

export function cellVerdict(s: CellSummary): CellVerdict {
  if (!s.domainCreated) return "no-domain";
  if (s.mapFailures + s.allocFailures > 0) return "failures";
  if (s.tablesAbove4GiB > 0 && !s.tablesAbove4GiBAddressable) return "above-4g";
  if (s.faults + s.translationMismatches + s.strayDmaWrites + s.dirtyTables > 0) return "wrong-walk";
  return "ok";
}

export interface SweepCellResult extends SweepCell {
  readonly summary: CellSummary;
}

export interface SweepReport {
  readonly schema: typeof SWEEP_REPORT_SCHEMA;
  readonly tool: { readonly name: string; readonly version: string };
  readonly grid: SweepGrid;
  /** The whole grid has `cells` for every cell; a shard's report holds only its own. */
  readonly shard: Shard | null;
  readonly totalCells: number;
  readonly cells: readonly SweepCellResult[];
}

export function buildSweepReport(grid: SweepGrid, shard: Shard | null, version: string, results: readonly SweepCellResult[]): SweepReport {
  const cells = [...results].sort((a, b) => a.index - b.index);
  return { schema: SWEEP_REPORT_SCHEMA, tool: { name: "iommu-lab", version }, grid, shard, totalCells: expandGrid(grid).length, cells };
}

/**
 * Joins shard reports of one grid into the report one unsharded run would have written. Refuses reports
 * of different grids or tool versions, a cell given twice with different figures, and a join that leaves
 * cells out (the message lists how many and the first).
 */
export function mergeSweepReports(reports: readonly { readonly name: string; readonly report: SweepReport }[]): SweepReport {
  const first = reports[0];
  if (first === undefined) throw new InputError("sweep merge", "", "needs at least one report");
  const gridText = JSON.stringify(first.report.grid);
  const byIndex = new Map<number, SweepCellResult>();
  for (const { name, report } of reports) {
    if (JSON.stringify(report.grid) !== gridText) throw new InputError(name, "grid", `differs from the grid of ${first.name}`);
    if (report.tool.version !== first.report.tool.version) {
      throw new InputError(name, "tool.version", `${report.tool.version} differs from ${first.report.tool.version} in ${first.name}`);
    }
    for (const c of report.cells) {
      const seen = byIndex.get(c.index);
      if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(c))
        throw new InputError(name, `cells index ${c.index}`, "differs from the same cell in an earlier report");
      byIndex.set(c.index, c);
    }
  }
  const all = expandGrid(first.report.grid);
  const missing = all.filter((c) => !byIndex.has(c.index));
  if (missing.length > 0) {
    const m = missing[0] as SweepCell;
    throw new InputError(
      "sweep merge",
      "",
      `${missing.length} of ${all.length} cells are in none of the reports (first: #${m.index} ${m.platform} ${m.era} cpus=${m.cpus} ${m.background} seed=${m.seed} ${m.strategy})`,
    );
  }
  return buildSweepReport(first.report.grid, null, first.report.tool.version, [...byIndex.values()]);
}

/** A row of the grid view: every cell that shares the non-strategy inputs. */
export interface SweepRow {
  readonly platform: string;
  readonly era: string;
  readonly cpus: number | "platform";
  readonly background: string;
  readonly seed: number;
  readonly cells: readonly SweepCellResult[];
}

/** Groups cells into rows (one per platform x era x cpus x background x seed), in grid order. */
export function sweepRows(report: SweepReport): SweepRow[] {
  const rows = new Map<string, { row: Omit<SweepRow, "cells">; cells: SweepCellResult[] }>();
  for (const c of report.cells) {
    const k = JSON.stringify([c.platform, c.era, c.cpus, c.background, c.seed]);
    let r = rows.get(k);
    if (r === undefined) {
      r = { row: { platform: c.platform, era: c.era, cpus: c.cpus, background: c.background, seed: c.seed }, cells: [] };
      rows.set(k, r);
    }
    r.cells.push(c);
  }
  return [...rows.values()].map((r) => ({ ...r.row, cells: r.cells }));
}
