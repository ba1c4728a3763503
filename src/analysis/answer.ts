// SPDX-License-Identifier: GPL-2.0-only
/**
 * The short answer a reader wants first: which table-memory strategy wins on this run, and whether the
 * trade-offs predicted in the 2018 thread ("[PATCH v2 0/3] iommu/io-pgtable-arm-v7s: Use DMA32 zone for
 * page tables") show up in the model's numbers. Everything is computed from the report; a prediction the
 * model contradicts is reported as not holding, with the figures.
 */
import { era as eraProfile, isEraName } from "../core/era.ts";
import { bytes } from "../core/u32.ts";
import type { Variant, VariantSwitches } from "../lab/spec.ts";
import { STRATEGY_NAMES, strategy as strategyByName, type Provenance } from "../strategies/index.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import { analyseBoot, type BootAnalysis } from "./boot.ts";
import { formatRatio } from "./figures.ts";
import { plural, type Prediction } from "./prediction.ts";
import { PREDICTIONS } from "./predictions/index.ts";

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
    /**
     * Clean results of strategies no kernel merged (an RFC, or hypothetical): compared with the best in a
     * sentence of their own, never chosen as best, so the answer recommends only what Linux has.
     */
    readonly outsideKernel: readonly {
      readonly strategy: string;
      readonly provenance: "rfc" | "hypothetical";
      readonly peakHeldBytes: number;
      /** Why it is worth comparing (hypothetical) or where it was posted (rfc). */
      readonly note: string;
    }[];
    /** The answer in one or two plain sentences. */
    readonly summary: string;
  };
  /** Predictions whose strategies are in the run, in a fixed order. */
  readonly predictions: readonly Prediction[];
  /** The boot timeline's meaning: when the domain was created and where the L1s went; mtk_iommu's retry per strategy. */
  readonly boot: BootAnalysis;
  /**
   * On systems with several IOMMU instances or domains: for each strategy with failures, the domains
   * and instances they happened in. Absent on single-domain runs.
   */
  readonly whereFailed?: readonly WhereFailed[];
}

export interface WhereFailed {
  readonly strategy: string;
  /** Domains that were refused or had map failures, in creation order. */
  readonly domains: readonly { readonly id: string; readonly instances: readonly string[]; readonly refused: boolean; readonly mapFailures: number }[];
  /** Instances whose M4U faulted. */
  readonly instances: readonly { readonly name: string; readonly faults: number }[];
}

/** Where each strategy's failures happened, from the results' breakdowns; null when no result has one. */
export function whereFailed(results: readonly StrategyResult[]): WhereFailed[] | null {
  if (!results.some((r) => r.breakdown !== undefined)) return null;
  const out: WhereFailed[] = [];
  for (const r of results) {
    const b = r.breakdown;
    if (b === undefined) continue;
    const domains = b.domains
      .filter((d) => !d.created || d.mapFailures > 0)
      .map((d) => ({ id: d.id, instances: d.instances, refused: !d.created, mapFailures: d.mapFailures }));
    const instances = b.instances.filter((i) => i.faults > 0).map((i) => ({ name: i.name, faults: i.faults }));
    if (domains.length > 0 || instances.length > 0) out.push({ strategy: r.strategy, domains, instances });
  }
  return out;
}

/** One sentence naming the domains and instances the worst strategy failed in, and how many others failed there too. */
function whereSentence(where: readonly WhereFailed[], worst: string | null): string | null {
  const w = where.find((x) => x.strategy === worst) ?? where[0];
  if (w === undefined) return null;
  const parts = [
    ...w.domains.map((d) => `domain ${d.id} (${d.instances.join("+")}) ${d.refused ? "not created" : plural(d.mapFailures, "map failure", "map failures")}`),
    ...w.instances.map((i) => `instance ${i.name} ${plural(i.faults, "fault", "faults")}`),
  ];
  const others = where.filter((x) => x !== w).map((x) => x.strategy);
  const tail = others.length === 0 ? "" : `; ${others.length === 1 ? `${others[0]} also failed` : `${others.length} other strategies also failed`} by domain`;
  return `Where ${w.strategy} failed: ${parts.join(", ")}${tail}.`;
}

/** Allocation failures, map failures, faults, translation mismatches, stray DMA writes and dirty tables, summed; a domain that could not be created counts as one. */
export function failureCount(r: StrategyResult): number {
  return (r.domainCreated ? 0 : 1) + r.allocFailures + r.mapFailures + r.faults + r.translationMismatches + r.strayDmaWrites + r.dirtyTables;
}

/** Why a result is not eligible for best by bytes held. `failure` is false for a reason that is a placement, not a failure. */
interface Reason {
  readonly text: string;
  readonly failure: boolean;
}

function disqualifications(r: StrategyResult): Reason[] {
  const reasons: Reason[] = [];
  const count = (n: number, one: string, many: string): void => {
    if (n > 0) reasons.push({ text: plural(n, one, many), failure: true });
  };
  if (!r.domainCreated) reasons.push({ text: "domain not created", failure: true });
  count(r.allocFailures, "allocation failure", "allocation failures");
  count(r.mapFailures, "map failure", "map failures");
  count(r.faults, "fault", "faults");
  count(r.translationMismatches, "mismatch", "mismatches");
  count(r.strayDmaWrites, "stray DMA write", "stray DMA writes");
  count(r.dirtyTables, "L2 table handed out with stale entries", "L2 tables handed out with stale entries");
  if (r.tablesAbove4GiB > 0 && !r.capabilities.tablesAbove4GiBAddressable) {
    reasons.push({ text: plural(r.tablesAbove4GiB, "table at or above 4 GiB", "tables at or above 4 GiB"), failure: false });
  }
  return reasons;
}

function byName(a: StrategyResult, b: StrategyResult): number {
  return a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : 0;
}

/** What each result ran (the lab's Comparison); absent for a report read back from JSON. */
export interface RunVariants {
  readonly variants: readonly Variant[];
  readonly switches: VariantSwitches;
}

/**
 * Without `ran`, a result labelled with a bare strategy name is taken to have run under the comparison's
 * own switches, which is how the lab labels them.
 */
export function computeAnswer(report: ComparisonReport, ran?: RunVariants): Answer {
  const results = report.results;
  const reasons = new Map(results.map((r) => [r, disqualifications(r)]));
  const disqualified = results.map((r) => ({ strategy: r.strategy, reasons: reasons.get(r) ?? [] })).filter((d) => d.reasons.length > 0);
  // Best is chosen among merged strategies only; those in the run's own era text win ties, then those that
  // need no table-address extension, so a tie between slab-dma32 and mtk-ttbr-ext goes to slab-dma32.
  const era = isEraName(report.params.era) ? eraProfile(report.params.era) : null;
  const info = (r: StrategyResult) => {
    const name = strategyOf(r, ran);
    return name === null ? null : strategyByName(name);
  };
  const clean = results.filter((r) => (reasons.get(r) ?? []).length === 0);
  const merged = (r: StrategyResult): boolean => info(r)?.provenance.kind === "merged";
  const inEra = (r: StrategyResult): number => (era !== null && info(r)?.existsIn(era) === true ? 0 : 1);
  const needsExt = (r: StrategyResult): number => (info(r)?.capabilities.needsTtbrExt === true ? 1 : 0);
  const eligible = clean
    .filter(merged)
    .sort(
      (a, b) => a.peakHeldBytes - b.peakHeldBytes || inEra(a) - inEra(b) || needsExt(a) - needsExt(b) || a.finalHeldBytes - b.finalHeldBytes || byName(a, b),
    );
  const outsideKernel = clean
    .filter((r) => !merged(r) && info(r) !== null)
    .sort((a, b) => a.peakHeldBytes - b.peakHeldBytes || byName(a, b))
    .map((r) => {
      const p = (info(r) as NonNullable<ReturnType<typeof info>>).provenance as Exclude<Provenance, { kind: "merged" }>;
      return { strategy: r.strategy, provenance: p.kind, peakHeldBytes: r.peakHeldBytes, note: p.kind === "rfc" ? `the RFC ${p.posting} (${p.date})` : p.why };
    });
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

  // The worst one's failures by name; a placement above 4 GiB is a reason, not a failure.
  const mostD = most === null ? undefined : disqualified.find((d) => d.strategy === most.strategy);
  const mostReasons = most === null ? [] : mostD === undefined ? [`${most.count}`] : mostD.reasons.filter((x) => x.failure).map((x) => x.text);
  const best = {
    byBytesHeld,
    byFailures: { fewest, fewestCount, most },
    disqualified: disqualified.map((d) => ({ strategy: d.strategy, reasons: d.reasons.map((x) => x.text) })),
    outsideKernel,
  };
  const bestInfo = first === undefined ? null : info(first);
  const mergedNote = bestInfo !== null && bestInfo.provenance.kind === "merged" && era !== null && !bestInfo.existsIn(era) ? bestInfo.provenance.release : null;
  const where = whereFailed(results);
  const whereText = where === null ? null : whereSentence(where, most?.strategy ?? null);
  const summary = summarise(best, mostReasons, results.length, mergedNote) + (whereText === null ? "" : ` ${whereText}`);
  return { best: { ...best, summary }, predictions: predictions(report, ran), boot: analyseBoot(report), ...(where === null ? {} : { whereFailed: where }) };
}

/** The strategy a result ran: its variant's, or (a report read back from JSON) a label that is a registry name. */
function strategyOf(r: StrategyResult, ran: RunVariants | undefined): string | null {
  const i = ran === undefined ? -1 : ran.variants.findIndex((v) => v.label === r.strategy);
  const name = i >= 0 ? (ran?.variants[i]?.strategy ?? r.strategy) : r.strategy;
  return STRATEGY_NAMES.includes(name) ? name : null;
}

/** "the same (96 KiB)", "12 KiB less (84 KiB)", "4 MiB more (4.02 MiB)" against the best's peak. */
function against(peak: number, best: number): string {
  if (peak === best) return `the same (${bytes(peak)})`;
  return peak < best ? `${bytes(best - peak)} less (${bytes(peak)})` : `${bytes(peak)}`;
}

function summarise(best: Omit<Answer["best"], "summary">, mostReasons: readonly string[], total: number, mergedNote: string | null): string {
  const parts: string[] = [];
  const b = best.byBytesHeld;
  if (total === 0) return "No strategy was run.";
  if (b === null) {
    parts.push(`No merged strategy ran cleanly (each had a failure, a fault, a mismatch or a table at or above 4 GiB), so none is best by bytes held.`);
  } else {
    const ratio = formatRatio(b.peakInUseBytes > 0 ? b.peakHeldBytes / b.peakInUseBytes : null);
    let s = `Best by bytes held: ${b.strategy}${mergedNote === null ? "," : `, merged in ${mergedNote},`} peak ${bytes(b.peakHeldBytes)} held for ${bytes(b.peakInUseBytes)} of live tables (${ratio})`;
    if (b.runnerUp !== null) {
      const diff = b.runnerUp.peakHeldBytes - b.peakHeldBytes;
      s += diff === 0 ? `, tied with ${b.runnerUp.strategy}` : `, ${bytes(diff)} less than ${b.runnerUp.strategy} (${bytes(b.runnerUp.peakHeldBytes)})`;
    }
    parts.push(s + ".");
    // Outside the kernel: what would cost as little or less gets its reason; the rest only a figure.
    const out = best.outsideKernel.map((o) =>
      o.peakHeldBytes <= b.peakHeldBytes
        ? `${o.strategy} (${o.provenance}) would hold ${against(o.peakHeldBytes, b.peakHeldBytes)}; ${o.provenance === "rfc" ? `it was only posted, as ${o.note}` : o.note}`
        : `${o.strategy} (${o.provenance}) ${bytes(o.peakHeldBytes)}`,
    );
    if (out.length > 0) parts.push(`Not in any kernel: ${out.join("; ")}.`);
  }
  const f = best.byFailures;
  const who = f.fewest.length === total ? `all ${total} strategies` : f.fewest.join(", ");
  let s = f.fewestCount === 0 ? `Without failures: ${who}.` : `Fewest failures (${f.fewestCount}): ${who}.`;
  if (f.most !== null) s += ` Most failures: ${f.most.strategy} (${mostReasons.join(", ")}).`;
  parts.push(s);
  return parts.join(" ");
}

/** The result of each strategy run under the comparison's own switches. */
function plainResults(report: ComparisonReport, ran: RunVariants | undefined): Map<string, StrategyResult> {
  const out = new Map<string, StrategyResult>();
  report.results.forEach((r, i) => {
    const v = ran?.variants[i];
    const sw = ran?.switches;
    const plain = v === undefined || sw === undefined ? r.strategy : v.fitCheck === sw.fitCheck && v.domainTiming === sw.domainTiming ? v.strategy : null;
    if (plain !== null && !out.has(plain)) out.set(plain, r);
  });
  return out;
}

function predictions(report: ComparisonReport, ran: RunVariants | undefined): Prediction[] {
  const byStrategy = plainResults(report, ran);
  const era = isEraName(report.params.era) ? eraProfile(report.params.era) : null;
  const out: Prediction[] = [];
  for (const def of PREDICTIONS) {
    const results = def.needs.strategies.map((s) => byStrategy.get(s));
    if (results.some((r) => r === undefined)) continue;
    const e = def.evaluate({ report, results: results as StrategyResult[], era });
    out.push({ id: def.id, text: def.text, source: def.source, holds: e.holds, evidence: e.evidence, figures: e.figures });
  }
  return out;
}
