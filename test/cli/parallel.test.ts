// SPDX-License-Identifier: GPL-2.0-only
/** The pool's fan-out: grouped runs over one read of the source give each run's own result. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DEFAULT_MACHINE, variant } from "../../src/lab/spec.ts";
import type { StrategyResult } from "../../src/lab/types.ts";
import { RunPool } from "../../src/cli/parallel.ts";
import { runJob } from "../../src/cli/strategy-runner.ts";
import type { WorkloadSource } from "../../src/cli/options.ts";
import { generateTraceText } from "../../src/workload/trace-gen.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-pool-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STRATEGIES = ["legacy-gfp-dma", "slab-dma32", "page-frag", "mtk-ttbr-ext", "genalloc-grow"];
const untimed = (r: StrategyResult): StrategyResult => ({ ...r, runTimeMs: null });

async function pooled(lanes: number, source: WorkloadSource, machines = [DEFAULT_MACHINE]): Promise<StrategyResult[]> {
  const specs = machines.flatMap((machine) => STRATEGIES.map((s) => ({ machine, variant: variant(s) })));
  const pool = new RunPool(lanes, specs.length, source, { fanOut: true });
  try {
    return (await Promise.all(specs.map((s) => pool.run(s)))).map(untimed);
  } finally {
    await pool.close();
  }
}

async function alone(source: WorkloadSource, machines = [DEFAULT_MACHINE]): Promise<StrategyResult[]> {
  const out: StrategyResult[] = [];
  for (const machine of machines) for (const s of STRATEGIES) out.push(untimed(await runJob({ spec: { machine, variant: variant(s) }, source })));
  return out;
}

describe("RunPool fanOut", () => {
  it("a trace: two worker lanes, one parse each, the same results as separate runs", async () => {
    const path = join(dir, "t.trace");
    writeFileSync(path, generateTraceText({ events: 3000, seed: 5 }));
    const source: WorkloadSource = { kind: "trace", path, skipMalformed: false };
    assert.deepEqual(await pooled(2, source), await alone(source));
  });

  it("a scenario in this thread (one lane), machines kept apart (each its own seed)", async () => {
    const source: WorkloadSource = { kind: "builtin", name: "mt8173-video-playback" };
    const machines = [DEFAULT_MACHINE, { ...DEFAULT_MACHINE, seed: 7 }];
    assert.deepEqual(await pooled(1, source, machines), await alone(source, machines));
  });
});
