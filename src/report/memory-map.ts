// SPDX-License-Identifier: GPL-2.0-only
/**
 * The physical-memory map as hand-built inline SVG: an overview of the whole address space (zones,
 * binary-GiB axis, the 4 GiB line, where each strategy's tables cluster) and one detail panel per
 * cluster in which every live table is a mark at its exact address and every bin of freed tables is
 * one mark carrying its count. Built by hand rather than through vega because each mark must carry
 * its own hover text (<title>) and data attributes, and the axis must be binary. Static: no script.
 */
import { bytes, hexGrouped, SZ_1M, SZ_4G } from "../core/u32.ts";
import type { ComparisonReport, TablePlacement } from "../lab/types.ts";
import type { ChartRow, ChartTable } from "./chart-table.ts";
import { esc } from "./escape.ts";
import { tableShape, type FreedBin, type TableShape } from "./table-shape.ts";

const GiB = 1024 ** 3;
const WIDTH = 760;
const LEFT = 132;
const RIGHT = 48;
const PLOT = WIDTH - LEFT - RIGHT;
const ROW = 20;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const MAX_PANELS = 6;
const LIMIT_LABEL = "4 GiB: the 32-bit table-pointer limit";
const RED = "#c62828";
const LIVE_FILL: Readonly<Record<1 | 2, string>> = { 1: "#1f2328", 2: "#2f6fb3" };
const FREED_FILL = "#e8a33d";

export function zoneFill(name: string): string {
  return name === "DMA" ? "#e3f2e1" : name === "DMA32" ? "#e4ecf7" : name === "NORMAL" ? "#fbe9e4" : "#eeeeee";
}

/** A physical range [lo, hi) that holds tables of at least one strategy: one detail panel. */
interface Cluster {
  lo: number;
  hi: number;
}

export interface MemoryMap {
  readonly svg: string;
  readonly caption: string;
  readonly table: ChartTable;
  /** Marks drawn in the detail panels: every live table and every freed bin, once each. */
  readonly marks: number;
}

/** Two decimals at most, no trailing zeros: stable text for coordinates. */
function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Rough text width at `size` px for the sans-serif the page uses, for placing labels without a DOM. */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.56;
}

function extentOf(shape: TableShape): Cluster[] {
  return [...shape.live.map((t) => ({ lo: t.pa, hi: t.pa + t.bytes })), ...shape.freed.bins.map((b) => ({ lo: b.start, hi: b.end }))];
}

/** Ranges holding tables, merged when closer than `gap`, then the nearest merged until few enough for panels. */
function clusters(ranges: readonly Cluster[], gap: number): Cluster[] {
  const sorted = ranges.slice().sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const out: Cluster[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.lo - last.hi <= gap) last.hi = Math.max(last.hi, r.hi);
    else out.push({ lo: r.lo, hi: r.hi });
  }
  while (out.length > MAX_PANELS) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++) {
      const a = out[i + 1];
      const b = out[i];
      const c = out[best + 1];
      const d = out[best];
      if (a && b && c && d && a.lo - b.hi < c.lo - d.hi) best = i;
    }
    const a = out[best];
    const b = out[best + 1];
    if (a === undefined || b === undefined) break;
    a.hi = b.hi;
    out.splice(best + 1, 1);
  }
  return out;
}

/** A power-of-two tick step giving at most `maxTicks` intervals over `span`, at least `min`. */
function powerStep(span: number, maxTicks: number, min: number): number {
  let step = min;
  while (span / step > maxTicks) step *= 2;
  return step;
}

interface Scale {
  readonly lo: number;
  readonly hi: number;
  x(pa: number): number;
}

function scale(lo: number, hi: number): Scale {
  return { lo, hi, x: (pa) => LEFT + ((pa - lo) / (hi - lo)) * PLOT };
}

function gibLabel(pa: number): string {
  return pa === 0 ? "0" : `${pa / GiB} GiB`;
}

/** Zone bands inside [s.lo, s.hi), from `top` down `height` pixels, with the zone name at the top. */
function zoneBands(report: ComparisonReport, s: Scale, top: number, height: number, out: string[], labels: boolean): void {
  for (const z of report.platform.zones) {
    const lo = Math.max(z.start, s.lo);
    const hi = Math.min(z.end, s.hi);
    if (hi <= lo) continue;
    const x = s.x(lo);
    const w = s.x(hi) - x;
    out.push(
      `<rect class="zone" data-zone="${esc(z.name)}" x="${n(x)}" y="${n(top)}" width="${n(w)}" height="${n(height)}" fill="${zoneFill(z.name)}"><title>${esc(`ZONE_${z.name} ${hexGrouped(z.start)}\u2013${hexGrouped(z.end)} (${bytes(z.end - z.start)})`)}</title></rect>`,
    );
    if (labels && w > textWidth(z.name, 10) + 8) {
      out.push(`<text x="${n(x + 4)}" y="${n(top + 11)}" font-size="10" fill="#59636e">${esc(z.name)}</text>`);
    }
  }
}

function axis(s: Scale, ticks: readonly number[], label: (pa: number) => string, y: number, top: number, out: string[]): void {
  out.push(`<g class="axis">`, `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${n(y)}" y2="${n(y)}" stroke="#9aa0a6"/>`);
  for (const t of ticks) {
    const x = n(s.x(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${n(top)}" y2="${n(y)}" stroke="#d0d7de" stroke-width="0.5"/>`);
    out.push(`<line x1="${x}" x2="${x}" y1="${n(y)}" y2="${n(y + 4)}" stroke="#9aa0a6"/>`);
    out.push(`<text class="tick" x="${x}" y="${n(y + 15)}" text-anchor="middle" font-size="10.5" fill="#3a3f45">${esc(label(t))}</text>`);
  }
  out.push(`</g>`);
}

/** The red 4 GiB rule and its label, when 4 GiB lies in the scale; the label goes where it fits. */
function limitLine(s: Scale, top: number, bottom: number, out: string[]): void {
  if (SZ_4G < s.lo || SZ_4G > s.hi) return;
  const x = s.x(SZ_4G);
  const w = textWidth(LIMIT_LABEL, 11);
  const right = x + 4 + w <= WIDTH - 2;
  out.push(
    `<g class="limit-4g">`,
    `<line x1="${n(x)}" x2="${n(x)}" y1="${n(top - 12)}" y2="${n(bottom)}" stroke="${RED}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    `<text class="limit-label" x="${n(right ? x + 4 : x - 4)}" y="${n(top - 3)}" text-anchor="${right ? "start" : "end"}" font-size="11" font-weight="600" fill="${RED}">${esc(LIMIT_LABEL)}</text>`,
    `</g>`,
  );
}

function rowLabels(strategies: readonly string[], top: number, out: string[]): void {
  strategies.forEach((name, i) => {
    out.push(
      `<text class="row-label" x="${LEFT - 8}" y="${n(top + i * ROW + ROW / 2 + 4)}" text-anchor="end" font-size="11" fill="#1f2328">${esc(name)}</text>`,
    );
  });
}

function liveText(strategy: string, t: TablePlacement): string {
  return `${strategy}: live L${t.level} table at ${hexGrouped(t.pa)} (${bytes(t.bytes)}, ${t.zone || "outside managed RAM"})`;
}

function freedText(strategy: string, b: FreedBin): string {
  return `${strategy}: ${b.count} freed table${b.count === 1 ? "" : "s"} (${bytes(b.bytes)}) in ${hexGrouped(b.start)}\u2013${hexGrouped(b.end)} (${b.zone || "outside managed RAM"})`;
}

export function memoryMap(report: ComparisonReport): MemoryMap {
  const strategies = report.results.map((r) => r.strategy);
  const shapes = report.results.map((r) => tableShape(r));
  const zones = report.platform.zones.filter((z) => z.end > z.start);
  const lo = Math.min(...report.platform.ram.map((b) => b.start), ...zones.map((z) => z.start), SZ_4G);
  const hi = Math.max(...report.platform.ram.map((b) => b.end), ...zones.map((z) => z.end), SZ_4G);
  const x0 = Math.floor(lo / GiB) * GiB;
  const x1 = Math.max(Math.ceil(hi / GiB) * GiB, x0 + GiB);
  const whole = scale(x0, x1);
  const binBytes = Math.max(SZ_1M, ...shapes.map((s) => s.freed.binBytes));
  const panels = clusters(shapes.flatMap(extentOf), Math.max(16 * SZ_1M, (x1 - x0) / 48));
  const maxCount = Math.max(1, ...shapes.flatMap((s) => s.freed.bins.map((b) => b.count)));
  const rowsH = strategies.length * ROW;
  const out: string[] = [];
  let y = 0;

  // Overview: the whole address space, one row per strategy with the extent of its tables per panel.
  out.push(`<g class="overview">`, `<text x="0" y="14" font-size="12" font-weight="600" fill="#1f2328">Whole physical address space</text>`);
  // The overview always spans 4 GiB: room for the limit label between the heading and the bands.
  const top = 48;
  zoneBands(report, whole, top - 14, rowsH + 14, out, true);
  rowLabels(strategies, top, out);
  panels.forEach((p, i) => {
    const x = whole.x(p.lo);
    const w = Math.max(3, whole.x(p.hi) - x);
    out.push(
      `<rect class="panel-outline" x="${n(x - 1)}" y="${n(top - 14)}" width="${n(w + 2)}" height="${n(rowsH + 14)}" fill="none" stroke="#59636e" stroke-width="0.75" stroke-dasharray="2 2"/>`,
    );
    out.push(
      `<text x="${n(x + w / 2)}" y="${n(top + rowsH + 30)}" text-anchor="middle" font-size="10.5" font-weight="600" fill="#59636e">${panelName(i)}</text>`,
    );
  });
  report.results.forEach((r, row) => {
    const shape = shapes[row];
    if (shape === undefined) return;
    for (const p of panels) {
      const live = shape.live.filter((t) => t.pa >= p.lo && t.pa < p.hi);
      const freed = shape.freed.bins.filter((b) => b.start >= p.lo && b.start < p.hi);
      if (live.length === 0 && freed.length === 0) continue;
      const ranges = extentOf({ live, freed: { ...shape.freed, bins: freed } });
      const a = Math.min(...ranges.map((q) => q.lo));
      const b = Math.max(...ranges.map((q) => q.hi));
      const x = whole.x(a);
      const w = Math.max(3, whole.x(b) - x);
      const count = freed.reduce((k, f) => k + f.count, 0);
      const text = `${r.strategy}: ${live.length} live, ${count} freed table${count === 1 ? "" : "s"} in ${hexGrouped(a)}\u2013${hexGrouped(b)}`;
      out.push(
        `<rect class="extent" x="${n(x)}" y="${n(top + row * ROW + 5)}" width="${n(w)}" height="${ROW - 10}" fill="${live.length > 0 ? LIVE_FILL[2] : FREED_FILL}"><title>${esc(text)}</title></rect>`,
      );
    }
  });
  const gibStep = powerStep(x1 - x0, 8, GiB);
  const gibTicks: number[] = [];
  for (let t = Math.ceil(x0 / gibStep) * gibStep; t <= x1; t += gibStep) gibTicks.push(t);
  axis(whole, gibTicks, gibLabel, top + rowsH, top - 14, out);
  limitLine(whole, top - 14, top + rowsH, out);
  out.push(`</g>`);
  y = top + rowsH + 44;

  // Detail panels: exact marks, a row for each strategy with tables in the panel.
  let marks = 0;
  const resolution: string[] = [];
  panels.forEach((p, i) => {
    const rows = report.results
      .map((r, k) => ({ r, shape: shapes[k] }))
      .filter(
        (x): x is { r: (typeof report.results)[number]; shape: TableShape } =>
          x.shape !== undefined && extentOf(x.shape).some((q) => q.lo >= p.lo && q.lo < p.hi),
      );
    const panelH = rows.length * ROW;
    const minSpan = 8 * binBytes;
    const mid = (p.lo + p.hi) / 2;
    const span0 = Math.max(p.hi - p.lo, minSpan);
    const step = powerStep(span0, 5, 64 * 1024);
    const plo = Math.max(0, Math.floor(Math.min(p.lo, mid - span0 / 2) / step) * step);
    const phi = Math.ceil(Math.max(p.hi, mid + span0 / 2) / step) * step;
    const s = scale(plo, phi);
    resolution.push(`${bytes(Math.round((phi - plo) / PLOT))} in ${panelName(i)}`);
    const ptop = y + (SZ_4G >= plo && SZ_4G <= phi ? 48 : 34);
    const zonesHere = zones.filter((z) => z.start < phi && z.end > plo).map((z) => z.name);
    out.push(
      `<g class="panel" data-panel="${panelName(i)}" data-from="${plo}" data-to="${phi}">`,
      `<text x="0" y="${n(y + 14)}" font-size="12" font-weight="600" fill="#1f2328">${esc(`${panelName(i)}: ${hexGrouped(plo)}\u2013${hexGrouped(phi)} (${bytes(phi - plo)}${zonesHere.length > 0 ? `, ${zonesHere.join(" and ")}` : ""})`)}</text>`,
    );
    zoneBands(report, s, ptop - 14, panelH + 14, out, true);
    rowLabels(
      rows.map((x) => x.r.strategy),
      ptop,
      out,
    );
    rows.forEach(({ r, shape }, row) => {
      const ry = ptop + row * ROW;
      out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${n(ry + ROW)}" y2="${n(ry + ROW)}" stroke="#ffffff" stroke-width="1"/>`);
      // Freed bins in the upper lane, live tables in the lower one, so neither hides the other.
      for (const b of shape.freed.bins) {
        if (b.start < p.lo || b.start >= p.hi) continue;
        const x = s.x(b.start);
        const w = Math.max(1.5, s.x(b.end) - x);
        const opacity = 0.3 + (0.7 * Math.log(1 + b.count)) / Math.log(1 + maxCount);
        out.push(
          `<rect class="table-mark freed" data-strategy="${esc(r.strategy)}" data-start="${b.start}" data-count="${b.count}" x="${n(x)}" y="${n(ry + 2)}" width="${n(w)}" height="7" fill="${FREED_FILL}" fill-opacity="${n(opacity)}"><title>${esc(freedText(r.strategy, b))}</title></rect>`,
        );
        marks++;
      }
      for (const t of shape.live.slice().sort((a, b) => a.pa - b.pa)) {
        if (t.pa < p.lo || t.pa >= p.hi) continue;
        const x = s.x(t.pa);
        const w = Math.max(1.5, s.x(t.pa + t.bytes) - x);
        out.push(
          `<rect class="table-mark live" data-strategy="${esc(r.strategy)}" data-pa="${t.pa}" data-level="${t.level}" x="${n(x)}" y="${n(ry + 10)}" width="${n(w)}" height="8" fill="${LIVE_FILL[t.level]}"><title>${esc(liveText(r.strategy, t))}</title></rect>`,
        );
        marks++;
      }
    });
    const ticks: number[] = [];
    for (let t = plo; t <= phi; t += step) ticks.push(t);
    axis(s, ticks, hexGrouped, ptop + panelH, ptop - 14, out);
    limitLine(s, ptop - 14, ptop + panelH, out);
    out.push(`</g>`);
    y = ptop + panelH + 28;
  });

  // Key.
  const key: [string, string, number][] = [
    [LIVE_FILL[1], "live L1 table", 1],
    [LIVE_FILL[2], "live L2 table", 1],
    [FREED_FILL, `freed tables, one mark per ${bytes(binBytes)} bin (darker: more; hover for the count)`, 0.65],
  ];
  let kx = LEFT;
  out.push(`<g class="key">`);
  for (const [fill, label, opacity] of key) {
    out.push(
      `<rect x="${n(kx)}" y="${n(y + 2)}" width="10" height="10" fill="${fill}" fill-opacity="${opacity}"/>`,
      `<text x="${n(kx + 14)}" y="${n(y + 11)}" font-size="11" fill="#3a3f45">${esc(label)}</text>`,
    );
    kx += 14 + textWidth(label, 11) + 16;
  }
  out.push(`</g>`);
  const height = y + 20;

  const title = "Where the tables landed in physical memory";
  const desc = caption(report, shapes, panels.length, resolution);
  const svg = [
    `<svg class="memory-map" role="img" aria-labelledby="memory-map-title memory-map-desc" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ${n(height)}" font-family="${esc(FONT)}">`,
    `<title id="memory-map-title">${esc(title)}</title>`,
    `<desc id="memory-map-desc">${esc(desc)}</desc>`,
    `<rect width="${WIDTH}" height="${n(height)}" fill="#ffffff"/>`,
    ...out,
    `</svg>`,
  ].join("");
  return { svg, caption: desc, table: mapTable(report, shapes), marks };
}

function panelName(i: number): string {
  return `Detail ${String.fromCharCode(65 + i)}`;
}

function caption(report: ComparisonReport, shapes: readonly TableShape[], panels: number, resolution: readonly string[]): string {
  const placed = report.results
    .map((r, i) => {
      const s = shapes[i];
      if (s === undefined || (s.live.length === 0 && s.freed.count === 0)) return null;
      const high = s.live.filter((t) => t.pa >= SZ_4G).length;
      return `${r.strategy} ${high}/${s.live.length} live and ${s.freed.above4GiB}/${s.freed.count} freed above 4 GiB`;
    })
    .filter((x): x is string => x !== null);
  const none = report.results.filter((_, i) => (shapes[i]?.live.length ?? 0) === 0 && (shapes[i]?.freed.count ?? 0) === 0).map((r) => r.strategy);
  return (
    `Physical address space of ${report.platform.name} with its zones as bands and the 4 GiB line: L1 descriptors hold 32-bit L2 table pointers, so every table must lie below it. ` +
    `${panels} detail panel${panels === 1 ? "" : "s"} zoom into where tables lie: each live table is a mark at its exact address, freed tables one mark per bin with its count. ` +
    `One pixel spans ${resolution.join(", ")}, so tables closer than that share a place: hover a mark, or open the data table, for each. ` +
    `${placed.join("; ")}.` +
    (none.length > 0 ? ` No tables: ${none.join(", ")}.` : "")
  );
}

function mapTable(report: ComparisonReport, shapes: readonly TableShape[]): ChartTable {
  const rows: ChartRow[] = [];
  report.results.forEach((r, i) => {
    const s = shapes[i];
    if (s === undefined) return;
    for (const t of s.live.slice().sort((a, b) => a.pa - b.pa)) {
      rows.push({
        strategy: r.strategy,
        kind: "live",
        cells: [
          { field: "level", value: t.level, text: `live L${t.level}` },
          { field: "pa", value: t.pa, text: hexGrouped(t.pa) },
          { field: "end", value: t.pa + t.bytes, text: hexGrouped(t.pa + t.bytes), derived: true },
          { field: "zone", value: t.zone, text: t.zone || "\u2013" },
          { field: "count", value: 1, text: "1", derived: true },
          { field: "bytes", value: t.bytes, text: bytes(t.bytes) },
        ],
      });
    }
    for (const b of s.freed.bins) {
      rows.push({
        strategy: r.strategy,
        kind: "freed-bin",
        cells: [
          { field: "kind", value: null, text: "freed" },
          { field: "start", value: b.start, text: hexGrouped(b.start) },
          { field: "end", value: b.end, text: hexGrouped(b.end) },
          { field: "zone", value: b.zone, text: b.zone || "\u2013" },
          { field: "count", value: b.count, text: String(b.count) },
          { field: "bytes", value: b.bytes, text: bytes(b.bytes) },
        ],
      });
    }
  });
  return {
    summary: `Data: every live table and every bin of freed tables (${rows.length} rows)`,
    headers: [
      { label: "table", numeric: false },
      { label: "from", numeric: true },
      { label: "to", numeric: true },
      { label: "zone", numeric: false },
      { label: "tables", numeric: true },
      { label: "bytes", numeric: true },
    ],
    rows,
  };
}
