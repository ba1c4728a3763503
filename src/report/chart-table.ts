// SPDX-License-Identifier: GPL-2.0-only
/**
 * The data behind a chart as a plain table, printed under it in the HTML. Each cell names the JSON
 * field it shows (relative to the strategy's result, or to the item the row stands for) and its exact
 * value, so a reader's script or the browser test can check the chart against the JSON.
 */

export interface ChartCell {
  /** JSON field, e.g. "peakHeldBytes", "l2Occupancy.3", "pa". */
  readonly field: string;
  /** Exact value as the JSON has it; null for a cell that only labels the row. */
  readonly value: number | string | null;
  readonly text: string;
  /** Computed from JSON fields rather than copied from one (an end address, a count of 1). */
  readonly derived?: boolean;
}

export interface ChartRow {
  readonly strategy: string;
  /** What the row stands for, when not the strategy as a whole: "sample", "live", "freed-bin". */
  readonly kind?: string;
  readonly cells: readonly ChartCell[];
}

export interface ChartTable {
  readonly summary: string;
  readonly headers: readonly { readonly label: string; readonly numeric: boolean }[];
  readonly rows: readonly ChartRow[];
}
