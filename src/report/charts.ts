// SPDX-License-Identifier: GPL-2.0-only
/**
 * Vega-Lite chart specs built from a ComparisonReport, and their rendering to SVG at build time (vega's
 * headless View with renderer "none": no DOM, no canvas; text widths are estimated, so the output does
 * not depend on installed fonts). The SVG is byte-stable: vega numbers clip paths and gradients from
 * process-wide counters, which renderSvg renames per chart.
 */
import type * as VegaLite from "vega-lite";
import type * as Vega from "vega";
import { bytes, SZ_4G } from "../core/u32.ts";
import type { ChartNotes } from "../analysis/notes.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";

export type ChartId = "held-over-time" | "memory-map" | "l2-occupancy" | "held-vs-in-use";

/** A Vega-Lite top-level spec as plain data. */
export type VegaLiteSpec = Readonly<Record<string, unknown>>;

export interface ChartSpec {
  readonly id: ChartId;
  readonly title: string;
  /** One or two sentences under the chart, with the figures a reader needs to read it. */
  readonly caption: string;
  readonly spec: VegaLiteSpec;
}

export interface ChartSvg {
  readonly id: ChartId;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
}

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/** Colour per strategy, in the report's order (Tableau 10, muted enough for print). */
export const STRATEGY_PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
] as const;

const CONFIG = {
  background: "#ffffff",
  font: FONT,
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFont: FONT,
    titleFont: FONT,
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    labelColor: "#3a3f45",
    titleColor: "#1f2328",
    gridColor: "#e8eaed",
    domainColor: "#9aa0a6",
    tickColor: "#9aa0a6",
  },
  legend: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, labelLimit: 220 },
  title: { font: FONT },
  text: { font: FONT },
} as const;

const GiB = 1024 ** 3;

function strategyColor(report: ComparisonReport): { domain: string[]; range: string[] } {
  const domain = report.results.map((r) => r.strategy);
  return { domain, range: domain.map((_, i) => STRATEGY_PALETTE[i % STRATEGY_PALETTE.length] ?? "#888888") };
}

/** At most about 2 * buckets points per strategy: the min and max of each bucket, so peaks survive. */
function downsample(samples: StrategyResult["samples"], buckets: number): StrategyResult["samples"] {
  if (samples.length <= 2 * buckets) return samples;
  const out: StrategyResult["samples"][number][] = [];
  const per = samples.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * per);
    const to = Math.min(samples.length, Math.floor((b + 1) * per));
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      const s = samples[i];
      if (s === undefined) continue;
      if (s.heldBytes < (samples[lo]?.heldBytes ?? Infinity)) lo = i;
      if (s.heldBytes > (samples[hi]?.heldBytes ?? -Infinity)) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) {
      const s = samples[i];
      if (s !== undefined && out[out.length - 1] !== s) out.push(s);
    }
  }
  const last = samples[samples.length - 1];
  if (last !== undefined && out[out.length - 1] !== last) out.push(last);
  return out;
}

/** Vega expression that prints a byte count the way bytes() does for powers of two: 16 KiB, 4 MiB. */
const BYTES_LABEL =
  "datum.value >= 1073741824 ? format(datum.value / 1073741824, '~g') + ' GiB' : " +
  "datum.value >= 1048576 ? format(datum.value / 1048576, '~g') + ' MiB' : " +
  "datum.value >= 1024 ? format(datum.value / 1024, '~g') + ' KiB' : format(datum.value, '~g') + ' B'";

/** Powers of two from below `lo` to above `hi`, every `step` doublings: log-axis ticks that read as sizes. */
function powerTicks(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log2(Math.max(1, lo))); e <= Math.ceil(Math.log2(Math.max(1, hi))); e += step) out.push(2 ** e);
  return out;
}

export function heldOverTimeSpec(report: ComparisonReport): ChartSpec {
  const values: { strategy: string; event: number; held: number }[] = [];
  let maxHeld = 0;
  let minPositive = Infinity;
  for (const r of report.results) {
    for (const s of downsample(r.samples, 300)) {
      values.push({ strategy: r.strategy, event: s.event, held: s.heldBytes });
      maxHeld = Math.max(maxHeld, s.heldBytes);
      if (s.heldBytes > 0) minPositive = Math.min(minPositive, s.heldBytes);
    }
  }
  // Strategies differ by up to three orders of magnitude (a 4 MiB pool vs a few KiB of slab), so a
  // linear axis would flatten all but one line.
  const log = minPositive !== Infinity && maxHeld / minPositive > 20;
  const plotted = log ? values.filter((v) => v.held > 0) : values;
  const peaks = report.results
    .slice()
    .sort((a, b) => b.peakHeldBytes - a.peakHeldBytes)
    .map((r) => `${r.strategy} ${bytes(r.peakHeldBytes)}`)
    .join(", ");
  const domain = [minPositive / 1.3, maxHeld * 1.3];
  const ticks = log ? powerTicks(minPositive, maxHeld, 1).filter((t) => t >= (domain[0] ?? 0) && t <= (domain[1] ?? 0)) : [];
  const axis = log
    ? { labelExpr: BYTES_LABEL, values: ticks.length > 8 ? ticks.filter((_, i) => i % 2 === 0) : ticks }
    : { labelExpr: BYTES_LABEL };
  return {
    id: "held-over-time",
    title: "Bytes held over the workload",
    caption: `Bytes each strategy held from the page allocator after each workload event${log ? " (log scale)" : ""}. Peaks: ${peaks || "none"}.`,
    spec: {
      config: CONFIG,
      width: 720,
      height: 300,
      data: { values: plotted },
      mark: { type: "line", interpolate: "step-after", strokeWidth: 1.75, clip: true },
      encoding: {
        x: { field: "event", type: "quantitative", title: "workload event", axis: { format: ",d" } },
        y: {
          field: "held",
          type: "quantitative",
          title: log ? "bytes held (log scale)" : "bytes held",
          scale: log ? { type: "log", base: 2, domain, nice: false } : { zero: true },
          axis,
        },
        color: { field: "strategy", type: "nominal", title: "strategy", scale: strategyColor(report), sort: null },
      },
    },
  };
}

function zoneFill(name: string): string {
  return name === "DMA" ? "#e3f2e1" : name === "DMA32" ? "#e4ecf7" : name === "NORMAL" ? "#fbe9e4" : "#eeeeee";
}

export function memoryMapSpec(report: ComparisonReport): ChartSpec {
  const zones = report.platform.zones.filter((z) => z.end > z.start);
  const lo = Math.min(...report.platform.ram.map((b) => b.start), ...zones.map((z) => z.start), SZ_4G);
  const hi = Math.max(...report.platform.ram.map((b) => b.end), ...zones.map((z) => z.end), SZ_4G);
  const x0 = Math.floor(lo / GiB);
  const x1 = Math.max(Math.ceil(hi / GiB), x0 + 1);
  // Tables are 1 KiB on a multi-GiB axis: bin them so the SVG stays small; each tick is a bin with tables.
  const bins = 480;
  const binBytes = ((x1 - x0) * GiB) / bins;
  const ticks = new Map<string, { strategy: string; kind: string; gib: number; tables: number }>();
  for (const r of report.results) {
    const add = (pa: number, kind: string, n: number): void => {
      const bin = Math.min(bins - 1, Math.max(0, Math.floor((pa - x0 * GiB) / binBytes)));
      const key = `${r.strategy}\u0000${kind}\u0000${bin}`;
      const tick = ticks.get(key);
      if (tick === undefined) ticks.set(key, { strategy: r.strategy, kind, gib: x0 + ((bin + 0.5) * binBytes) / GiB, tables: n });
      else tick.tables += n;
    };
    for (const t of r.tables) add(t.pa, `L${t.level} live`, 1);
    // Report schema 2 keeps freed tables as a binned summary without their level.
    for (const b of r.freedTables.bins) add(b.start, "freed", b.count);
  }
  const zoneValues = zones.map((z) => ({ zone: z.name, from: z.start / GiB, to: z.end / GiB, mid: (z.start + z.end) / 2 / GiB }));
  const placed = report.results
    .filter((r) => r.tables.length + r.freedTables.count > 0)
    .map((r) => {
      const high = r.tables.filter((t) => t.pa >= SZ_4G).length + r.freedTables.above4GiB;
      return `${r.strategy} ${high}/${r.tables.length + r.freedTables.count} above 4 GiB`;
    });
  const rows = Math.max(1, report.results.length);
  const kindColors = { domain: ["L1 live", "L2 live", "freed"], range: ["#1f2328", "#2f6fb3", "#e8a33d"] };
  const xScale = { domain: [x0, x1], nice: false, zero: false };
  return {
    id: "memory-map",
    title: "Where the tables landed in physical memory",
    caption: `Physical address space of ${report.platform.name} with its zones as bands and the 4 GiB line: L1 tables point to L2 tables with 32-bit fields, so every table must lie below it. Each tick is a ${bytes(Math.round(binBytes))} bin holding at least one table. ${placed.join("; ")}.`,
    spec: {
      config: CONFIG,
      width: 720,
      height: rows * 30,
      layer: [
        {
          data: { values: zoneValues },
          mark: { type: "rect", opacity: 1 },
          encoding: {
            x: { field: "from", type: "quantitative", scale: xScale, title: "physical address (GiB)" },
            x2: { field: "to" },
            fill: {
              field: "zone",
              type: "nominal",
              title: "zone",
              scale: { domain: zoneValues.map((z) => z.zone), range: zoneValues.map((z) => zoneFill(z.zone)) },
              legend: { symbolStrokeColor: "#9aa0a6", symbolStrokeWidth: 0.5 },
            },
          },
        },
        {
          // Freed tables first, so live ones are drawn on top.
          data: { values: [...ticks.values()].sort((a, b) => Number(a.kind.endsWith("live")) - Number(b.kind.endsWith("live"))) },
          mark: { type: "tick", thickness: 3, bandSize: 22, opacity: 1 },
          encoding: {
            x: { field: "gib", type: "quantitative", scale: xScale },
            y: { field: "strategy", type: "nominal", title: null, sort: report.results.map((r) => r.strategy), scale: { domain: report.results.map((r) => r.strategy) } },
            color: { field: "kind", type: "nominal", title: "table", scale: kindColors },
          },
        },
        {
          data: { values: [{ gib: SZ_4G / GiB, label: "4 GiB: limit of a 32-bit table pointer" }] },
          layer: [
            { mark: { type: "rule", color: "#c62828", strokeWidth: 1.5, strokeDash: [5, 3] }, encoding: { x: { field: "gib", type: "quantitative", scale: xScale } } },
            {
              mark: { type: "text", color: "#c62828", align: "left", baseline: "top", dx: 4, dy: -14, fontSize: 11, fontWeight: 600 },
              encoding: { x: { field: "gib", type: "quantitative", scale: xScale }, y: { value: 0 }, text: { field: "label" } },
            },
          ],
        },
      ],
      resolve: { scale: { color: "independent", fill: "independent" } },
    },
  };
}

export const OCCUPANCY_BUCKETS = ["0", "1\u201331", "32\u201363", "64\u201395", "96\u2013127", "128\u2013159", "160\u2013191", "192\u2013223", "224\u2013256"] as const;

export function occupancySpec(report: ComparisonReport, notes: ChartNotes): ChartSpec {
  const values: { strategy: string; bucket: string; order: number; tables: number }[] = [];
  for (const r of report.results) {
    OCCUPANCY_BUCKETS.forEach((bucket, i) => values.push({ strategy: r.strategy, bucket, order: i, tables: r.l2Occupancy[i] ?? 0 }));
  }
  const full = report.results.map((r) => `${r.strategy} ${r.l2Occupancy[0] ?? 0}/${r.l2Occupancy.reduce((a, b) => a + b, 0)}`).join(", ");
  return {
    id: "l2-occupancy",
    title: "L2 table occupancy in the steady state",
    caption: `Live L2 tables by number of valid entries (of 256), per strategy, when teardown begins (or at the end of a workload without one). ${notes.l2TableCost}: v7s frees an L2 table only on a 1 MiB-granular unmap, a section map over it, or teardown. Empty/live L2 tables: ${full || "none"}.`,
    spec: {
      config: CONFIG,
      width: 720,
      height: 240,
      data: { values },
      mark: { type: "bar" },
      encoding: {
        x: { field: "bucket", type: "ordinal", title: "valid entries per L2 table", sort: [...OCCUPANCY_BUCKETS], axis: { labelAngle: 0 } },
        xOffset: { field: "strategy", type: "nominal", sort: report.results.map((r) => r.strategy) },
        y: { field: "tables", type: "quantitative", title: "live L2 tables", axis: { tickMinStep: 1, format: "d" } },
        color: { field: "strategy", type: "nominal", title: "strategy", scale: strategyColor(report), sort: null },
      },
    },
  };
}

export function heldVsInUseSpec(report: ComparisonReport): ChartSpec {
  const values: { strategy: string; measure: string; bytes: number; label: string }[] = [];
  for (const r of report.results) {
    values.push({ strategy: r.strategy, measure: "peak held", bytes: r.peakHeldBytes, label: bytes(r.peakHeldBytes) });
    values.push({ strategy: r.strategy, measure: "peak in use", bytes: r.peakInUseBytes, label: bytes(r.peakInUseBytes) });
  }
  const order = report.results.map((r) => r.strategy);
  const y = { field: "strategy", type: "nominal", title: null, sort: order };
  const yOffset = { field: "measure", type: "nominal", sort: ["peak held", "peak in use"] };
  // Ticks at multiples of a power of two, so the labels read 1 MiB, 2 MiB rather than 976.56 KiB.
  const max = Math.max(1024, ...report.results.map((r) => Math.max(r.peakHeldBytes, r.peakInUseBytes)));
  let step = 1024;
  while (max / step > 8) step *= 2;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step; t += step) ticks.push(t);
  const x = {
    field: "bytes",
    type: "quantitative",
    title: "bytes",
    scale: { domain: [0, ticks[ticks.length - 1] ?? max], nice: false },
    axis: { labelExpr: BYTES_LABEL, values: ticks },
  };
  return {
    id: "held-vs-in-use",
    title: "Peak bytes held vs peak bytes of live tables",
    caption: "The gap between the two bars is what the strategy costs beyond the tables themselves: slab and pool slack, partly freed pages, whole pages for 1 KiB tables.",
    spec: {
      config: CONFIG,
      width: 640,
      height: { step: 14 },
      data: { values },
      encoding: { y, yOffset },
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x,
            color: { field: "measure", type: "nominal", title: null, scale: { domain: ["peak held", "peak in use"], range: ["#4e79a7", "#a0cbe8"] }, legend: { orient: "top" } },
          },
        },
        { mark: { type: "text", align: "left", dx: 3, fontSize: 10, color: "#3a3f45" }, encoding: { x, text: { field: "label" } } },
      ],
    },
  };
}

/** `notes`: the analysis's readings printed under the charts. */
export function chartSpecs(report: ComparisonReport, notes: ChartNotes): ChartSpec[] {
  return [heldOverTimeSpec(report), memoryMapSpec(report), occupancySpec(report, notes), heldVsInUseSpec(report)];
}

export interface RenderSvgOptions {
  /** Prefix for the SVG's internal ids, so several charts can share one HTML document. Default "chart". */
  readonly idPrefix?: string;
}

interface ChartEngine {
  readonly compile: typeof VegaLite.compile;
  readonly parse: typeof Vega.parse;
  readonly View: typeof Vega.View;
}

let engine: Promise<ChartEngine> | undefined;

/** vega and vega-lite take longer to load than the rest of the program: they come in with the first chart. */
function chartEngine(): Promise<ChartEngine> {
  engine ??= Promise.all([import("vega-lite"), import("vega")]).then(([vl, vg]) => ({ compile: vl.compile, parse: vg.parse, View: vg.View }));
  return engine;
}

/** Compiles a Vega-Lite spec and renders it to an SVG string, headless. Same spec, same bytes. */
export async function renderSvg(spec: VegaLiteSpec, options: RenderSvgOptions = {}): Promise<string> {
  const { compile, parse, View } = await chartEngine();
  const vgSpec = compile(spec as unknown as Parameters<typeof compile>[0]).spec;
  const view = new View(parse(vgSpec), { renderer: "none" });
  try {
    return normaliseIds(await view.toSVG(), options.idPrefix ?? "chart");
  } finally {
    view.finalize();
  }
}

/** Renames vega's counter-based ids (clip7, gradient_3) to per-chart ids in order of appearance. */
export function normaliseIds(svg: string, prefix: string): string {
  const names = new Map<string, string>();
  const rename = (id: string): string => {
    let n = names.get(id);
    if (n === undefined) {
      n = `${prefix}-${id.replace(/_?\d+$/, "")}${names.size + 1}`;
      names.set(id, n);
    }
    return n;
  };
  return svg
    .replace(/id="((?:clip|gradient_|p_gradient_)\d+)"/g, (_m, id: string) => `id="${rename(id)}"`)
    .replace(/url\(#((?:clip|gradient_|p_gradient_)\d+)\)/g, (_m, id: string) => `url(#${rename(id)})`);
}

/** Every chart of the report, rendered. */
export async function renderCharts(report: ComparisonReport, notes: ChartNotes): Promise<ChartSvg[]> {
  const out: ChartSvg[] = [];
  for (const c of chartSpecs(report, notes)) {
    out.push({ id: c.id, title: c.title, caption: c.caption, svg: await renderSvg(c.spec, { idPrefix: c.id }) });
  }
  return out;
}
