// SPDX-License-Identifier: GPL-2.0-only
import { bytes } from "../../core/u32.ts";
import { L2_TABLE_BYTES } from "../../pgtable/format.ts";
import { formatRatio } from "../figures.ts";
import { capitalise, type PredictionDef } from "../prediction.ts";

export const pagePerTable4x: PredictionDef = {
  id: "page-per-table-holds-4x",
  text: "A full 4 KiB page per 1 KiB L2 table (what iommu-pages would give v7s) holds about four times the L2 bytes in use.",
  source: "Worst case in the v3 page_frag RFC (16 MB for 4 MB of L2 tables); iommu-pages rounds sub-page sizes up to a page",
  needs: { strategies: ["page-per-table"] },
  evaluate({ results: [r] }) {
    if (r === undefined) throw new TypeError("page-per-table-holds-4x: no result");
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
    if (live === 0) return { holds: null, evidence: "not tested: no L2 table was live at any sample.", figures };
    const ratio = l2Held / l2InUse;
    const holds = ratio >= 3.5 && ratio <= 4.5;
    const body = `with ${live} live L2 tables page-per-table held ${bytes(l2Held)} for ${bytes(l2InUse)} of L2 tables (${formatRatio(ratio)}); ${formatRatio(inUse > 0 ? held / inUse : null)} counting the ${bytes(l1)} L1.`;
    return { holds, evidence: holds ? capitalise(body) : `does not hold here: ${body}`, figures };
  },
};
