// SPDX-License-Identifier: GPL-2.0-only
/**
 * A comparison (or one run) as mail-ready text: plain ASCII within 72 columns, no run times, no colour,
 * so it pastes into a plain-text reply as is; and as Markdown for an issue tracker or a review. The
 * figures are the summary table's columns (columns.ts), the same cells the terminal and HTML show.
 */
import { bytes } from "../core/u32.ts";
import type { Answer } from "../analysis/index.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import { renderAnswerText, verdictLabel } from "./answer.ts";
import { ascii, fitWidth } from "./ascii.ts";
import { attributionMarkdown, attributionText } from "./attribution.ts";
import { COLUMNS, type Column } from "./columns.ts";
import { SEC_PAGE_TABLES_NOTE, wrap } from "./format.ts";

export const MAIL_WIDTH = 72;
const GAP = "  ";
const STRATEGY_HEADER = "strategy";

/** The columns mail text shows: every summary column but the run time (mail text has no timing). */
export const MAIL_COLUMNS: readonly Column[] = COLUMNS.filter((c) => c.field !== "runTimeMs");

/** A section added after the tables (kernel views, attribution), already laid out for its format. */
export interface ExtraSection {
  readonly title: string;
  /** Lines of fixed-layout text (a kernel view), shown verbatim in a code block in Markdown. */
  readonly text: string;
}

export interface MailOptions {
  readonly width?: number;
  readonly messagesPerStrategy?: number;
  readonly sections?: readonly ExtraSection[];
}

function cellText(c: Column, r: StrategyResult): string {
  return ascii(c.text(r));
}

/** Packs columns greedily into tables of at most `width`, each led by the strategy column. */
function packColumns(results: readonly StrategyResult[], columns: readonly Column[], width: number): Column[][] {
  const first = Math.max(STRATEGY_HEADER.length, ...results.map((r) => ascii(r.strategy).length));
  const tables: Column[][] = [];
  let table: Column[] = [];
  let used = first;
  for (const c of columns) {
    const w = Math.max(ascii(c.header).length, ...results.map((r) => cellText(c, r).length));
    if (table.length > 0 && used + GAP.length + w > width) {
      tables.push(table);
      table = [];
      used = first;
    }
    table.push(c);
    used += GAP.length + w;
  }
  if (table.length > 0) tables.push(table);
  return tables;
}

function textTable(results: readonly StrategyResult[], columns: readonly Column[]): string[] {
  const first = Math.max(STRATEGY_HEADER.length, ...results.map((r) => ascii(r.strategy).length));
  const widths = columns.map((c) => Math.max(ascii(c.header).length, ...results.map((r) => cellText(c, r).length)));
  const pad = (s: string, w: number, align: "left" | "right"): string => (align === "right" ? s.padStart(w) : s.padEnd(w));
  const lines = [
    [STRATEGY_HEADER.padEnd(first), ...columns.map((c, i) => pad(ascii(c.header), widths[i] ?? 0, c.align))].join(GAP).trimEnd(),
    ["-".repeat(first), ...widths.map((w) => "-".repeat(w))].join(GAP),
  ];
  for (const r of results) {
    lines.push([ascii(r.strategy).padEnd(first), ...columns.map((c, i) => pad(cellText(c, r), widths[i] ?? 0, c.align))].join(GAP).trimEnd());
  }
  return lines;
}

function paramsLine(report: ComparisonReport): string {
  const p = report.params;
  const extra = p.tlbEntries === undefined ? "" : `, TLB ${p.tlbEntries} entries`;
  return `${p.era}, scenario ${p.scenario}, seed ${p.seed}, cpus ${p.cpus}, fit check ${p.fitCheck ? "on" : "off"}${extra}`;
}

/** Plain ASCII within `width` (72): parameters, the tables, kernel messages, extra sections, the answer. */
export function renderMailText(report: ComparisonReport, answer: Answer, options: MailOptions = {}): string {
  const width = options.width ?? MAIL_WIDTH;
  const w = report.workload;
  const field = (name: string, value: string): string[] => wrap(ascii(value), width, name.padEnd(10), " ".repeat(10));
  const out: string[] = [ascii(`${report.tool.name} ${report.tool.version}: table-memory strategies compared`)];
  out.push(...field("platform", `${report.platform.name}: ${report.platform.description}`));
  out.push(...field("zones", report.platform.zones.map((z) => `${z.name} ${bytes(z.end - z.start)}`).join(", ") || "none"));
  out.push(...field("run", paramsLine(report)));
  out.push(...field("workload", `${w.events} events (${w.maps} maps, ${w.unmaps} unmaps): ${w.description}`));
  for (const cols of packColumns(report.results, MAIL_COLUMNS, width)) out.push("", ...textTable(report.results, cols));
  if (report.results.some((r) => r.kernelCounters.secPageTablesBytes === 0))
    out.push("", ...wrap(ascii(`SecPageTables 0 B: ${SEC_PAGE_TABLES_NOTE}.`), width, "", ""));
  const limit = options.messagesPerStrategy ?? 3;
  const withMessages = report.results.filter((r) => r.messages.length > 0);
  if (withMessages.length > 0 && limit > 0) {
    out.push("", "Kernel messages");
    for (const r of withMessages) {
      out.push(`  ${ascii(r.strategy)}`);
      for (const m of r.messages.slice(0, limit)) out.push(...wrap(ascii(`${m.count > 1 ? `(${m.count}x) ` : ""}${m.text}`), width, "    ", "      "));
      if (r.messages.length > limit) out.push(`    ... ${r.messages.length - limit} more`);
    }
  }
  const byDevice = attributionText(report, width);
  for (const s of [...(byDevice === null ? [] : [byDevice]), ...(options.sections ?? [])]) out.push("", ascii(s.title), ...ascii(s.text).trimEnd().split("\n"));
  out.push("", ascii(renderAnswerText(answer, { color: false, width })).trimEnd());
  return fitWidth(out.join("\n"), width) + "\n";
}

function md(s: string): string {
  return s.replace(/\|/g, "\\|");
}

/** Markdown: a parameter list, one table of every column (no run time), messages, extra sections, the answer. */
export function renderMailMarkdown(report: ComparisonReport, answer: Answer, options: MailOptions = {}): string {
  const w = report.workload;
  const out: string[] = [`## ${report.tool.name} ${report.tool.version}: table-memory strategies compared`, ""];
  out.push(`- **platform**: \`${md(report.platform.name)}\`: ${md(report.platform.description)}`);
  out.push(`- **zones**: ${report.platform.zones.map((z) => `${z.name} ${bytes(z.end - z.start)}`).join(", ") || "none"}`);
  out.push(`- **run**: ${md(paramsLine(report))}`);
  out.push(`- **workload**: ${w.events} events (${w.maps} maps, ${w.unmaps} unmaps): ${md(w.description)}`);
  out.push("", "### Results", "");
  out.push(`| ${STRATEGY_HEADER} | ${MAIL_COLUMNS.map((c) => md(c.header)).join(" | ")} |`);
  out.push(`|---|${MAIL_COLUMNS.map((c) => (c.align === "right" ? "---:" : "---")).join("|")}|`);
  for (const r of report.results) out.push(`| ${md(r.strategy)} | ${MAIL_COLUMNS.map((c) => md(c.text(r))).join(" | ")} |`);
  const limit = options.messagesPerStrategy ?? 3;
  const withMessages = report.results.filter((r) => r.messages.length > 0);
  if (withMessages.length > 0 && limit > 0) {
    out.push("", "### Kernel messages", "");
    for (const r of withMessages) {
      out.push(`- **${md(r.strategy)}**`);
      for (const m of r.messages.slice(0, limit)) out.push(`  - ${m.count > 1 ? `(${m.count}x) ` : ""}\`${m.text.replace(/`/g, "'")}\``);
      if (r.messages.length > limit) out.push(`  - ... ${r.messages.length - limit} more`);
    }
  }
  const byDevice = attributionMarkdown(report);
  if (byDevice !== null) out.push("", byDevice.trimEnd());
  for (const s of options.sections ?? []) out.push("", `### ${md(s.title)}`, "", "```", s.text.trimEnd(), "```");
  out.push("", "### Answer", "", md(answer.best.summary));
  if (answer.best.disqualified.length > 0) {
    out.push("", "Not eligible for best by bytes held:", "");
    for (const d of answer.best.disqualified) out.push(`- **${md(d.strategy)}**: ${md(d.reasons.join(", "))}`);
  }
  if (answer.predictions.length > 0) {
    out.push("", "#### Predictions from the 2018 discussion", "");
    for (const p of answer.predictions) out.push(`- **[${verdictLabel(p)}]** ${md(p.text)}: ${md(p.evidence)}`);
  }
  return out.join("\n") + "\n";
}

/** `--quiet`: the answer's one-paragraph summary and nothing else. */
export function renderQuiet(answer: Answer, width = MAIL_WIDTH): string {
  return fitWidth(wrap(ascii(answer.best.summary), width, "", "").join("\n"), width) + "\n";
}
