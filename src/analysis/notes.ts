// SPDX-License-Identifier: GPL-2.0-only
/**
 * Sentences the report prints beside its charts that read the figures in terms of particular strategies.
 * They live here because report/ renders what it is given and names no strategy.
 */
export interface ChartNotes {
  /** Under the L2 occupancy chart: what a sparse or empty table still costs. */
  readonly l2TableCost: string;
}

export function chartNotes(): ChartNotes {
  return { l2TableCost: "A table with few entries still costs 1 KiB (4 KiB with page-per-table), and an empty one stays allocated" };
}
