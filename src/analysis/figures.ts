// SPDX-License-Identifier: GPL-2.0-only
/** How the analysis and the reports write a ratio, so a verdict and a table cell show the same figure. */

export const EN_DASH = "\u2013";

/** e.g. "1.25×"; "–" when there is no ratio (nothing in use). */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return EN_DASH;
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}\u00d7`;
}
