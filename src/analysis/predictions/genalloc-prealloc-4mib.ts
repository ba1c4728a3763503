// SPDX-License-Identifier: GPL-2.0-only
import { bytes } from "../../core/u32.ts";
import { formatRatio } from "../figures.ts";
import type { PredictionDef } from "../prediction.ts";

const SZ_4M = 4 * 1024 * 1024;

export const genallocPrealloc4MiB: PredictionDef = {
  id: "genalloc-prealloc-holds-4mib",
  text: "genalloc needs the 4 MiB pool allocated up front, and has no way to shrink: it holds at least 4 MiB whatever the load.",
  source: "Nicolas Boichat's summary of the options, 2018-12-04 (option 2)",
  needs: { strategies: ["genalloc-prealloc"] },
  evaluate({ results: [r] }) {
    if (r === undefined) throw new TypeError("genalloc-prealloc-holds-4mib: no result");
    let minHeld = Math.min(r.finalHeldBytes, r.peakHeldBytes);
    for (const s of r.samples) minHeld = Math.min(minHeld, s.heldBytes);
    const holds = minHeld >= SZ_4M;
    const ratio = formatRatio(r.peakInUseBytes > 0 ? r.peakHeldBytes / r.peakInUseBytes : null);
    const over = r.samples.length > 0 ? ` over ${r.samples.length} samples` : "";
    const evidence = holds
      ? `genalloc-prealloc never held less than ${bytes(minHeld)}${over} (peak ${bytes(r.peakHeldBytes)}, final ${bytes(r.finalHeldBytes)}) while at most ${bytes(r.peakInUseBytes)} of tables were live: ${ratio} the memory it needed.`
      : `does not hold here: genalloc-prealloc held as little as ${bytes(minHeld)}${over} (peak ${bytes(r.peakHeldBytes)}, final ${bytes(r.finalHeldBytes)})${r.domainCreated ? "" : "; its domain was not created"}.`;
    return {
      holds,
      evidence,
      figures: { minHeldBytes: minHeld, peakHeldBytes: r.peakHeldBytes, finalHeldBytes: r.finalHeldBytes, peakInUseBytes: r.peakInUseBytes },
    };
  },
};
