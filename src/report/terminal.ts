// SPDX-License-Identifier: GPL-2.0-only
/** The comparison as terminal text: run parameters, the summary table(s), kernel messages, the answer it is given. */
import { bytes } from "../core/u32.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import type { Answer } from "../analysis/index.ts";
import { renderAnswerText } from "./answer.ts";
import { renderBootText } from "./boot.ts";
import { attributionText } from "./attribution.ts";
import { COLUMNS, GROUP_TITLES, type Column, type ColumnGroup } from "./columns.ts";
import { renderBreakdownText } from "./domains.ts";
import { renderFaultsText } from "./faults.ts";
import { SEC_PAGE_TABLES_NOTE, wrap } from "./format.ts";

export interface TerminalOptions {
  /** ANSI colour: bold headings, red for failure counts above zero. */
  readonly color: boolean;
  /** Columns available; the table is split by group when one table would be wider. Default 100. */
  readonly width?: number;
  /** Kernel messages shown per strategy. Default 3. */
  readonly messagesPerStrategy?: number;
  /** Sections after the messages and before the answer (kernel views), already laid out. */
  readonly sections?: readonly { readonly title: string; readonly text: string }[];
}

const ANSI = { red: "\x1b[31m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m" };
const GAP = "  ";

export function renderTerminal(report: ComparisonReport, answer: Answer, options: TerminalOptions): string {
  const width = options.width ?? 100;
  const paint = (code: string, s: string): string => (options.color ? code + s + ANSI.reset : s);
  const p = report.params;
  const w = report.workload;
  const out: string[] = [];
  out.push(paint(ANSI.bold, `${report.tool.name} ${report.tool.version}: table-memory strategies compared`));
  const field = (name: string, value: string): string[] => wrap(value, width, name.padEnd(10), " ".repeat(10));
  out.push(...field("platform", `${report.platform.name}: ${report.platform.description}`));
  out.push(...field("zones", report.platform.zones.map((z) => `${z.name} ${bytes(z.end - z.start)}`).join(", ") || "none"));
  out.push("era".padEnd(10) + `${p.era}    scenario ${p.scenario}    seed ${p.seed}    cpus ${p.cpus}    fit check ${p.fitCheck ? "on" : "off"}`);
  out.push(
    "domain".padEnd(10) +
      (p.domainTiming === "at-probe"
        ? "at-probe (L1 allocated as the masters are added at boot)"
        : `${p.domainTiming} (L1 allocated after the background load)`),
  );
  if (p.tlbEntries !== undefined) out.push("tlb".padEnd(10) + `${p.tlbEntries} entries (fully associative, LRU)`);
  out.push(...field("workload", `${w.events} events (${w.maps} maps, ${w.unmaps} unmaps): ${w.description}`));
  out.push("");

  const all = tableWidth(report.results, COLUMNS);
  const groups: ColumnGroup[] = all <= width ? [] : ["memory", "correctness", "kernel"];
  if (groups.length === 0) {
    out.push(...renderTable(report.results, COLUMNS, options.color), "");
  } else {
    for (const g of groups) {
      // A group still wider than the terminal (long labels of variants run with other switches)
      // goes on in further tables of its columns.
      packed(
        report.results,
        COLUMNS.filter((c) => c.group === g),
        width,
      ).forEach((cols, i) => {
        out.push(paint(ANSI.bold, i === 0 ? GROUP_TITLES[g] : `${GROUP_TITLES[g]} (continued)`));
        out.push(...renderTable(report.results, cols, options.color), "");
      });
    }
  }
  if (report.results.some((r) => r.kernelCounters.secPageTablesBytes === 0)) {
    out.push(...wrap(`SecPageTables 0 B: ${SEC_PAGE_TABLES_NOTE}.`, width, "", "").map((l) => paint(ANSI.dim, l)), "");
  }

  out.push(...renderBreakdownText(report));

  const limit = options.messagesPerStrategy ?? 3;
  const withMessages = report.results.filter((r) => r.messages.length > 0);
  if (withMessages.length > 0 && limit > 0) {
    out.push(paint(ANSI.bold, "Kernel messages"));
    for (const r of withMessages) {
      out.push(`  ${r.strategy}`);
      for (const m of r.messages.slice(0, limit)) out.push(...wrap(`${m.count > 1 ? `(${m.count}x) ` : ""}${m.text}`, width, "    ", "      "));
      if (r.messages.length > limit) out.push(paint(ANSI.dim, `    ... ${r.messages.length - limit} more`));
    }
    out.push("");
  }

  const boot = renderBootText(report, answer, width);
  if (boot.length > 0) out.push(paint(ANSI.bold, boot[0] as string), ...boot.slice(1), "");
  const byDevice = attributionText(report, width);
  for (const s of [...(byDevice === null ? [] : [byDevice]), ...(options.sections ?? [])]) out.push(paint(ANSI.bold, s.title), s.text.trimEnd(), "");
  out.push(...renderFaultsText(report.results, width));
  out.push(renderAnswerText(answer, { color: options.color, width }).trimEnd());
  return out.join("\n") + "\n";
}

const STRATEGY_HEADER = "strategy";

function tableWidth(results: readonly StrategyResult[], columns: readonly Column[]): number {
  const widths = columnWidths(results, columns);
  return widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
}

function columnWidths(results: readonly StrategyResult[], columns: readonly Column[]): number[] {
  const first = Math.max(STRATEGY_HEADER.length, ...results.map((r) => r.strategy.length));
  return [first, ...columns.map((c) => Math.max(c.header.length, ...results.map((r) => c.text(r).length)))];
}

/** `columns` in runs whose tables (each led by the strategy column) fit in `width`. */
function packed(results: readonly StrategyResult[], columns: readonly Column[], width: number): Column[][] {
  const out: Column[][] = [];
  let run: Column[] = [];
  for (const c of columns) {
    if (run.length > 0 && tableWidth(results, [...run, c]) > width) {
      out.push(run);
      run = [];
    }
    run.push(c);
  }
  if (run.length > 0) out.push(run);
  return out;
}

function pad(s: string, width: number, align: "left" | "right"): string {
  return align === "right" ? s.padStart(width) : s.padEnd(width);
}

function renderTable(results: readonly StrategyResult[], columns: readonly Column[], color: boolean): string[] {
  const widths = columnWidths(results, columns);
  const w = (i: number): number => widths[i] ?? 0;
  const header = [pad(STRATEGY_HEADER, w(0), "left"), ...columns.map((c, i) => pad(c.header, w(i + 1), c.align))];
  const rule = widths.map((n) => "\u2500".repeat(n));
  const lines = [header.join(GAP).trimEnd(), rule.join(GAP)];
  for (const r of results) {
    const cells = [pad(r.strategy, w(0), "left")];
    columns.forEach((c, i) => {
      // Pad before colouring so escape codes do not count towards the width.
      const cell = pad(c.text(r), w(i + 1), c.align);
      cells.push(color && c.bad?.(r) === true ? ANSI.red + cell + ANSI.reset : cell);
    });
    lines.push(cells.join(GAP).trimEnd());
  }
  return lines;
}
