// SPDX-License-Identifier: GPL-2.0-only
/**
 * The per-device breakdown (results[].attribution) as a small table: text for the terminal and mail,
 * Markdown, and an HTML section. The workload is the same for every strategy, so one strategy's rows
 * stand for all; strategies whose rows differ (a failed domain maps nothing) are named under it.
 */
import { bytes } from "../core/u32.ts";
import type { ComparisonReport, DeviceAttribution, StrategyResult } from "../lab/types.ts";
import { esc } from "./escape.ts";
import { wrap } from "./format.ts";

const HEAD = ["device", "maps", "mapped", "L2 tables", "peak IOVA"] as const;

function source(report: ComparisonReport): StrategyResult | null {
  return report.results.find((r) => r.domainCreated && r.attribution !== undefined && r.attribution.length > 0) ?? null;
}

function cells(a: DeviceAttribution): string[] {
  return [a.device, String(a.maps), bytes(a.bytesMapped), String(a.l2TablesCaused), bytes(a.peakLiveIovaBytes)];
}

function same(a: readonly DeviceAttribution[] | undefined, b: readonly DeviceAttribution[]): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b);
}

/** Title and note of the table: whose rows they are, and which strategies differ. */
function caption(report: ComparisonReport, src: StrategyResult): { title: string; note: string | null } {
  const rows = src.attribution ?? [];
  const differ = report.results.filter((r) => r !== src && !same(r.attribution, rows)).map((r) => r.strategy);
  const title = report.results.length > 1 ? `Cost by device (as run by ${src.strategy})` : "Cost by device";
  return { title, note: differ.length > 0 ? `Rows differ for: ${differ.join(", ")}.` : null };
}

/** The table as aligned text within `width` columns; null when no run attributed anything. */
export function attributionText(report: ComparisonReport, width: number): { title: string; text: string } | null {
  const src = source(report);
  if (src === null) return null;
  const rows = (src.attribution ?? []).map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const { title, note } = caption(report, src);
  const lines = [line(HEAD), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  if (note !== null) lines.push(...wrap(note, width, "", ""));
  return { title, text: lines.join("\n") + "\n" };
}

export function attributionMarkdown(report: ComparisonReport): string | null {
  const src = source(report);
  if (src === null) return null;
  const { title, note } = caption(report, src);
  const out = [
    `### ${title}`,
    "",
    `| ${HEAD.join(" | ")} |`,
    "|---|---:|---:|---:|---:|",
    ...(src.attribution ?? []).map((a) => `| ${cells(a).join(" | ")} |`),
  ];
  if (note !== null) out.push("", note);
  return out.join("\n") + "\n";
}

/** An HTML section with the table; data-value carries the JSON's number of each cell. */
export function attributionHtml(report: ComparisonReport): string {
  const src = source(report);
  if (src === null) return "";
  const { title, note } = caption(report, src);
  const td = (v: number, text: string): string => `<td data-value="${v}">${esc(text)}</td>`;
  const body = (src.attribution ?? [])
    .map(
      (a) =>
        `<tr><th scope="row">${esc(a.device)}</th>${td(a.maps, String(a.maps))}${td(a.bytesMapped, bytes(a.bytesMapped))}${td(a.l2TablesCaused, String(a.l2TablesCaused))}${td(a.peakLiveIovaBytes, bytes(a.peakLiveIovaBytes))}</tr>`,
    )
    .join("\n");
  const head = HEAD.map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  return `<section id="attribution"><h2>${esc(title)}</h2>
<table class="attribution" data-strategy="${esc(src.strategy)}"><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>${note === null ? "" : `<p>${esc(note)}</p>`}</section>`;
}
