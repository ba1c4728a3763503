// SPDX-License-Identifier: GPL-2.0-only
import { SZ_4G } from "../../core/u32.ts";
import { plural, type PredictionDef } from "../prediction.ts";

export const legacyGfpDmaFailsOnElm: PredictionDef = {
  id: "legacy-gfp-dma-fails-on-elm-v4.19",
  text: "legacy GFP_DMA tables (v4.16-v4.19 arm64) land above 4 GiB on a 4 GiB MT8173 elm, and map calls fail.",
  source: "The regression report in the v2 cover letter; stable@ note of 6d6ea1e967a2 (confirmed on 4.19 on MT8173 elm)",
  // GFP_DMA is unbounded only where arm64 has no ZONE_DMA below ZONE_DMA32 (the era's zone layout).
  needs: { strategies: ["legacy-gfp-dma"], eraFacts: ["zones"] },
  evaluate({ report, results: [r], era }) {
    if (r === undefined) throw new TypeError("legacy-gfp-dma-fails-on-elm-v4.19: no result");
    const figures = {
      mapCalls: r.mapCalls,
      mapFailures: r.mapFailures,
      allocFailures: r.allocFailures,
      tablesAbove4GiB: r.tablesAbove4GiB,
      strayDmaWrites: r.strayDmaWrites,
    };
    const failed = r.mapFailures > 0 || r.tablesAbove4GiB > 0 || !r.domainCreated;
    const parts = r.domainCreated
      ? [
          `${r.mapFailures} of ${r.mapCalls} map calls failed`,
          `${plural(r.tablesAbove4GiB, "table", "tables")} landed at or above 4 GiB`,
          `${plural(r.allocFailures, "table allocation", "table allocations")} failed`,
        ]
      : [`the domain was not created (${plural(r.tablesAbove4GiB, "table", "tables")} at or above 4 GiB), so no map call could succeed`];
    if (r.faults > 0) parts.push(plural(r.faults, "fault", "faults"));
    if (r.strayDmaWrites > 0) parts.push(`${plural(r.strayDmaWrites, "device write", "device writes")} went astray`);
    const what = parts.join(", ");
    const highRam = report.platform.ram.some((b) => b.end > SZ_4G);
    const gfpDmaUnbounded = era !== null && era.zones === "dma32-only";
    const p = report.params;
    if (!highRam || !gfpDmaUnbounded) {
      const why = !gfpDmaUnbounded
        ? `${p.era} is not a v4.16-v5.4 kernel, where GFP_DMA falls to ZONE_NORMAL on arm64`
        : `${report.platform.name} has no RAM above 4 GiB`;
      return { holds: null, evidence: `not tested: ${why} (here: ${what}).`, figures };
    }
    const evidence = failed ? `On ${report.platform.name} with ${p.era}: ${what}.` : `does not hold here: on ${report.platform.name} with ${p.era}, ${what}.`;
    return { holds: failed, evidence, figures };
  },
};
