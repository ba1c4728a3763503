// SPDX-License-Identifier: GPL-2.0-only
import { bytes } from "../../core/u32.ts";
import { formatRatio } from "../figures.ts";
import { capitalise, type PredictionDef } from "../prediction.ts";

export const pageFragUnderChurn: PredictionDef = {
  id: "page-frag-holds-more-under-churn",
  text: "page_frag: fragments in partially freed pages cannot be reused, so under churn it holds more than the slab cache.",
  source: "Nicolas Boichat's summary, 2018-12-04 (option 3); the v3 page_frag RFC's commit text",
  needs: { strategies: ["page-frag", "slab-dma32"] },
  evaluate({ results: [frag, slab] }) {
    if (frag === undefined || slab === undefined) throw new TypeError("page-frag-holds-more-under-churn: missing results");
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
    return { holds, evidence: holds ? capitalise(body) : `does not hold here: ${body}`, figures };
  },
};
