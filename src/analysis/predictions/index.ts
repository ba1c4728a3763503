// SPDX-License-Identifier: GPL-2.0-only
/** The 2018 predictions, in the order the answer lists them. A new prediction is one file and one line here. */
import type { PredictionDef } from "../prediction.ts";
import { genallocPrealloc4MiB } from "./genalloc-prealloc-4mib.ts";
import { legacyGfpDmaFailsOnElm } from "./legacy-gfp-dma-elm.ts";
import { pageFragUnderChurn } from "./page-frag-churn.ts";
import { pagePerTable4x } from "./page-per-table-4x.ts";

export const PREDICTIONS: readonly PredictionDef[] = [genallocPrealloc4MiB, pageFragUnderChurn, pagePerTable4x, legacyGfpDmaFailsOnElm];
