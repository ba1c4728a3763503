// SPDX-License-Identifier: GPL-2.0-only
/**
 * A prediction from the 2018 discussion, as data: what it claims, who made it, what it needs from a run
 * (the strategies whose results it compares, the era facts it depends on), and how its verdict follows
 * from the numbers. The analysis only evaluates a prediction whose strategies are all in the run.
 */
import type { Era } from "../core/era.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";

export type PredictionId =
  | "genalloc-prealloc-holds-4mib"
  | "page-frag-holds-more-under-churn"
  | "page-per-table-holds-4x"
  | "legacy-gfp-dma-fails-on-elm-v4.19";

/** A prediction's verdict on one run. */
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

export interface Evidence {
  readonly holds: boolean | null;
  readonly evidence: string;
  readonly figures: Readonly<Record<string, number>>;
}

/** What a prediction is evaluated on: the results of its strategies, in `needs.strategies` order. */
export interface PredictionInput {
  readonly report: ComparisonReport;
  readonly results: readonly StrategyResult[];
  /** The run's era profile, or null when the report names an era this build does not know. */
  readonly era: Era | null;
}

export interface PredictionDef {
  readonly id: PredictionId;
  readonly text: string;
  readonly source: string;
  readonly needs: {
    /** Strategies whose results (under the comparison's own switches) the prediction compares. */
    readonly strategies: readonly string[];
    /** Era profile fields the verdict depends on. */
    readonly eraFacts?: readonly (keyof Era)[];
  };
  evaluate(input: PredictionInput): Evidence;
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "1 table", "3 tables". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
