// SPDX-License-Identifier: GPL-2.0-only
/** Run times of systems sharing one source: each its own share, together no more than the whole. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperiments } from "../../src/lab/experiment.ts";
import { scenarioSource } from "../../src/lab/source.ts";
import { DEFAULT_MACHINE, variant } from "../../src/lab/spec.ts";
import { builtinScenario } from "../../src/workload/builtin-scenarios.ts";

describe("runExperiments: run time per shared system", () => {
  it("each system's runTimeMs is its own work; they add up to at most the wall time", async () => {
    let now = 0;
    // A clock that advances 1 ms per reading: every reading is a distinct instant, so shares are exact sums.
    const clock = (): number => ++now;
    const specs = ["slab-dma32", "page-frag", "genalloc-grow"].map((s) => ({ machine: DEFAULT_MACHINE, variant: variant(s) }));
    const start = clock();
    const runs = await runExperiments(specs, scenarioSource(builtinScenario("mt8173-video-playback"), DEFAULT_MACHINE.seed), { clock });
    const wall = clock() - start;
    const times = runs.map((r) => r.result.runTimeMs ?? -1);
    for (const t of times) assert.ok(t > 0);
    assert.ok(times.reduce((a, b) => a + b, 0) < wall);
  });
});
