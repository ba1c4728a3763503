// SPDX-License-Identifier: GPL-2.0-only
/**
 * The report layer on a large comparison: 8 strategies, 20,000 samples and 4,096 table placements each
 * (a full 4 GiB IOVA space of L2 tables). Timed by measure.ts. SVG rendering is async (vega) and is not
 * measured here.
 */
import type { ComparisonReport } from "../src/lab/types.ts";
import { computeAnswer } from "../src/analysis/answer.ts";
import { chartNotes } from "../src/analysis/notes.ts";
import { chartSpecs } from "../src/report/charts.ts";
import { toJson } from "../src/report/json.ts";
import { renderTerminal } from "../src/report/terminal.ts";
import { fixtureReport, fixtureResults } from "../test/fixtures/report.ts";
import { type Alternative, type Figure, measure } from "./measure.ts";

const SAMPLES = 20_000;
const TABLES = 4096;

function bigReport(): ComparisonReport {
  const results = fixtureResults().map((r, s) => ({
    ...r,
    samples: Array.from({ length: SAMPLES }, (_, i) => {
      const live = Math.round(2048 + 2047 * Math.sin((i + s) / 700));
      return { event: i, heldBytes: 16384 + live * 1024 * (1 + (s % 4)), inUseBytes: 16384 + live * 1024, liveL2Tables: live };
    }),
    tables: Array.from({ length: TABLES }, (_, i) => ({
      pa: 0x4000_0000 + ((i * 7919 + s * 104729) % 786432) * 4096,
      bytes: 1024,
      level: 2 as const,
      zone: "DMA32",
      live: true,
    })),
    freedTables: { count: 0, bytes: 0, above4GiB: 0, binBytes: 1 << 20, bins: [], l1: [] },
  }));
  return fixtureReport(results);
}

/** One call of `f` per run. */
function once<N extends string>(name: N, f: () => unknown): Alternative<N> {
  return {
    name,
    setup: () => () => {
      f();
      return 1;
    },
  };
}

export async function run(): Promise<Figure[]> {
  const report = bigReport();
  const t = await measure([
    once("toJson", () => toJson(report)),
    once("renderTerminal", () => renderTerminal(report, computeAnswer(report), { color: false })),
    once("computeAnswer", () => computeAnswer(report)),
    once("chartSpecs", () => chartSpecs(report, chartNotes())),
  ]);
  return [
    { name: "report.toJson (8 x 20k samples, 4k tables)", unit: "CPU ms", value: t.toJson.cpuMs },
    { name: "report.renderTerminal", unit: "CPU ms", value: t.renderTerminal.cpuMs },
    { name: "report.computeAnswer", unit: "CPU ms", value: t.computeAnswer.cpuMs },
    { name: "report.chartSpecs (downsample + bin)", unit: "CPU ms", value: t.chartSpecs.cpuMs },
    { name: "report.json size", unit: "MiB", value: toJson(report).length / 1024 / 1024 },
  ];
}
