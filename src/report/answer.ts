// SPDX-License-Identifier: GPL-2.0-only
/**
 * The short answer a reader wants first: which table-memory strategy wins on this run, and whether the
 * trade-offs predicted in the 2018 thread ("[PATCH v2 0/3] iommu/io-pgtable-arm-v7s: Use DMA32 zone for
 * page tables", docs/kernel-facts.md#thread-timeline) show up in the model's numbers. Everything is computed from the
 * report; a prediction the model contradicts is reported as not holding, with the figures.
 */
import { era as eraProfile, isEraName } from "../core/era.ts";
import { bytes, SZ_4G } from "../core/u32.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import { esc } from "./escape.ts";
import { formatRatio, L2_TABLE_BYTES, wrap } from "./format.ts";

export type PredictionId =
  | "genalloc-prealloc-holds-4mib"
  | "page-frag-holds-more-under-churn"
  | "page-per-table-holds-4x"
  | "legacy-gfp-dma-fails-on-elm-v4.19";

export interface Prediction {
  readonly id: PredictionId;
  /** The prediction, as the 2018 discussion put it. */
  readonly text: string;
  /** Who made it, where. */
  readonly source: string;
  /** true: holds; false: does not hold here; null: this run cannot test it (evidence says why). */
  readonly holds: boolean | null;
  /** One or two sentences with the figures the verdict rests on. */
  readonly evidence: string;
  /** The same figures as numbers (bytes, counts, ratios), for machines. */
  readonly figures: Readonly<Record<string, number>>;
}

export interface Answer {
  readonly best: {
    /** Lowest peak held among strategies with no failure, fault, mismatch, stray write or table >= 4 GiB. */
    readonly byBytesHeld: {
      readonly strategy: string;
      readonly peakHeldBytes: number;
      readonly peakInUseBytes: number;
      readonly runnerUp: { readonly strategy: string; readonly peakHeldBytes: number } | null;
    } | null;
    /** Strategies with the fewest failures (allocation, map, fault, mismatch, stray write), and the worst one. */
    readonly byFailures: {
      readonly fewest: readonly string[];
      readonly fewestCount: number;
      readonly most: { readonly strategy: string; readonly count: number } | null;
    };
    /** Strategies left out of byBytesHeld, with the reasons. */
    readonly disqualified: readonly { readonly strategy: string; readonly reasons: readonly string[] }[];
    /** The answer in one or two plain sentences. */
    readonly summary: string;
  };
  /** Predictions whose strategies are in the run, in a fixed order. */
  readonly predictions: readonly Prediction[];
}

/** Allocation failures, map failures, faults, translation mismatches, stray DMA writes and dirty tables, summed; a domain that could not be created counts as one. */
export function failureCount(r: StrategyResult): number {
  return (r.domainCreated ? 0 : 1) + r.allocFailures + r.mapFailures + r.faults + r.translationMismatches + r.strayDmaWrites + r.dirtyTables;
}

function disqualifications(r: StrategyResult): string[] {
  const reasons: string[] = [];
  if (!r.domainCreated) reasons.push("domain not created");
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  if (r.allocFailures > 0) reasons.push(plural(r.allocFailures, "allocation failure", "allocation failures"));
  if (r.mapFailures > 0) reasons.push(plural(r.mapFailures, "map failure", "map failures"));
  if (r.faults > 0) reasons.push(plural(r.faults, "fault", "faults"));
  if (r.translationMismatches > 0) reasons.push(plural(r.translationMismatches, "mismatch", "mismatches"));
  if (r.strayDmaWrites > 0) reasons.push(plural(r.strayDmaWrites, "stray DMA write", "stray DMA writes"));
  if (r.dirtyTables > 0) reasons.push(plural(r.dirtyTables, "L2 table handed out with stale entries", "L2 tables handed out with stale entries"));
  if (r.tablesAbove4GiB > 0 && !r.capabilities.tablesAbove4GiBAddressable) reasons.push(plural(r.tablesAbove4GiB, "table at or above 4 GiB", "tables at or above 4 GiB"));
  return reasons;
}

function byName(a: StrategyResult, b: StrategyResult): number {
  return a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : 0;
}

export function computeAnswer(report: ComparisonReport): Answer {
  const results = report.results;
  const disqualified = results
    .map((r) => ({ strategy: r.strategy, reasons: disqualifications(r) }))
    .filter((d) => d.reasons.length > 0);
  const eligible = results
    .filter((r) => disqualifications(r).length === 0)
    .slice()
    .sort((a, b) => a.peakHeldBytes - b.peakHeldBytes || a.finalHeldBytes - b.finalHeldBytes || byName(a, b));
  const first = eligible[0];
  const second = eligible[1];
  const byBytesHeld =
    first === undefined
      ? null
      : {
          strategy: first.strategy,
          peakHeldBytes: first.peakHeldBytes,
          peakInUseBytes: first.peakInUseBytes,
          runnerUp: second === undefined ? null : { strategy: second.strategy, peakHeldBytes: second.peakHeldBytes },
        };

  const counts = results.map((r) => ({ strategy: r.strategy, count: failureCount(r) }));
  const fewestCount = counts.length === 0 ? 0 : Math.min(...counts.map((c) => c.count));
  const fewest = counts.filter((c) => c.count === fewestCount).map((c) => c.strategy);
  const worst = counts.slice().sort((a, b) => b.count - a.count || (a.strategy < b.strategy ? -1 : 1))[0];
  const most = worst !== undefined && worst.count > fewestCount ? worst : null;

  const best = { byBytesHeld, byFailures: { fewest, fewestCount, most }, disqualified };
  return { best: { ...best, summary: summarise(best, results.length) }, predictions: predictions(report) };
}

function summarise(best: Omit<Answer["best"], "summary">, total: number): string {
  const parts: string[] = [];
  const b = best.byBytesHeld;
  if (total === 0) return "No strategy was run.";
  if (b === null) {
    parts.push(`No strategy ran cleanly (every one had a failure, a fault, a mismatch or a table at or above 4 GiB), so none is best by bytes held.`);
  } else {
    const ratio = formatRatio(b.peakInUseBytes > 0 ? b.peakHeldBytes / b.peakInUseBytes : null);
    let s = `Best by bytes held: ${b.strategy}, peak ${bytes(b.peakHeldBytes)} held for ${bytes(b.peakInUseBytes)} of live tables (${ratio})`;
    if (b.runnerUp !== null) {
      const diff = b.runnerUp.peakHeldBytes - b.peakHeldBytes;
      s += diff === 0 ? `, tied with ${b.runnerUp.strategy}` : `, ${bytes(diff)} less than ${b.runnerUp.strategy} (${bytes(b.runnerUp.peakHeldBytes)})`;
    }
    parts.push(s + ".");
  }
  const f = best.byFailures;
  if (total > 0) {
    const who = f.fewest.length === total ? `all ${total} strategies` : f.fewest.join(", ");
    let s = f.fewestCount === 0 ? `Without failures: ${who}.` : `Fewest failures (${f.fewestCount}): ${who}.`;
    if (f.most !== null) {
      const reasons = best.disqualified.find((d) => d.strategy === f.most?.strategy)?.reasons ?? [`${f.most.count}`];
      s += ` Most failures: ${f.most.strategy} (${reasons.filter((x) => !x.includes("4 GiB")).join(", ")}).`;
    }
    parts.push(s);
  }
  return parts.join(" ");
}

function find(report: ComparisonReport, name: string): StrategyResult | undefined {
  return report.results.find((r) => r.strategy === name);
}

const SZ_4M = 4 * 1024 * 1024;

function predictions(report: ComparisonReport): Prediction[] {
  const out: Prediction[] = [];
  const genalloc = find(report, "genalloc-prealloc");
  if (genalloc !== undefined) out.push(genallocHolds4MiB(genalloc));
  const frag = find(report, "page-frag");
  const slab = find(report, "slab-dma32");
  if (frag !== undefined && slab !== undefined) out.push(pageFragUnderChurn(frag, slab));
  const perTable = find(report, "page-per-table");
  if (perTable !== undefined) out.push(pagePerTable4x(perTable));
  const legacy = find(report, "legacy-gfp-dma");
  if (legacy !== undefined) out.push(legacyFails(report, legacy));
  return out;
}

function genallocHolds4MiB(r: StrategyResult): Prediction {
  let minHeld = Math.min(r.finalHeldBytes, r.peakHeldBytes);
  for (const s of r.samples) minHeld = Math.min(minHeld, s.heldBytes);
  const holds = minHeld >= SZ_4M;
  const ratio = formatRatio(r.peakInUseBytes > 0 ? r.peakHeldBytes / r.peakInUseBytes : null);
  const over = r.samples.length > 0 ? ` over ${r.samples.length} samples` : "";
  const evidence = holds
    ? `genalloc-prealloc never held less than ${bytes(minHeld)}${over} (peak ${bytes(r.peakHeldBytes)}, final ${bytes(r.finalHeldBytes)}) while at most ${bytes(r.peakInUseBytes)} of tables were live: ${ratio} the memory it needed.`
    : `does not hold here: genalloc-prealloc held as little as ${bytes(minHeld)}${over} (peak ${bytes(r.peakHeldBytes)}, final ${bytes(r.finalHeldBytes)})${r.domainCreated ? "" : "; its domain was not created"}.`;
  return {
    id: "genalloc-prealloc-holds-4mib",
    text: "genalloc needs the 4 MiB pool allocated up front, and has no way to shrink: it holds at least 4 MiB whatever the load.",
    source: "Nicolas Boichat's summary of the options, 2018-12-04 (option 2)",
    holds,
    evidence,
    figures: { minHeldBytes: minHeld, peakHeldBytes: r.peakHeldBytes, finalHeldBytes: r.finalHeldBytes, peakInUseBytes: r.peakInUseBytes },
  };
}

function pageFragUnderChurn(frag: StrategyResult, slab: StrategyResult): Prediction {
  const text = "page_frag: fragments in partially freed pages cannot be reused, so under churn it holds more than the slab cache.";
  const source = "Nicolas Boichat's summary, 2018-12-04 (option 3); the v3 page_frag RFC's commit text";
  const figures = {
    l2TablesFreed: frag.l2TablesFreed,
    pageFragFinalHeldBytes: frag.finalHeldBytes,
    slabFinalHeldBytes: slab.finalHeldBytes,
    pageFragPeakHeldBytes: frag.peakHeldBytes,
    slabPeakHeldBytes: slab.peakHeldBytes,
    finalInUseBytes: frag.finalInUseBytes,
  };
  if (frag.l2TablesFreed === 0) {
    return {
      id: "page-frag-holds-more-under-churn",
      text,
      source,
      holds: null,
      evidence: `not tested: page-frag freed no L2 table in this workload, so no page was partly freed (held ${bytes(frag.finalHeldBytes)} vs ${bytes(slab.finalHeldBytes)} for slab-dma32).`,
      figures,
    };
  }
  // After a teardown both hold nothing; then the difference can only show at the peak.
  const atEnd = frag.finalInUseBytes > 0 || slab.finalInUseBytes > 0;
  const f = atEnd ? frag.finalHeldBytes : frag.peakHeldBytes;
  const s = atEnd ? slab.finalHeldBytes : slab.peakHeldBytes;
  const when = atEnd ? "at the end" : "at the peak";
  const holds = f > s;
  const inUse = atEnd ? `, for ${bytes(frag.finalInUseBytes)} of live tables` : "";
  const factor = s > 0 ? ` (${formatRatio(f / s)})` : "";
  const body = `after ${frag.l2TablesFreed} L2 tables were freed, page-frag held ${bytes(f)} ${when} and slab-dma32 ${bytes(s)}${factor}${inUse}; peaks ${bytes(frag.peakHeldBytes)} vs ${bytes(slab.peakHeldBytes)}.`;
  return {
    id: "page-frag-holds-more-under-churn",
    text,
    source,
    holds,
    evidence: holds ? capitalise(body) : `does not hold here: ${body}`,
    figures,
  };
}

function pagePerTable4x(r: StrategyResult): Prediction {
  const text = "A full 4 KiB page per 1 KiB L2 table (what iommu-pages would give v7s) holds about four times the L2 bytes in use.";
  const source = "Worst case in the v3 page_frag RFC (16 MB for 4 MB of L2 tables); iommu-pages rounds sub-page sizes up to a page";
  // L2 bytes held = held minus the L1 (in use minus live L2 bytes), at the sample with the most live L2 tables.
  // Without samples, the end of the run is the only point known.
  let live = r.samples.length === 0 ? r.l2Tables : -1;
  let held = r.finalHeldBytes;
  let inUse = r.finalInUseBytes;
  for (const s of r.samples) {
    if (s.liveL2Tables > live || (s.liveL2Tables === live && s.heldBytes > held)) {
      live = s.liveL2Tables;
      held = s.heldBytes;
      inUse = s.inUseBytes;
    }
  }
  const l2InUse = live * L2_TABLE_BYTES;
  const l1 = Math.max(0, inUse - l2InUse);
  const l2Held = Math.max(0, held - l1);
  const figures = { liveL2Tables: live, l2HeldBytes: l2Held, l2InUseBytes: l2InUse, ratio: l2InUse > 0 ? l2Held / l2InUse : 0 };
  if (live === 0) {
    return { id: "page-per-table-holds-4x", text, source, holds: null, evidence: "not tested: no L2 table was live at any sample.", figures };
  }
  const ratio = l2Held / l2InUse;
  const holds = ratio >= 3.5 && ratio <= 4.5;
  const body = `with ${live} live L2 tables page-per-table held ${bytes(l2Held)} for ${bytes(l2InUse)} of L2 tables (${formatRatio(ratio)}); ${formatRatio(inUse > 0 ? held / inUse : null)} counting the ${bytes(l1)} L1.`;
  return { id: "page-per-table-holds-4x", text, source, holds, evidence: holds ? capitalise(body) : `does not hold here: ${body}`, figures };
}

function legacyFails(report: ComparisonReport, r: StrategyResult): Prediction {
  const text = "legacy GFP_DMA tables (v4.15-v4.19 arm64) land above 4 GiB on a 4 GiB MT8173 elm, and map calls fail.";
  const source = "The regression report in the v2 cover letter; stable@ note of 6d6ea1e967a2 (confirmed on 4.19 on MT8173 elm)";
  const figures = {
    mapCalls: r.mapCalls,
    mapFailures: r.mapFailures,
    allocFailures: r.allocFailures,
    tablesAbove4GiB: r.tablesAbove4GiB,
    strayDmaWrites: r.strayDmaWrites,
  };
  const failed = r.mapFailures > 0 || r.tablesAbove4GiB > 0 || !r.domainCreated;
  const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  const parts = r.domainCreated
    ? [`${r.mapFailures} of ${r.mapCalls} map calls failed`, `${n(r.tablesAbove4GiB, "table", "tables")} landed at or above 4 GiB`, `${n(r.allocFailures, "table allocation", "table allocations")} failed`]
    : [`the domain was not created (${n(r.tablesAbove4GiB, "table", "tables")} at or above 4 GiB), so no map call could succeed`];
  if (r.faults > 0) parts.push(n(r.faults, "fault", "faults"));
  if (r.strayDmaWrites > 0) parts.push(`${n(r.strayDmaWrites, "device write", "device writes")} went astray`);
  const what = parts.join(", ");
  const highRam = report.platform.ram.some((b) => b.end > SZ_4G);
  const gfpDmaUnbounded = isEraName(report.params.era) && eraProfile(report.params.era).zones === "dma32-only";
  if (!highRam || !gfpDmaUnbounded) {
    const why = !gfpDmaUnbounded
      ? `${report.params.era} is not a v4.15-v5.4 kernel, where GFP_DMA falls to ZONE_NORMAL on arm64`
      : `${report.platform.name} has no RAM above 4 GiB`;
    return { id: "legacy-gfp-dma-fails-on-elm-v4.19", text, source, holds: null, evidence: `not tested: ${why} (here: ${what}).`, figures };
  }
  const evidence = failed ? `On ${report.platform.name} with ${report.params.era}: ${what}.` : `does not hold here: on ${report.platform.name} with ${report.params.era}, ${what}.`;
  return { id: "legacy-gfp-dma-fails-on-elm-v4.19", text, source, holds: failed, evidence, figures };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function verdictLabel(p: Prediction): string {
  return p.holds === true ? "holds" : p.holds === false ? "does not hold" : "not tested";
}

const ANSI = { green: "\x1b[32m", red: "\x1b[31m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

/** Plain-text answer for the terminal, wrapped at `width` columns. */
export function renderAnswerText(answer: Answer, options: { readonly color: boolean; readonly width?: number }): string {
  const width = options.width ?? 100;
  const paint = (code: string, s: string): string => (options.color ? code + s + ANSI.reset : s);
  const lines: string[] = [paint(ANSI.bold, "Answer"), ...wrap(answer.best.summary, width, "  ", "  ")];
  if (answer.best.disqualified.length > 0) lines.push("  Not eligible for best by bytes held:");
  for (const d of answer.best.disqualified) lines.push(...wrap(`${d.strategy}: ${d.reasons.join(", ")}`, width, "  - ", "    "));
  if (answer.predictions.length > 0) {
    lines.push("", paint(ANSI.bold, "Predictions from the 2018 discussion"));
    for (const p of answer.predictions) {
      const label = verdictLabel(p);
      const tag = `[${label}]`;
      const colored = paint(p.holds === true ? ANSI.green : p.holds === false ? ANSI.red : ANSI.dim, tag);
      const head = wrap(p.text, width - tag.length - 3, "", "");
      lines.push(`  ${colored} ${head[0] ?? ""}`);
      for (const more of head.slice(1)) lines.push(" ".repeat(tag.length + 3) + more);
      lines.push(...wrap(p.evidence, width, "      ", "      "));
    }
  }
  return lines.join("\n") + "\n";
}

/** HTML fragment of the answer: a summary paragraph and a list of predictions with verdict badges. */
export function renderAnswerHtml(answer: Answer): string {
  const out: string[] = [`<p class="summary">${esc(answer.best.summary)}</p>`];
  if (answer.best.disqualified.length > 0) {
    out.push(`<p class="lead-in">Not eligible for best by bytes held:</p>`, `<ul class="disqualified">`);
    for (const d of answer.best.disqualified) {
      out.push(`<li data-strategy="${esc(d.strategy)}"><strong>${esc(d.strategy)}</strong>: ${esc(d.reasons.join(", "))}</li>`);
    }
    out.push(`</ul>`);
  }
  if (answer.predictions.length > 0) {
    out.push(`<h3>Predictions from the 2018 discussion</h3>`, `<ol class="predictions">`);
    for (const p of answer.predictions) {
      const cls = p.holds === true ? "holds" : p.holds === false ? "fails" : "untested";
      out.push(
        `<li data-prediction="${esc(p.id)}" data-holds="${p.holds === null ? "null" : String(p.holds)}">` +
          `<span class="verdict ${cls}">${esc(verdictLabel(p))}</span> ` +
          `<span class="claim">${esc(p.text)}</span>` +
          `<span class="evidence">${esc(p.evidence)}</span>` +
          `<span class="source">${esc(p.source)}</span></li>`,
      );
    }
    out.push(`</ol>`);
  }
  return out.join("\n");
}
