// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel views a report carries (--views): which to keep in the JSON, and each as the kernel's text
 * (kernel-views.ts) for the terminal, mail text and Markdown, one section per strategy and view.
 */
import { KERNEL_VIEW_NAMES, type KernelViewName, type KernelViews } from "../lab/kernel-views.ts";
import type { ComparisonReport, StrategyResult } from "../lab/types.ts";
import { allocinfoText, buddyinfoText, ptdumpText, slabinfoText, zoneinfoText } from "./kernel-views.ts";
import type { ExtraSection } from "./mail.ts";

export { KERNEL_VIEW_NAMES, type KernelViewName };

/** The report with only the asked views in each result (none: no `kernelViews` at all). */
export function selectKernelViews(report: ComparisonReport, views: readonly KernelViewName[]): ComparisonReport {
  const want = new Set(views);
  const keep = (v: Partial<KernelViews> | undefined): Partial<KernelViews> | undefined => {
    if (v === undefined || want.size === 0) return undefined;
    const out: { -readonly [K in keyof KernelViews]?: KernelViews[K] } = {};
    if (want.has("slabinfo") && v.slabinfo !== undefined) out.slabinfo = v.slabinfo;
    if ((want.has("zoneinfo") || want.has("buddyinfo")) && v.zones !== undefined) out.zones = v.zones;
    if (want.has("allocinfo") && v.allocinfo !== undefined) out.allocinfo = v.allocinfo;
    if (want.has("ptdump") && v.ptdump !== undefined) out.ptdump = v.ptdump;
    return out;
  };
  return {
    ...report,
    results: report.results.map((r) => {
      const { kernelViews, ...rest } = r;
      const k = keep(kernelViews);
      return k === undefined ? rest : { ...rest, kernelViews: k };
    }),
  };
}

function viewText(r: StrategyResult, view: KernelViewName): string | null {
  const v = r.kernelViews;
  if (v === undefined) return null;
  switch (view) {
    case "slabinfo":
      return v.slabinfo === undefined ? null : v.slabinfo.length === 0 ? "(no slab cache)\n" : slabinfoText(v.slabinfo);
    case "buddyinfo":
      return v.zones === undefined ? null : buddyinfoText(v.zones.filter((z) => z.managed > 0));
    case "zoneinfo":
      return v.zones === undefined ? null : zoneinfoText(v.zones);
    case "allocinfo":
      return v.allocinfo === undefined ? null : allocinfoText(v.allocinfo);
    case "ptdump":
      return v.ptdump === undefined ? null : ptdumpText(v.ptdump);
  }
}

/** One section per strategy and asked view, in the order asked. */
export function kernelViewSections(report: ComparisonReport, views: readonly KernelViewName[]): ExtraSection[] {
  const out: ExtraSection[] = [];
  for (const view of views) {
    for (const r of report.results) {
      const text = viewText(r, view);
      if (text !== null) out.push({ title: `${r.strategy}: ${view}`, text });
    }
  }
  return out;
}
