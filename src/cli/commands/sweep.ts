// SPDX-License-Identifier: GPL-2.0-only
/**
 * `sweep GRID`: every cell of a declarative grid, across worker threads, each finished cell cached on disk
 * so an interrupted sweep resumes; `--shard i/n` runs one slice for a batch system to spread; `sweep merge`
 * joins the shards' reports into the report one unsharded run writes.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { InputError } from "../../core/errors.ts";
import { variant, type RunSpec } from "../../lab/spec.ts";
import {
  buildSweepReport,
  cellKey,
  expandGrid,
  mergeSweepReports,
  parseShard,
  parseSweepGrid,
  shardCells,
  summariseCell,
  SWEEP_REPORT_SCHEMA,
  type SweepCell,
  type SweepCellResult,
  type SweepGrid,
  type SweepReport,
} from "../../lab/sweep.ts";
import { platform as platformByName } from "../../phys/platform.ts";
import { renderSvg } from "../../report/charts.ts";
import { textFormat } from "../output.ts";
import { renderSweepHtml, renderSweepTerminal, sweepHeatmapSpec, sweepToJson } from "../../report/sweep.ts";
import { BUILTIN_SCENARIOS } from "../../workload/builtin-scenarios.ts";
import { checkOutputs, planOutputs } from "../io.ts";
import { integerFlag, type WorkloadSource } from "../options.ts";
import { defaultJobs, RunPool } from "../parallel.ts";
import { Progress } from "../progress.ts";
import { VERSION } from "../version.ts";
import { fileDigest, SweepCache } from "../sweep-cache.ts";

interface SweepFlags {
  shard?: string;
  cache?: string;
  jobs?: string;
  format?: string;
  json: string | false;
  html: string | false;
}

const EXIT_INTERRUPTED = 130;

/**
 * The grid as --format asks: the ASCII table within 100 columns, within 72 for mail text; Markdown
 * carries the same fixed-layout table in a code block (its cells are already aligned text).
 */
function sweepText(report: Parameters<typeof renderSweepTerminal>[0], flags: SweepFlags): string {
  const format = textFormat(flags);
  if (format === "text") return renderSweepTerminal(report, { width: 72 });
  if (format === "markdown") return "## iommu-lab sweep\n\n```\n" + renderSweepTerminal(report) + "```\n";
  return renderSweepTerminal(report);
}

/** `sweep GRID` (declared in commands/index.ts). */
export async function runAction(gridPath: string, flags: SweepFlags): Promise<void> {
  process.exitCode = await runSweep(gridPath, flags);
}

/** `sweep merge REPORTS...`. */
export async function mergeAction(paths: string[], flags: SweepFlags): Promise<void> {
  checkReportOutputs(flags, paths);
  const reports = paths.map((name) => ({ name, report: readSweepReport(name) }));
  const merged = mergeSweepReports(reports);
  process.stdout.write(sweepText(merged, flags));
  await writeSweepReports(merged, flags);
}

/** The reports against every file the sweep reads (the grid, a scenario or trace, merged shards), before any work. */
function checkReportOutputs(flags: SweepFlags, inputs: readonly string[]): void {
  textFormat(flags);
  checkOutputs({ inputs, outputs: [flags.json, flags.html] });
}

async function runSweep(gridPath: string, flags: SweepFlags): Promise<number> {
  if (!existsSync(gridPath)) throw new InputError(gridPath, "", "no such grid file");
  const grid = parseSweepGrid(readFileSync(gridPath, "utf8"), gridPath);
  let shard = null;
  if (flags.shard !== undefined) {
    const s = parseShard(flags.shard);
    if ("problem" in s) throw new InputError("--shard", "", s.problem);
    shard = s;
  }
  const base = dirname(gridPath);
  const source = workloadOf(grid, base, gridPath);
  checkReportOutputs(flags, [gridPath, ...(source.kind === "builtin" ? [] : [source.path])]);
  const digest = source.kind === "builtin" ? `builtin:${source.name}` : await fileDigest(source.path);
  const cache = new SweepCache(flags.cache ?? gridPath.replace(/\.json$/i, "") + ".cache");
  const cells = shardCells(expandGrid(grid), shard);

  const done: SweepCellResult[] = [];
  const pending: { cell: SweepCell; key: string; name: string }[] = [];
  for (const cell of cells) {
    const key = cellKey(cell, grid.workload);
    const name = cache.name(key, VERSION, digest);
    const summary = cache.get(name, key);
    if (summary === null) pending.push({ cell, key, name });
    else done.push({ ...cell, summary });
  }
  process.stderr.write(
    `sweep: ${cells.length} cells${shard === null ? "" : ` in shard ${shard.index}/${shard.count}`}: ${done.length} from the cache (${cache.dir}), ${pending.length} to run\n`,
  );

  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    process.stderr.write(`\nsweep: interrupted; ${done.length} of ${cells.length} cells are in ${cache.dir}: run the same command again to resume\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const lanes = flags.jobs === undefined ? defaultJobs() : integerFlag("--jobs", flags.jobs, 1, 64);
    const pool = new RunPool(lanes, pending.length, source);
    const progress = new Progress(pending.length, "cells");
    try {
      await Promise.all(
        pending.map(async (p) => {
          const r = await pool.run(cellSpec(p.cell));
          const summary = summariseCell(r, p.cell.cpus === "platform" ? platformByName(p.cell.platform).cpus : p.cell.cpus);
          cache.put(p.name, p.key, summary);
          done.push({ ...p.cell, summary });
          progress.tick(`${p.cell.platform} ${p.cell.era} ${p.cell.strategy}`);
        }),
      );
    } finally {
      await pool.close();
    }
    progress.stop();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (interrupted) return EXIT_INTERRUPTED;
  const report = buildSweepReport(grid, shard, VERSION, done);
  process.stdout.write(sweepText(report, flags));
  await writeSweepReports(report, flags);
  return 0;
}

/** The grid's workload as a run source; relative paths are relative to the grid file. */
function workloadOf(grid: SweepGrid, base: string, gridPath: string): WorkloadSource {
  const at = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  if ("trace" in grid.workload) {
    const path = at(grid.workload.trace);
    if (!existsSync(path)) throw new InputError(gridPath, "workload.trace", `no such trace file: ${path}`);
    return { kind: "trace", path, skipMalformed: grid.workload.skipMalformed };
  }
  const name = grid.workload.scenario;
  if (BUILTIN_SCENARIOS.some((s) => s.name === name)) return { kind: "builtin", name };
  const path = at(name);
  if (!existsSync(path)) throw new InputError(gridPath, "workload.scenario", `no such scenario file: ${resolve(path)}`);
  return { kind: "file", path, text: readFileSync(path, "utf8") };
}

function cellSpec(cell: SweepCell): RunSpec {
  return {
    machine: {
      platform: cell.platform,
      era: cell.era,
      cpus: cell.cpus === "platform" ? null : cell.cpus,
      seed: cell.seed,
      background: cell.background,
      backgroundChurn: 0,
    },
    variant: variant(cell.strategy, { fitCheck: cell.fitCheck }),
  };
}

function readSweepReport(path: string): SweepReport {
  if (!existsSync(path)) throw new InputError(path, "", "no such sweep report");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    throw new InputError(path, "", `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (json === null || typeof json !== "object" || (json as { schema?: unknown }).schema !== SWEEP_REPORT_SCHEMA) {
    throw new InputError(path, "schema", `is not a sweep report (expected "${SWEEP_REPORT_SCHEMA}")`);
  }
  const r = json as SweepReport;
  // The grid is re-validated so a hand-edited report cannot smuggle an unknown platform or strategy in.
  parseSweepGrid(JSON.stringify(r.grid), `${path} (grid)`);
  return r;
}

/** Both reports staged, then committed together: all or none. */
async function writeSweepReports(report: SweepReport, flags: SweepFlags): Promise<void> {
  const out = planOutputs({ inputs: [], outputs: [flags.json, flags.html] });
  try {
    if (flags.json !== false) out.write(flags.json, sweepToJson(report));
    if (flags.html !== false) {
      const svg = await renderSvg(sweepHeatmapSpec(report), { idPrefix: "sweep" });
      const caption =
        "Each cell: one strategy on one platform, era, CPU count, background load and seed; colour is the verdict, the label the bytes its tables held at peak.";
      out.write(flags.html, renderSweepHtml(report, { title: "Sweep heatmap", caption, svg }));
    }
    await out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  for (const f of [flags.json, flags.html]) if (f !== false) process.stderr.write(`wrote ${f}\n`);
}
