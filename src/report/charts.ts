// SPDX-License-Identifier: GPL-2.0-only
/**
 * The report's charts: Vega-Lite specs built from a ComparisonReport and rendered to SVG at build time
 * (vega's headless View with renderer "none": no DOM, no canvas; text widths are estimated, so the
 * output does not depend on installed fonts), and the memory map (memory-map.ts). Each chart comes with
 * an accessible title and its data as a table. The SVG is byte-stable: vega numbers clip paths and
 * gradients from process-wide counters, which renderSvg renames per chart.
 */
import type * as VegaLite from "vega-lite";
import type * as Vega from "vega";
import { bytes } from "../core/u32.ts";
import type { ChartNotes } from "../analysis/notes.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import type { ChartTable } from "./chart-table.ts";
import { esc } from "./escape.ts";
import { memoryMap } from "./memory-map.ts";

export type ChartId = "held-over-time" | "memory-map" | "l2-occupancy" | "held-vs-in-use";

/** A Vega-Lite top-level spec as plain data. */
export type VegaLiteSpec = Readonly<Record<string, unknown>>;

export interface ChartSpec {
  readonly id: Exclude<ChartId, "memory-map">;
  readonly title: string;
  /** One or two sentences under the chart, with the figures a reader needs to read it. */
  readonly caption: string;
  readonly spec: VegaLiteSpec;
  /** The plotted data, printed under the chart. */
  readonly table: ChartTable;
}

export interface ChartSvg {
  readonly id: ChartId;
  readonly title: string;
  readonly caption: string;
  /** Inline SVG with role="img", a <title> and a <desc>. */
  readonly svg: string;
  readonly table: ChartTable;
}

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/** Colour per strategy, in the report's order (Tableau 10, muted enough for print). */
export const STRATEGY_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"] as const;

const CONFIG = {
  background: "#ffffff",
  // One accessible name per chart (see accessible()) rather than an aria-label on every mark.
  aria: false,
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
  legend: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, labelLimit: 420 },
  title: { font: FONT },
  text: { font: FONT },
} as const;

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

/** Dash pattern per strategy, in the report's order: coinciding lines stay distinguishable in print. */
export const STRATEGY_DASHES: readonly (readonly number[])[] = [
  [1, 0],
  [7, 3],
  [2, 2],
  [10, 3, 2, 3],
  [4, 4],
  [1, 3],
  [12, 4],
  [6, 2, 2, 2, 2, 2],
];

/** Vertices of a step-after line: the first sample, each sample whose value differs from the one before, and the last. */
function changePoints(samples: StrategyResult["samples"]): StrategyResult["samples"] {
  const out: StrategyResult["samples"][number][] = [];
  for (const s of samples) if (out.length === 0 || out[out.length - 1]?.heldBytes !== s.heldBytes) out.push(s);
  const last = samples[samples.length - 1];
  if (last !== undefined && out[out.length - 1] !== last) out.push(last);
  return out;
}

/** For each strategy whose whole series equals an earlier strategy's, that strategy's name. */
export function sameAs(report: ComparisonReport): Map<string, string> {
  const first = new Map<string, string>();
  const out = new Map<string, string>();
  for (const r of report.results) {
    const key = r.samples.map((s) => `${s.event}:${s.heldBytes}`).join(",");
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, r.strategy);
    else out.set(r.strategy, earlier);
  }
  return out;
}

const BUCKETS = 300;

interface HeldPoint {
  strategy: string;
  event: number;
  held: number;
}

function heldPoints(report: ComparisonReport): { points: HeldPoint[]; downsampled: string[] } {
  const points: HeldPoint[] = [];
  const downsampled: string[] = [];
  for (const r of report.results) {
    const steps = changePoints(r.samples);
    const kept = downsample(steps, BUCKETS);
    if (kept.length < steps.length) downsampled.push(`${r.strategy} (${kept.length} of ${steps.length})`);
    for (const s of kept) points.push({ strategy: r.strategy, event: s.event, held: s.heldBytes });
  }
  return { points, downsampled };
}

export function heldOverTimeSpec(report: ComparisonReport): ChartSpec {
  const { points: held, downsampled } = heldPoints(report);
  const maxHeld = Math.max(1024, ...held.map((p) => p.held));
  const minPositive = Math.min(Infinity, ...held.filter((p) => p.held > 0).map((p) => p.held));
  // Strategies differ by up to three orders of magnitude (a 4 MiB pool vs a few KiB of slab), so a
  // linear axis would flatten all but one line; symlog is logarithmic above `constant` and linear
  // through 0, so a strategy holding nothing is still a drawn line (a log axis cannot show 0). The
  // domain starts a little below 0 so a 0 B line does not lie under the axis.
  const wide = minPositive !== Infinity && maxHeld / minPositive > 20;
  const constant = 1024;
  const domain = wide ? [-constant / 2, maxHeld * 1.3] : [0, maxHeld * 1.1];
  const ticks = wide ? [0, ...powerTicks(Math.max(constant, minPositive), maxHeld, 1).filter((t) => t >= constant && t <= (domain[1] ?? 0))] : [];
  const axis = wide
    ? { labelExpr: BYTES_LABEL, values: ticks.length > 8 ? [0, ...ticks.slice(1).filter((_, i) => i % 2 === 0)] : ticks }
    : { labelExpr: BYTES_LABEL };
  const same = sameAs(report);
  const names = report.results.map((r) => r.strategy);
  const labels = Object.fromEntries(names.map((s) => [s, same.has(s) ? `${s} (same as ${same.get(s) ?? ""})` : s]));
  const copied = new Set(same.values());
  const points = held.map((p) => ({ ...p, width: copied.has(p.strategy) ? 4 : same.has(p.strategy) ? 1.25 : 1.75 }));
  const zero = report.results.filter((r) => r.samples.length > 0 && r.samples.every((s) => s.heldBytes === 0)).map((r) => r.strategy);
  const peaks = report.results
    .slice()
    .sort((a, b) => b.peakHeldBytes - a.peakHeldBytes)
    .map((r) => `${r.strategy} ${bytes(r.peakHeldBytes)}`)
    .join(", ");
  // Peak held is tracked at every allocation, samples after each event: a peak reached and left within
  // one event (an L1 table allocated, refused by the fit check and freed) lies between two samples.
  const between = report.results
    .filter((r) => r.samples.length > 0 && r.peakHeldBytes > Math.max(...r.samples.map((s) => s.heldBytes)))
    .map((r) => `${r.strategy} ${bytes(r.peakHeldBytes)}`);
  const sameText = [...same].map(([a, b]) => `${a} is the same as ${b} at every sample`).join("; ");
  return {
    id: "held-over-time",
    title: "Bytes held over the workload",
    caption:
      `Bytes each strategy held from the page allocator after each workload event${wide ? " (symmetric log scale: logarithmic above 1 KiB, linear through 0 B)" : ""}. Peaks: ${peaks || "none"}.` +
      (sameText ? ` Coinciding lines, told apart by dash pattern and width: ${sameText}.` : "") +
      (zero.length > 0 ? ` At 0 B throughout: ${zero.join(", ")}.` : "") +
      (between.length > 0 ? ` Peaks reached and left within one event, so between two samples and not drawn: ${between.join(", ")}.` : "") +
      (downsampled.length > 0 ? ` Long series are drawn from the minimum and maximum of ${BUCKETS} buckets: ${downsampled.join(", ")} points.` : ""),
    spec: {
      config: CONFIG,
      width: 720,
      height: 300,
      data: { values: points },
      mark: { type: "line", interpolate: "step-after", clip: true },
      encoding: {
        x: { field: "event", type: "quantitative", title: "workload event", axis: { format: ",d" } },
        y: {
          field: "held",
          type: "quantitative",
          title: wide ? "bytes held (symlog scale)" : "bytes held",
          scale: wide ? { type: "symlog", constant, domain, nice: false } : { zero: true, domain, nice: false },
          axis,
        },
        color: {
          field: "strategy",
          type: "nominal",
          title: "strategy",
          scale: strategyColor(report),
          sort: null,
          legend: { labelExpr: `${JSON.stringify(labels)}[datum.label] || datum.label`, symbolType: "stroke", symbolStrokeWidth: 2, labelLimit: 420 },
        },
        strokeDash: {
          field: "strategy",
          type: "nominal",
          title: "strategy",
          sort: null,
          scale: { domain: names, range: names.map((s, i) => (same.has(s) ? [1, 0] : [...(STRATEGY_DASHES[i % STRATEGY_DASHES.length] ?? [1, 0])])) },
          legend: { labelExpr: `${JSON.stringify(labels)}[datum.label] || datum.label`, symbolType: "stroke", symbolStrokeWidth: 2, labelLimit: 420 },
        },
        // A line another one repeats is drawn wide underneath and the repeat thin and solid on top of
        // it, so both stay visible where they coincide.
        strokeWidth: { field: "width", type: "quantitative", scale: null },
      },
    },
    table: {
      summary: `Data: the ${points.length} plotted points (where each series changes, plus its first and last sample)`,
      headers: [
        { label: "event", numeric: true },
        { label: "bytes held", numeric: true },
      ],
      rows: points.map((p) => ({
        strategy: p.strategy,
        kind: "sample",
        cells: [
          { field: "event", value: p.event, text: p.event.toLocaleString("en-US") },
          { field: "heldBytes", value: p.held, text: bytes(p.held) },
        ],
      })),
    },
  };
}

export const OCCUPANCY_BUCKETS = [
  "0",
  "1\u201331",
  "32\u201363",
  "64\u201395",
  "96\u2013127",
  "128\u2013159",
  "160\u2013191",
  "192\u2013223",
  "224\u2013256",
] as const;

export function occupancySpec(report: ComparisonReport, notes: ChartNotes): ChartSpec {
  const values: { strategy: string; bucket: string; order: number; tables: number }[] = [];
  for (const r of report.results) {
    OCCUPANCY_BUCKETS.forEach((bucket, i) => {
      values.push({ strategy: r.strategy, bucket, order: i, tables: r.l2Occupancy[i] ?? 0 });
    });
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
    table: {
      summary: "Data: live L2 tables per valid-entry bucket",
      headers: OCCUPANCY_BUCKETS.map((b) => ({ label: b, numeric: true })),
      rows: report.results.map((r) => ({
        strategy: r.strategy,
        cells: OCCUPANCY_BUCKETS.map((_, i) => ({ field: `l2Occupancy.${i}`, value: r.l2Occupancy[i] ?? 0, text: String(r.l2Occupancy[i] ?? 0) })),
      })),
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
    caption:
      "The gap between the two bars is what the strategy costs beyond the tables themselves: slab and pool slack, partly freed pages, whole pages for 1 KiB tables.",
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
            color: {
              field: "measure",
              type: "nominal",
              title: null,
              scale: { domain: ["peak held", "peak in use"], range: ["#4e79a7", "#a0cbe8"] },
              legend: { orient: "top" },
            },
          },
        },
        { mark: { type: "text", align: "left", dx: 3, fontSize: 10, color: "#3a3f45" }, encoding: { x, text: { field: "label" } } },
      ],
    },
    table: {
      summary: "Data: peak bytes held and peak bytes of live tables",
      headers: [
        { label: "peak held", numeric: true },
        { label: "peak in use", numeric: true },
      ],
      rows: report.results.map((r) => ({
        strategy: r.strategy,
        cells: [
          { field: "peakHeldBytes", value: r.peakHeldBytes, text: bytes(r.peakHeldBytes) },
          { field: "peakInUseBytes", value: r.peakInUseBytes, text: bytes(r.peakInUseBytes) },
        ],
      })),
    },
  };
}

/** The Vega-Lite charts (all but the memory map). `notes`: the analysis's readings printed under the charts. */
export function chartSpecs(report: ComparisonReport, notes: ChartNotes): ChartSpec[] {
  return [heldOverTimeSpec(report), occupancySpec(report, notes), heldVsInUseSpec(report)];
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

/**
 * Gives a vega SVG one accessible name: role="img" with a <title> and a <desc> (the caption), which
 * screen readers announce and browsers show on hover.
 */
export function accessible(svg: string, id: string, title: string, desc: string): string {
  const open = /^<svg\b[^>]*>/.exec(svg);
  if (open === null) throw new Error(`chart ${id}: not an SVG`);
  const tag = open[0].replace(/\s(?:role|aria-[a-z]+)="[^"]*"/g, "").replace(/^<svg/, `<svg role="img" aria-labelledby="${id}-title ${id}-desc"`);
  return `${tag}<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(desc)}</desc>${svg.slice(open[0].length)}`;
}

/** Every chart of the report, rendered, in reading order. */
export async function renderCharts(report: ComparisonReport, notes: ChartNotes): Promise<ChartSvg[]> {
  const out: ChartSvg[] = [];
  for (const c of chartSpecs(report, notes)) {
    const svg = await renderSvg(c.spec, { idPrefix: c.id });
    out.push({ id: c.id, title: c.title, caption: c.caption, svg: accessible(svg, c.id, c.title, c.caption), table: c.table });
  }
  const map = memoryMap(report);
  out.splice(1, 0, { id: "memory-map", title: "Where the tables landed in physical memory", caption: map.caption, svg: map.svg, table: map.table });
  return out;
}
