// SPDX-License-Identifier: GPL-2.0-only
/**
 * A sweep as a grid: one row per platform x era x CPUs x background x seed, one column per strategy, each
 * cell its verdict and the bytes its tables held at peak. Terminal text, JSON, and an HTML page whose
 * heatmap colours cells by verdict, with the same figures in a table beside it.
 */
import { bytes } from "../core/u32.ts";
import { cellVerdict, sweepRows, type CellVerdict, type SweepCellResult, type SweepReport, type SweepRow } from "../lab/sweep.ts";
import type { VegaLiteSpec } from "./charts.ts";
import { FONT } from "./charts.ts";
import { esc } from "./escape.ts";

/** What each verdict means, worst first; the order of the legend. */
export const VERDICTS: readonly { readonly id: CellVerdict; readonly mark: string; readonly colour: string; readonly meaning: string }[] = [
  { id: "no-domain", mark: "NO-DOM", colour: "#8c1c13", meaning: "the domain (its L1 table) could not be created" },
  { id: "failures", mark: "FAIL", colour: "#e15759", meaning: "map or table-allocation failures" },
  { id: "above-4g", mark: ">=4G", colour: "#f28e2b", meaning: "tables placed at or above 4 GiB that the IOMMU cannot address" },
  { id: "wrong-walk", mark: "WALK", colour: "#b07aa1", meaning: "device faults, walk mismatches, stray DMA or dirty tables" },
  { id: "ok", mark: "", colour: "#59a14f", meaning: "every map succeeded and every walk matched" },
];

function verdictInfo(v: CellVerdict): (typeof VERDICTS)[number] {
  return VERDICTS.find((x) => x.id === v) ?? (VERDICTS[VERDICTS.length - 1] as (typeof VERDICTS)[number]);
}

/** A row's name: platform and era always, the other inputs only where the grid varies them. */
export function rowLabel(r: Pick<SweepRow, "platform" | "era" | "cpus" | "background" | "seed">, grid?: SweepReport["grid"]): string {
  const parts = [r.platform, r.era];
  if (grid === undefined || grid.cpus.length > 1) parts.push(`cpus=${r.cpus}`);
  if (grid === undefined || grid.backgrounds.length > 1) parts.push(r.background);
  if (grid === undefined || grid.seeds.length > 1) parts.push(`seed=${r.seed}`);
  return parts.join(" ");
}

/** "96K", "4.0M": a cell must fit a narrow column. */
function compactBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)}K`;
  return `${(n / (1024 * 1024)).toFixed(1)}M`;
}

export function cellText(c: SweepCellResult): string {
  const v = cellVerdict(c.summary);
  if (v === "no-domain") return verdictInfo(v).mark;
  const mark = verdictInfo(v).mark;
  return mark === "" ? compactBytes(c.summary.peakHeldBytes) : `${mark} ${compactBytes(c.summary.peakHeldBytes)}`;
}

/** The heading over the row names: the inputs the rows vary. */
export function cornerLabel(grid: SweepReport["grid"]): string {
  return "platform era" + (grid.cpus.length > 1 ? " cpus" : "") + (grid.backgrounds.length > 1 ? " load" : "") + (grid.seeds.length > 1 ? " seed" : "");
}

/** Splits a long strategy name at a hyphen into two header lines, as evenly as it can. */
function headerLines(name: string): [string, string] {
  let best: [string, string] = ["", name];
  for (let i = name.indexOf("-"); i > 0; i = name.indexOf("-", i + 1)) {
    const cand: [string, string] = [name.slice(0, i + 1), name.slice(i + 1)];
    if (Math.max(cand[0].length, cand[1].length) < Math.max(best[0].length, best[1].length)) best = cand;
  }
  return best;
}

export interface SweepTerminalOptions {
  /** Columns available; strategies are split over several tables when one would be wider. Default 100. */
  readonly width?: number;
}

/** The grid as plain text: ASCII only, so it pastes anywhere. */
export function renderSweepTerminal(report: SweepReport, options: SweepTerminalOptions = {}): string {
  const width = options.width ?? 100;
  const rows = sweepRows(report);
  const labels = rows.map((r) => rowLabel(r, report.grid));
  const corner = cornerLabel(report.grid);
  const first = Math.max(corner.length, ...labels.map((l) => l.length));
  const text = (r: SweepRow, s: string): string => {
    const c = r.cells.find((x) => x.strategy === s);
    return c === undefined ? "-" : cellText(c);
  };
  const columns = report.grid.strategies.map((s) => {
    const head = headerLines(s);
    return { s, head, width: Math.max(head[0].length, head[1].length, ...rows.map((r) => text(r, s).length)) };
  });
  const out: string[] = [];
  const shard = report.shard === null ? "" : ` (shard ${report.shard.index}/${report.shard.count})`;
  out.push(`${report.tool.name} ${report.tool.version}: sweep of ${report.cells.length} of ${report.totalCells} cells${shard}`);
  const w = report.grid.workload;
  out.push(`workload  ${"scenario" in w ? w.scenario : `trace ${w.trace}`}    fit check ${report.grid.fitCheck ? "on" : "off"}`);
  if (report.grid.cpus.length === 1) out.push(`cpus      ${report.grid.cpus[0]}`);
  if (report.grid.backgrounds.length === 1) out.push(`load      ${report.grid.backgrounds[0]}`);
  if (report.grid.seeds.length === 1) out.push(`seed      ${report.grid.seeds[0]}`);
  out.push("cells     peak bytes held by the strategy's tables, after the verdict where it is not ok:");
  for (const v of VERDICTS) if (v.mark !== "") out.push(`          ${v.mark.padEnd(7)}${v.meaning}`);
  // Greedy chunks of strategies, each table within the width.
  const chunks: (typeof columns)[] = [];
  let chunk: typeof columns = [];
  let used = first;
  for (const c of columns) {
    if (chunk.length > 0 && used + 2 + c.width > width) {
      chunks.push(chunk);
      chunk = [];
      used = first;
    }
    chunk.push(c);
    used += 2 + c.width;
  }
  if (chunk.length > 0) chunks.push(chunk);
  // As many tables as the greedy cut needs, but with the strategies spread evenly over them.
  const per = Math.ceil(columns.length / chunks.length);
  const even = Array.from({ length: chunks.length }, (_, i) => columns.slice(i * per, (i + 1) * per)).filter((c) => c.length > 0);
  const fits = even.every((cols) => cols.reduce((a, c) => a + 2 + c.width, first) <= width);
  if (fits) chunks.splice(0, chunks.length, ...even);
  for (const cols of chunks) {
    out.push("");
    out.push(["".padEnd(first), ...cols.map((c) => c.head[0].padStart(c.width))].join("  ").trimEnd());
    out.push([corner.padEnd(first), ...cols.map((c) => c.head[1].padStart(c.width))].join("  ").trimEnd());
    out.push(["-".repeat(first), ...cols.map((c) => "-".repeat(c.width))].join("  "));
    rows.forEach((r, ri) => out.push([(labels[ri] ?? "").padEnd(first), ...cols.map((c) => text(r, c.s).padStart(c.width))].join("  ").trimEnd()));
  }
  const counts = VERDICTS.map((v) => ({ v, n: report.cells.filter((c) => cellVerdict(c.summary) === v.id).length })).filter((x) => x.n > 0);
  out.push("");
  out.push(`verdicts  ${counts.map((x) => `${x.v.id} ${x.n}`).join(", ")}`);
  return out.join("\n") + "\n";
}

/** Same report, same bytes: keys in schema order, two-space indent, a final newline. */
export function sweepToJson(report: SweepReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

/** A heatmap of the grid: rows x strategies, coloured by verdict, labelled with peak bytes held. */
export function sweepHeatmapSpec(report: SweepReport): VegaLiteSpec {
  const values = report.cells.map((c) => ({
    row: rowLabel(c, report.grid),
    strategy: c.strategy,
    verdict: cellVerdict(c.summary),
    label: cellText(c),
    held: bytes(c.summary.peakHeldBytes),
  }));
  const rows = sweepRows(report).map((r) => rowLabel(r, report.grid));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Sweep: verdict and peak bytes held per cell", font: FONT, fontSize: 14 },
    description: "Heatmap of the sweep grid; the table below the chart holds the same data.",
    config: { font: FONT, view: { stroke: null }, axis: { labelFont: FONT, titleFont: FONT, labelLimit: 400 } },
    data: { values },
    width: { step: 92 },
    height: { step: 22 },
    encoding: {
      x: { field: "strategy", type: "nominal", sort: report.grid.strategies, axis: { orient: "top", labelAngle: -30, title: null } },
      y: { field: "row", type: "nominal", sort: rows, axis: { title: null } },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "#ffffff", strokeWidth: 1 },
        encoding: {
          color: {
            field: "verdict",
            type: "nominal",
            scale: { domain: VERDICTS.map((v) => v.id), range: VERDICTS.map((v) => v.colour) },
            legend: { title: "verdict", orient: "bottom" },
          },
        },
      },
      { mark: { type: "text", fontSize: 10, color: "#ffffff" }, encoding: { text: { field: "label", type: "nominal" } } },
    ],
  };
}

/** The HTML page: heatmap (already rendered) and the same cells as a table. */
export function renderSweepHtml(report: SweepReport, heatmap: { readonly title: string; readonly caption: string; readonly svg: string }): string {
  const rows = sweepRows(report);
  const strategies = report.grid.strategies;
  const head = strategies.map((s) => `<th>${esc(s)}</th>`).join("");
  const body = rows
    .map((r) => {
      const cells = strategies
        .map((s) => {
          const c = r.cells.find((x) => x.strategy === s);
          if (c === undefined) return "<td>-</td>";
          const v = cellVerdict(c.summary);
          return `<td class="v-${v}" data-index="${c.index}" data-verdict="${v}" data-value="${c.summary.peakHeldBytes}" title="${esc(verdictInfo(v).meaning)}">${esc(cellText(c))}</td>`;
        })
        .join("");
      return `<tr><th scope="row">${esc(rowLabel(r, report.grid))}</th>${cells}</tr>`;
    })
    .join("\n");
  const legend = VERDICTS.map((v) => `<li><span class="sw" style="background:${v.colour}"></span><b>${esc(v.id)}</b>: ${esc(v.meaning)}</li>`).join("");
  const shard = report.shard === null ? "" : ` (shard ${report.shard.index}/${report.shard.count})`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iommu-lab sweep${esc(shard)}</title>
<style>
body{font-family:${FONT};margin:24px;color:#1f2328;max-width:1400px}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:right}
th[scope=row]{text-align:left;font-weight:normal}
td.v-no-domain,td.v-failures{color:#8c1c13;font-weight:600}td.v-above-4g{color:#a85400}td.v-wrong-walk{color:#6f3f8f}
.sw{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle}
ul{list-style:none;padding:0}figure{margin:16px 0}
</style></head><body>
<h1>iommu-lab sweep: ${report.cells.length} of ${report.totalCells} cells${esc(shard)}</h1>
<p>${esc(report.tool.name)} ${esc(report.tool.version)}; workload ${esc("scenario" in report.grid.workload ? report.grid.workload.scenario : report.grid.workload.trace)}; fit check ${report.grid.fitCheck ? "on" : "off"}.</p>
<figure role="img" aria-label="${esc(heatmap.title)}">${heatmap.svg}<figcaption>${esc(heatmap.caption)}</figcaption></figure>
<ul>${legend}</ul>
<table><thead><tr><th scope="col">${esc(cornerLabel(report.grid))}</th>${head}</tr></thead><tbody>
${body}
</tbody></table>
</body></html>
`;
}
