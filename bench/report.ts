// SPDX-License-Identifier: GPL-2.0-only
/**
 * The report layer on a large comparison: 8 strategies, 20,000 samples and 4,096 table placements each
 * (a full 4 GiB IOVA space of L2 tables). Figures are the median of 5 reps after a warm-up. SVG rendering
 * is async (vega) and is not measured here.
 */
import type { ComparisonReport } from "../src/lab/types.ts";
import { computeAnswer } from "../src/analysis/answer.ts";
import { chartNotes } from "../src/analysis/notes.ts";
import { chartSpecs } from "../src/report/charts.ts";
import { toJson } from "../src/report/json.ts";
import { renderTerminal } from "../src/report/terminal.ts";
import { fixtureReport, fixtureResults } from "../test/report/fixture.ts";

const SAMPLES = 20_000;
const TABLES = 4096;
const REPS = 5;

function bigReport(): ComparisonReport {
  const results = fixtureResults().map((r, s) => ({
    ...r,
    samples: Array.from({ length: SAMPLES }, (_, i) => {
      const live = Math.round(2048 + 2047 * Math.sin((i + s) / 700));
      return { event: i, heldBytes: 16384 + live * 1024 * (1 + (s % 4)), inUseBytes: 16384 + live * 1024, liveL2Tables: live };
    }),
    tables: Array.from({ length: TABLES }, (_, i) => ({ pa: 0x4000_0000 + ((i * 7919 + s * 104729) % 786432) * 4096, bytes: 1024, level: 2 as const, zone: "DMA32", live: true })),
    freedTables: { count: 0, bytes: 0, above4GiB: 0, binBytes: 1 << 20, bins: [] },
  }));
  return fixtureReport(results);
}

function median(f: () => unknown): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(REPS / 2)] ?? 0;
}

export function run(): { name: string; unit: string; value: number }[] {
  const report = bigReport();
  return [
    { name: "report.toJson (8 x 20k samples, 4k tables)", unit: "ms", value: median(() => toJson(report)) },
    { name: "report.renderTerminal", unit: "ms", value: median(() => renderTerminal(report, computeAnswer(report), { color: false })) },
    { name: "report.computeAnswer", unit: "ms", value: median(() => computeAnswer(report)) },
    { name: "report.chartSpecs (downsample + bin)", unit: "ms", value: median(() => chartSpecs(report, chartNotes())) },
    { name: "report.json size", unit: "MiB", value: toJson(report).length / 1024 / 1024 },
  ];
}
