// SPDX-License-Identifier: GPL-2.0-only
/**
 * `compare --platforms a,b,...`: one table of the strategies across SoCs, so a reader sees at a glance
 * on which platforms the tables-above-4-GiB class still bites. Each row is one platform's comparison
 * (its own default scenario unless one was named, which the table says); a cell is the strategy's
 * outcome there. Renders only: the comparisons are run by the CLI.
 */
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import { esc } from "./escape.ts";

export const PLATFORMS_SCHEMA = "iommu-lab/compare-platforms/1";

/** One platform's row: its comparison, or why it did not run (an era without the SoC). */
export type PlatformRow =
  | { readonly platform: string; readonly ran: true; readonly ownDefault: boolean; readonly report: ComparisonReport }
  | { readonly platform: string; readonly ran: false; readonly reason: string };

export interface PlatformCell {
  readonly strategy: string;
  /**
   * "clean"; "fails" (allocation or map failures, faults, mismatches, stray writes); "refused" (no
   * domain); "n/a": the strategy asks for an io-pgtable quirk this kernel or driver cannot have (the
   * TTBR extension before it existed, or without MTK_EXT), so it is no option there, not a failure.
   */
  readonly outcome: "clean" | "fails" | "refused" | "n/a";
  readonly tablesAbove4GiB: number;
  readonly mapFailures: number;
  readonly allocFailures: number;
  /** Domains that failed (multi-domain platforms), by id. */
  readonly failedDomains: readonly string[];
  /** The first kernel message, as the kernel words it. */
  readonly firstMessage: string | null;
}

/** The model's refusal lines for a quirk the era's text lacks, or one the driver's quirks cannot carry. */
const NOT_AN_OPTION = /^model: alloc_io_pgtable_ops refused: (IO_PGTABLE_QUIRK_\w+ does not exist in Linux|\w+ requires \w+$)/;

export function cellOf(r: StrategyResult): PlatformCell {
  const failing = r.allocFailures + r.mapFailures + r.faults + r.translationMismatches + r.strayDmaWrites > 0;
  return {
    strategy: r.strategy,
    outcome: !r.domainCreated ? (r.messages.some((m) => NOT_AN_OPTION.test(m.text)) ? "n/a" : "refused") : failing ? "fails" : "clean",
    tablesAbove4GiB: r.tablesAbove4GiB,
    mapFailures: r.mapFailures,
    allocFailures: r.allocFailures,
    failedDomains: r.breakdown?.domains.filter((d) => !d.created || d.mapFailures > 0).map((d) => d.id) ?? [],
    firstMessage: r.messages.find((m) => !m.text.startsWith("model:") && !m.text.startsWith("workload:"))?.text ?? null,
  };
}

function strategiesOf(rows: readonly PlatformRow[]): string[] {
  return [...new Set(rows.flatMap((r) => (r.ran ? r.report.results.map((x) => x.strategy) : [])))];
}

function short(c: PlatformCell | undefined): string {
  if (c === undefined) return "–";
  if (c.outcome === "refused" || c.outcome === "n/a") return c.outcome;
  if (c.outcome === "clean") return c.tablesAbove4GiB > 0 ? "ok (≥4G)" : "ok";
  return `${c.mapFailures} fail`;
}

function scenarioNote(rows: readonly PlatformRow[], named: string | null): string {
  return named === null ? "each platform runs its own default scenario (compare --platform P)" : `every platform runs ${named}`;
}

/** The terminal table. */
export function renderPlatformsText(rows: readonly PlatformRow[], named: string | null): string {
  const strategies = strategiesOf(rows);
  const header = ["platform", "era", "scenario", ...strategies];
  const body = rows.map((r) => {
    if (!r.ran) return [r.platform, "", r.reason, ...strategies.map(() => "")];
    const cells = new Map(r.report.results.map((x) => [x.strategy, cellOf(x)]));
    return [r.platform, r.report.params.era, r.report.params.scenario, ...strategies.map((s) => short(cells.get(s)))];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.filter((b, k) => rows[k]?.ran !== false || i < 2).map((b) => (b[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const out = [`Strategies across platforms: ${scenarioNote(rows, named)}`, "", line(header), widths.map((w) => "─".repeat(w)).join("  ")];
  for (const b of body) out.push(line(b));
  out.push(
    "",
    "ok: every map succeeded (≥4G: with tables at or above 4 GiB the M4U can reach); N fail: map calls that failed; refused: no domain; n/a: the strategy's quirk does not exist in that kernel or driver",
  );
  const bites: string[] = [];
  for (const r of rows) {
    if (!r.ran) continue;
    const failing = r.report.results.map(cellOf).filter((c) => c.outcome === "fails" || c.outcome === "refused");
    if (failing.length === 0) continue;
    const where = [...new Set(failing.flatMap((c) => c.failedDomains))];
    const msg = failing.find((c) => c.firstMessage !== null)?.firstMessage;
    bites.push(
      `  ${r.platform}: ${failing.map((c) => c.strategy).join(", ")}${where.length > 0 ? ` (domains ${where.join(", ")})` : ""}${msg === undefined ? "" : `; the kernel: "${msg}"`}`,
    );
  }
  out.push("", bites.length === 0 ? "The regression class bites nowhere here." : "Where it still bites:", ...bites);
  return out.join("\n") + "\n";
}

/** The JSON document: every row's cells, and each platform's full comparison report. */
export function platformsJson(rows: readonly PlatformRow[], named: string | null, version: string): string {
  const doc = {
    schema: PLATFORMS_SCHEMA,
    tool: { name: "iommu-lab", version },
    scenario: named,
    note: scenarioNote(rows, named),
    rows: rows.map((r) =>
      r.ran
        ? {
            platform: r.platform,
            ran: true,
            era: r.report.params.era,
            scenario: r.report.params.scenario,
            ownDefault: r.ownDefault,
            cells: r.report.results.map(cellOf),
            report: r.report,
          }
        : { platform: r.platform, ran: false, reason: r.reason },
    ),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/** A small HTML page with the table. */
export function renderPlatformsHtml(rows: readonly PlatformRow[], named: string | null): string {
  const strategies = strategiesOf(rows);
  const tr = (cells: readonly string[], tag = "td"): string => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join("")}</tr>`;
  return [
    `<!doctype html><html><head><meta charset="utf-8"><title>iommu-lab: strategies across platforms</title></head><body>`,
    `<h1>Strategies across platforms</h1><p>${esc(scenarioNote(rows, named))}</p><table>`,
    tr(["platform", "era", "scenario", ...strategies], "th"),
    ...rows.map((r) => {
      if (!r.ran) return tr([r.platform, "", r.reason]);
      const cells = new Map(r.report.results.map((x) => [x.strategy, cellOf(x)]));
      return tr([r.platform, r.report.params.era, r.report.params.scenario, ...strategies.map((s) => short(cells.get(s)))]);
    }),
    `</table></body></html>`,
    "",
  ].join("\n");
}
