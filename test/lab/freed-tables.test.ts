// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FreedTables, MAX_FREED_BINS } from "../../src/lab/freed-tables.ts";
import { bootSystem } from "../../src/lab/system.ts";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { scenarioSource } from "../../src/lab/source.ts";
import { DEFAULT_MACHINE, variant } from "../../src/lab/spec.ts";
import { builtinScenario } from "../../src/workload/builtin-scenarios.ts";

const MiB = 1 << 20;

describe("FreedTables: the bounded summary of freed tables", () => {
  it("bins by 1 MiB and zone, in address order, with exact totals", () => {
    const f = new FreedTables();
    f.add(0x4010_0400, 1024, "DMA32");
    f.add(0x4010_0000, 1024, "DMA32");
    f.add(0x4000_0000, 16384, "DMA32");
    f.add(0x1_0000_0000, 1024, "NORMAL");
    const s = f.summary();
    assert.deepEqual(s, {
      count: 4,
      bytes: 19456,
      above4GiB: 1,
      binBytes: MiB,
      bins: [
        { start: 0x4000_0000, end: 0x4010_0000, zone: "DMA32", count: 1, bytes: 16384 },
        { start: 0x4010_0000, end: 0x4020_0000, zone: "DMA32", count: 2, bytes: 2048 },
        { start: 0x1_0000_0000, end: 0x1_0010_0000, zone: "NORMAL", count: 1, bytes: 1024 },
      ],
      l1: [],
    });
  });

  it("doubles the bin width until at most 512 bins, keeping every count (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 35 / 1024 - 1 }), { maxLength: 3000 }), (slots) => {
        const f = new FreedTables();
        for (const s of slots) f.add(s * 1024, 1024, s * 1024 >= 2 ** 32 ? "NORMAL" : "DMA32");
        const sum = f.summary();
        assert.ok(sum.bins.length <= MAX_FREED_BINS + 1);
        assert.equal(
          sum.bins.reduce((a, b) => a + b.count, 0),
          slots.length,
        );
        let prev = -1;
        for (const b of sum.bins) {
          assert.equal(b.start % sum.binBytes, 0);
          assert.equal(b.end - b.start, sum.binBytes);
          assert.ok(prev <= b.start);
          prev = b.start;
        }
        if (sum.binBytes > MiB) assert.ok(f.summary().bins.length > 0);
      }),
      { numRuns: 60 },
    );
  });

  it("a run's tables are the live ones; its freed summary counts the rest", () => {
    const scenario = builtinScenario("mt8173-video-playback");
    const spec = { machine: DEFAULT_MACHINE, variant: variant("slab-dma32") };
    const { result } = runExperimentSync(bootSystem(spec), scenarioSource(scenario, DEFAULT_MACHINE.seed));
    assert.ok(result.tables.every((t) => t.live));
    assert.equal(result.tables.filter((t) => t.level === 2).length, result.l2Tables);
    assert.equal(result.freedTables.count, result.l2TablesFreed);
    const above = result.tables.filter((t) => t.pa >= 2 ** 32).length + result.freedTables.above4GiB;
    assert.equal(above, result.tablesAbove4GiB);
  });
});
