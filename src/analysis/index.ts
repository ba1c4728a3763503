// SPDX-License-Identifier: GPL-2.0-only
/** The analysis layer: what a comparison's numbers mean (the best strategy, the 2018 predictions). */
export { computeAnswer, failureCount, type Answer, type RunVariants } from "./answer.ts";
export { formatRatio } from "./figures.ts";
export type { Prediction, PredictionDef, PredictionId } from "./prediction.ts";
export { PREDICTIONS } from "./predictions/index.ts";
export { chartNotes, type ChartNotes } from "./notes.ts";
