// SPDX-License-Identifier: GPL-2.0-only
/**
 * A report diff as plain text (ASCII, at most 72 columns: it goes into a mail), Markdown, JSON and HTML.
 * Renders the data it is given; the diff itself is analysis/diff.ts.
 */
import type { FigureChange, ReportDiff } from "../analysis/diff.ts";
import { bytes } from "../core/u32.ts";
import { ascii } from "./ascii.ts";
import { esc } from "./escape.ts";
import { wrap } from "./format.ts";

const WIDTH = 72;
/** Figures that are physical or IO addresses read better in hex. */
const ADDRESS = /(^|\.)(start|end|pa|iova|base)$/;

function num(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toFixed(3).replace(/\.?0+$/, "");
}

/** A value as a reader wants it: byte counts also in binary units. */
export function formatValue(figure: string, v: FigureChange["a"]): string {
  if (v === null) return "-";
  if (typeof v === "number" && ADDRESS.test(figure) && Number.isSafeInteger(v) && v >= 0) return `0x${v.toString(16)}`;
  if (typeof v === "number") return /Bytes\b|Bytes$/.test(figure) && Math.abs(v) >= 1024 ? `${num(v)} (${bytes(v)})` : num(v);
  return String(v);
}

export function formatDelta(c: FigureChange): string {
  if (c.delta === null) return "";
  const sign = c.delta > 0 ? "+" : "";
  return `${sign}${num(c.delta)}${c.ratio === null ? "" : ` (x${c.ratio.toFixed(2)})`}`;
}

function verdict(v: boolean | null | "absent"): string {
  return v === "absent" ? "absent" : v === null ? "not evaluated" : v ? "holds" : "does not hold";
}

function textChanges(changes: readonly FigureChange[], indent: string): string[] {
  const out: string[] = [];
  for (const c of changes) {
    const line = `${indent}${c.figure}: ${formatValue(c.figure, c.a)} -> ${formatValue(c.figure, c.b)}`;
    const delta = formatDelta(c);
    const full = delta === "" ? line : `${line}  ${delta}`;
    if (full.length <= WIDTH) out.push(full);
    else out.push(...wrap(full.slice(indent.length), WIDTH, indent, indent + "    "));
  }
  return out;
}

export function renderDiffText(d: ReportDiff): string {
  const out: string[] = [];
  out.push(...wrap(ascii(`iommu-lab diff: ${d.a} -> ${d.b}: ${d.changedFigures} figures changed`), WIDTH, "", "  "));
  const section = (title: string, changes: readonly FigureChange[]): void => {
    if (changes.length === 0) return;
    out.push("", title);
    out.push(...textChanges(changes, "  ").map(ascii));
  };
  section("parameters", d.params);
  section("platform", d.platform);
  section("workload", d.workload);
  for (const s of d.strategies) {
    if (s.presence !== "both") {
      out.push("", ascii(`${s.strategy}: only in ${s.presence === "only-a" ? d.a : d.b}`));
      continue;
    }
    if (s.changes.length === 0 && s.messagesAdded.length === 0 && s.messagesRemoved.length === 0) continue;
    out.push("", ascii(s.strategy));
    out.push(...textChanges(s.changes, "  ").map(ascii));
    for (const m of s.messagesRemoved) out.push(...wrap(ascii(`- message: ${m}`), WIDTH, "  ", "      "));
    for (const m of s.messagesAdded) out.push(...wrap(ascii(`+ message: ${m}`), WIDTH, "  ", "      "));
  }
  const unchanged = d.strategies.filter((s) => s.presence === "both" && s.changes.length === 0 && s.messagesAdded.length + s.messagesRemoved.length === 0);
  if (unchanged.length > 0) out.push("", ...wrap(ascii(`unchanged: ${unchanged.map((s) => s.strategy).join(", ")}`), WIDTH, "", "  "));
  const flipped = d.predictions.filter((p) => p.flipped);
  if (d.predictions.length > 0) {
    out.push("", `predictions (${flipped.length} flipped)`);
    for (const p of d.predictions) {
      const line = p.flipped ? `  ${p.id}: ${verdict(p.a)} -> ${verdict(p.b)}  FLIPPED` : `  ${p.id}: ${verdict(p.a)}`;
      out.push(...wrap(line.trim(), WIDTH, "  ", "    "));
    }
  }
  if (d.answer.changed) {
    out.push("", "answer changed");
    out.push(...wrap(ascii(`was: ${d.answer.a ?? "-"}`), WIDTH, "  ", "       "));
    out.push(...wrap(ascii(`now: ${d.answer.b ?? "-"}`), WIDTH, "  ", "       "));
  }
  return out.join("\n") + "\n";
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

function mdTable(changes: readonly FigureChange[]): string[] {
  return [
    "| figure | A | B | change |",
    "|---|---:|---:|---:|",
    ...changes.map((c) => `| \`${mdCell(c.figure)}\` | ${mdCell(formatValue(c.figure, c.a))} | ${mdCell(formatValue(c.figure, c.b))} | ${formatDelta(c)} |`),
  ];
}

export function renderDiffMarkdown(d: ReportDiff): string {
  const out: string[] = [`## iommu-lab diff: \`${mdCell(d.a)}\` → \`${mdCell(d.b)}\``, "", `${d.changedFigures} figures changed.`];
  const section = (title: string, changes: readonly FigureChange[]): void => {
    if (changes.length > 0) out.push("", `### ${title}`, "", ...mdTable(changes));
  };
  section("Parameters", d.params);
  section("Platform", d.platform);
  section("Workload", d.workload);
  for (const s of d.strategies) {
    if (s.presence !== "both") {
      out.push("", `### ${s.strategy}`, "", `Only in \`${mdCell(s.presence === "only-a" ? d.a : d.b)}\`.`);
      continue;
    }
    if (s.changes.length === 0 && s.messagesAdded.length + s.messagesRemoved.length === 0) continue;
    out.push("", `### ${s.strategy}`);
    if (s.changes.length > 0) out.push("", ...mdTable(s.changes));
    const msgs = [...s.messagesRemoved.map((m) => `- removed: ${mdCell(m)}`), ...s.messagesAdded.map((m) => `- added: ${mdCell(m)}`)];
    if (msgs.length > 0) out.push("", "Kernel messages:", "", ...msgs);
  }
  if (d.predictions.length > 0) {
    out.push("", "### Predictions", "", "| prediction | A | B |", "|---|---|---|");
    for (const p of d.predictions) out.push(`| ${p.id} | ${verdict(p.a)} | ${p.flipped ? `**${verdict(p.b)}**` : verdict(p.b)} |`);
  }
  if (d.answer.changed) out.push("", "### Answer", "", `- A: ${mdCell(d.answer.a ?? "-")}`, `- B: ${mdCell(d.answer.b ?? "-")}`);
  return out.join("\n") + "\n";
}

export function diffToJson(d: ReportDiff): string {
  return JSON.stringify(d, null, 2) + "\n";
}

function htmlTable(changes: readonly FigureChange[]): string {
  const rows = changes
    .map(
      (c) =>
        `<tr><td><code>${esc(c.figure)}</code></td><td data-field="${esc(c.figure)}" data-side="a">${esc(formatValue(c.figure, c.a))}</td><td data-field="${esc(c.figure)}" data-side="b">${esc(formatValue(c.figure, c.b))}</td><td>${esc(formatDelta(c))}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>figure</th><th>A</th><th>B</th><th>change</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export function renderDiffHtml(d: ReportDiff): string {
  const parts: string[] = [];
  const section = (title: string, changes: readonly FigureChange[]): void => {
    if (changes.length > 0) parts.push(`<h2>${esc(title)}</h2>`, htmlTable(changes));
  };
  section("Parameters", d.params);
  section("Platform", d.platform);
  section("Workload", d.workload);
  for (const s of d.strategies) {
    if (s.presence !== "both") {
      parts.push(`<h2>${esc(s.strategy)}</h2><p>Only in <code>${esc(s.presence === "only-a" ? d.a : d.b)}</code>.</p>`);
      continue;
    }
    if (s.changes.length === 0 && s.messagesAdded.length + s.messagesRemoved.length === 0) continue;
    parts.push(`<h2>${esc(s.strategy)}</h2>`);
    if (s.changes.length > 0) parts.push(htmlTable(s.changes));
    const msgs = [
      ...s.messagesRemoved.map((m) => `<li class="removed">removed: ${esc(m)}</li>`),
      ...s.messagesAdded.map((m) => `<li class="added">added: ${esc(m)}</li>`),
    ];
    if (msgs.length > 0) parts.push(`<ul>${msgs.join("")}</ul>`);
  }
  if (d.predictions.length > 0) {
    const rows = d.predictions
      .map((p) => `<tr${p.flipped ? ' class="flipped"' : ""}><td>${esc(p.id)}</td><td>${esc(verdict(p.a))}</td><td>${esc(verdict(p.b))}</td></tr>`)
      .join("");
    parts.push(`<h2>Predictions</h2><table><thead><tr><th>prediction</th><th>A</th><th>B</th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  if (d.answer.changed) parts.push(`<h2>Answer</h2><p><b>A:</b> ${esc(d.answer.a ?? "-")}</p><p><b>B:</b> ${esc(d.answer.b ?? "-")}</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iommu-lab diff: ${esc(d.a)} -&gt; ${esc(d.b)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#1f2328}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}tr.flipped{background:#fff3cd}
li.removed{color:#8c1c13}li.added{color:#1a7f37}</style></head><body>
<h1>iommu-lab diff</h1><p><code>${esc(d.a)}</code> → <code>${esc(d.b)}</code>: ${d.changedFigures} figures changed.</p>
${parts.join("\n")}
</body></html>
`;
}
