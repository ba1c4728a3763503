// SPDX-License-Identifier: GPL-2.0-only
/**
 * The main job's claims, on the built-in default (MT8173 elm with 4 GiB, Linux v4.19, typical background
 * load, mt8173-video-playback): the regressed allocator fails, every fix works, the hardware walk of
 * every mapped IOVA equals iova_to_phys and the intended PA, and the costs the 2018 thread predicted.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { scenarioSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec } from "../../src/lab/spec.ts";
import type { StrategyResult } from "../../src/lab/types.ts";
import { builtinScenario, DEFAULT_SCENARIO } from "../../src/workload/builtin-scenarios.ts";

const scenario = builtinScenario(DEFAULT_SCENARIO);
const v419: MachineSpec = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", backgroundChurn: 0 };
const FIXES = ["slab-dma32", "genalloc-prealloc", "genalloc-grow", "page-frag", "kzalloc-dma32", "page-per-table"];
const SZ_4M = 4 * 1024 * 1024;
const L1 = 16 * 1024;

function run(machine: MachineSpec, strategy: string, fitCheck = true): StrategyResult {
  return runExperimentSync({ machine, variant: variant(strategy, { fitCheck }) }, scenarioSource(scenario, machine.seed)).result;
}

describe("the MT8173 regression and its fixes on elm, v4.19", () => {
  const r = new Map<string, StrategyResult>();
  before(() => {
    for (const s of ["legacy-gfp-dma", ...FIXES]) r.set(s, run(v419, s));
    r.set("legacy-nofit", run(v419, "legacy-gfp-dma", false));
  });
  const get = (s: string): StrategyResult => r.get(s) ?? assert.fail(`no result for ${s}`);

  it("legacy-gfp-dma puts a table above 4 GiB and the kernel refuses it", () => {
    const legacy = get("legacy-gfp-dma");
    assert.ok(legacy.tablesAbove4GiB >= 1);
    assert.ok(!legacy.domainCreated || legacy.mapFailures > 0, "the regression must show as a refused domain or failed maps");
    assert.ok(
      legacy.messages.some((m) => m.text.includes("Page table does not fit in PTE")),
      JSON.stringify(legacy.messages),
    );
  });

  it("without the fit check the hardware follows truncated pointers: faults, wrong translations", () => {
    const nofit = get("legacy-nofit");
    assert.equal(nofit.domainCreated, true);
    assert.ok(nofit.tablesAbove4GiB >= 1);
    assert.ok(nofit.faults + nofit.strayDmaWrites > 0, `faults ${nofit.faults}, stray ${nofit.strayDmaWrites}`);
    assert.ok(nofit.translationMismatches > 0);
  });

  for (const s of FIXES) {
    it(`${s}: no failures, every table below 4 GiB, every mapped IOVA walks to the intended PA`, () => {
      const x = get(s);
      assert.equal(x.domainCreated, true);
      assert.ok(x.mapCalls > 1000, `${x.mapCalls} map calls`);
      assert.deepEqual(
        {
          mapFailures: x.mapFailures,
          allocFailures: x.allocFailures,
          tablesAbove4GiB: x.tablesAbove4GiB,
          faults: x.faults,
          mismatches: x.translationMismatches,
          stray: x.strayDmaWrites,
        },
        { mapFailures: 0, allocFailures: 0, tablesAbove4GiB: 0, faults: 0, mismatches: 0, stray: 0 },
      );
      assert.ok(x.tables.every((t) => t.pa + t.bytes <= 2 ** 32));
    });
  }

  it("every fix maps the same workload to the same tables: live L2 tables agree", () => {
    const live = new Set(FIXES.map((s) => get(s).l2Tables));
    assert.equal(live.size, 1, [...live].join(", "));
  });

  it("genalloc-prealloc holds at least 4 MiB from domain creation to the end", () => {
    const g = get("genalloc-prealloc");
    assert.ok(
      g.samples.every((smp) => smp.heldBytes >= SZ_4M),
      "a sample below 4 MiB",
    );
    assert.ok(g.finalHeldBytes >= SZ_4M + L1);
  });

  it("under churn page-frag holds more than slab-dma32 for the same live tables", () => {
    const frag = get("page-frag");
    const slab = get("slab-dma32");
    assert.equal(frag.finalInUseBytes, slab.finalInUseBytes);
    assert.ok(frag.finalHeldBytes > 2 * slab.finalHeldBytes, `${frag.finalHeldBytes} vs ${slab.finalHeldBytes}`);
  });

  it("page-per-table holds four times the L2 bytes in use", () => {
    const p = get("page-per-table");
    assert.equal((p.finalHeldBytes - L1) / (p.finalInUseBytes - L1), 4);
  });

  it("slab-dma32 shows its cache in slabinfo: 16 objects of 1 KiB per 4-page slab with 4 CPUs", () => {
    const slab = get("slab-dma32").kernelCounters.slabinfo;
    assert.ok(slab !== null);
    assert.equal(slab.objPerSlab, 16);
    assert.equal(slab.pagesPerSlab, 4);
    assert.equal(slab.objSize, 1024);
  });
});

describe("mtk-ttbr-ext", () => {
  it("does not exist in v4.19: the domain is not created, and the report says why", () => {
    const x = run(v419, "mtk-ttbr-ext");
    assert.equal(x.domainCreated, false);
    assert.ok(x.messages.some((m) => m.text.includes("MTK_TTBR_EXT does not exist")));
  });

  it("in the latest era it follows tables above 4 GiB through the extension, with no mismatch", () => {
    const x = run({ ...v419, era: "latest" }, "mtk-ttbr-ext");
    assert.equal(x.domainCreated, true);
    assert.ok(x.tablesAbove4GiB >= 1);
    assert.deepEqual([x.mapFailures, x.faults, x.translationMismatches], [0, 0, 0]);
  });
});

describe("determinism", () => {
  it("the same seed gives the same result, byte for byte", () => {
    const a = JSON.stringify(run(v419, "page-frag"));
    const b = JSON.stringify(run(v419, "page-frag"));
    assert.equal(a, b);
  });

  it("another seed gives another workload", () => {
    const a = run(v419, "slab-dma32");
    const b = run({ ...v419, seed: 2 }, "slab-dma32");
    assert.notDeepEqual(a.samples, b.samples);
  });
});
