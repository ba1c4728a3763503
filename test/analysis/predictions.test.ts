// SPDX-License-Identifier: GPL-2.0-only
/** Predictions declare what they need, and the answer evaluates each one only on results that fit. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeAnswer } from "../../src/analysis/answer.ts";
import { PREDICTIONS } from "../../src/analysis/predictions/index.ts";
import { DEFAULT_SWITCHES, variant } from "../../src/lab/spec.ts";
import { ERA_NAMES, era } from "../../src/core/era.ts";
import { STRATEGY_NAMES } from "../../src/strategies/index.ts";
import { fixtureReport } from "../fixtures/report.ts";

describe("prediction definitions", () => {
  it("name only registry strategies and real era fields, with unique ids", () => {
    assert.equal(new Set(PREDICTIONS.map((p) => p.id)).size, PREDICTIONS.length);
    const fields = Object.keys(era(ERA_NAMES[0] ?? "v4.19"));
    for (const p of PREDICTIONS) {
      for (const s of p.needs.strategies) assert.ok(STRATEGY_NAMES.includes(s), `${p.id} needs unknown strategy ${s}`);
      for (const f of p.needs.eraFacts ?? []) assert.ok(fields.includes(f), `${p.id} needs unknown era field ${String(f)}`);
    }
  });
});

describe("computeAnswer with the run's variants", () => {
  it("evaluates a prediction only on a result run under the comparison's own switches", () => {
    const report = fixtureReport();
    const plain = report.results.map((r) => variant(r.strategy));
    const all = computeAnswer(report, { variants: plain, switches: DEFAULT_SWITCHES }).predictions.map((p) => p.id);
    assert.deepEqual(
      all,
      computeAnswer(report).predictions.map((p) => p.id),
      "labels and typed variants agree",
    );
    // The same results, but legacy-gfp-dma's ran with the fit check off: its prediction is not evaluated on it.
    const off = report.results.map((r) => variant(r.strategy, r.strategy === "legacy-gfp-dma" ? { fitCheck: false } : {}));
    const ids = computeAnswer(report, { variants: off, switches: DEFAULT_SWITCHES }).predictions.map((p) => p.id);
    assert.deepEqual(
      ids,
      all.filter((id) => id !== "legacy-gfp-dma-fails-on-elm-v4.19"),
    );
  });
});
