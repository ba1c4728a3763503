// SPDX-License-Identifier: GPL-2.0-only
/**
 * The end-state kernel views a run collects agree with the rest of the run's own accounting: slabinfo
 * with the result's counters, allocinfo sites with the bytes held, ptdump leaves with the hardware walk.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { collectKernelViews, type KernelViewName } from "../../src/lab/kernel-views.ts";
import { scenarioSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec } from "../../src/lab/spec.ts";
import { BUILTIN_SCENARIO_SOURCES } from "../../src/workload/builtin-scenarios.ts";
import { validateScenario } from "../../src/workload/scenario.ts";

const base = BUILTIN_SCENARIO_SOURCES["mt8173-video-playback"] as Record<string, unknown>;
const small = validateScenario({ ...base, name: "short-playback", phases: [{ kind: "boot" }, { kind: "steady", frames: 20 }, { kind: "teardown" }] }, "short");

function runBeforeTeardown(strategy: string, era = "v4.19") {
  const machine: MachineSpec = { platform: "mt8173-elm-4g", era, cpus: null, seed: 1, background: "typical", backgroundChurn: 0 };
  return runExperimentSync({ machine, variant: variant(strategy) }, scenarioSource(small, 1), { until: { kind: "before-phase", phase: "teardown" } });
}

describe("kernel views of the end state", () => {
  it("slab-dma32: the L2 cache's slabinfo, allocinfo sites that add up to the bytes held", () => {
    const { system, result } = runBeforeTeardown("slab-dma32");
    const v = collectKernelViews(system);
    assert.deepEqual(v.slabinfo, [result.kernelCounters.slabinfo]);
    const slab = v.slabinfo[0];
    assert.ok(slab !== undefined && slab.name === "io-pgtable_armv7s_l2");
    const site = (func: string) => v.allocinfo.find((s) => s.func === func);
    assert.deepEqual(site("__get_free_pages"), { bytes: 16384, calls: 1, file: "drivers/iommu/io-pgtable-arm-v7s.c", line: 0, func: "__get_free_pages" });
    assert.equal(site("kmem_cache_zalloc")?.calls, result.l2Tables);
    assert.equal(site("kmem_cache_zalloc")?.bytes, result.l2Tables * 1024);
    assert.equal(site("allocate_slab")?.bytes, slab.numSlabs * slab.pagesPerSlab * 4096);
    assert.equal(site("allocate_slab")?.calls, slab.numSlabs);
    // The page-level sites (L1 pages, slab pages) are what the strategy holds from the buddy.
    assert.equal((site("__get_free_pages")?.bytes ?? 0) + (site("allocate_slab")?.bytes ?? 0), result.finalHeldBytes);
  });

  it("genalloc-prealloc and page-frag: the pages behind the pool and the fragments", () => {
    for (const [strategy, func] of [
      ["genalloc-prealloc", "gen_pool_add"],
      ["page-frag", "__page_frag_cache_refill"],
    ] as const) {
      const { system, result } = runBeforeTeardown(strategy);
      const v = collectKernelViews(system);
      assert.deepEqual(v.slabinfo, [], strategy);
      const backing = v.allocinfo.find((s) => s.func === func);
      assert.ok(backing !== undefined && backing.calls > 0, `${strategy}: ${func}`);
      const l1 = v.allocinfo.find((s) => s.func === "__get_free_pages")?.bytes ?? 0;
      assert.equal(l1 + backing.bytes, result.finalHeldBytes, strategy);
    }
  });

  it("zones by their kernel names; the 6.x lines only in eras that print them", () => {
    const old = collectKernelViews(runBeforeTeardown("slab-dma32", "v4.19").system);
    assert.deepEqual(
      old.zones.map((z) => z.name),
      ["DMA32", "Normal"],
    );
    assert.ok(old.zones.every((z) => z.boost === null && z.promo === null && z.cma === null));
    const buddy = runBeforeTeardown("slab-dma32", "v4.19").system.km.buddy;
    assert.deepEqual(old.zones[0]?.freeByOrder, buddy.freeCounts("DMA32"));
    const v66 = collectKernelViews(runBeforeTeardown("slab-dma32", "v6.6").system);
    for (const z of v66.zones) {
      assert.equal(z.boost, 0);
      assert.equal(z.promo, z.high + (z.high - z.low));
      assert.equal(z.cma, 0);
    }
  });

  it("ptdump leaves are what the hardware walk reaches, and cover the live mappings", () => {
    const { system } = runBeforeTeardown("slab-dma32");
    const v = collectKernelViews(system);
    assert.ok(v.ptdump.length > 0);
    for (const leaf of v.ptdump) {
      const hw = system.m4u.probe(leaf.iova);
      assert.ok(hw.ok && hw.pa === leaf.pa && hw.pageSize === leaf.bytes, `leaf at 0x${leaf.iova.toString(16)}`);
    }
    const d = system.domain;
    assert.ok(d.ok);
    // Every mapped 4 KiB page lies in exactly one leaf.
    const mapped = v.ptdump.reduce((n, l) => n + l.bytes, 0);
    let pages = 0;
    for (let i = 0; i < 4096; i++) {
      const pte = d.domain.table.readL1(i);
      if (pte === 0) continue;
      for (let j = 0; j < 256; j++) if (system.m4u.probe(i * 0x100000 + j * 0x1000).ok) pages++;
    }
    assert.equal(mapped, pages * 4096);
  });
});

describe("kernel views collected as the command asks", () => {
  it("a run told which views it shows collects those (zones for buddyinfo and zoneinfo) and they equal the full collection's", () => {
    const machine: MachineSpec = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", backgroundChurn: 0 };
    const run = (views?: readonly KernelViewName[]) =>
      runExperimentSync({ machine, variant: variant("genalloc-prealloc") }, scenarioSource(small, 1), views === undefined ? {} : { views });
    const all = run().result.kernelViews;
    assert.deepEqual(Object.keys(all ?? {}).sort(), ["allocinfo", "ptdump", "slabinfo", "zones"]);
    assert.deepEqual(run([]).result.kernelViews, {});
    assert.deepEqual(run(["buddyinfo"]).result.kernelViews, { zones: all?.zones });
    assert.deepEqual(run(["ptdump", "slabinfo"]).result.kernelViews, { slabinfo: all?.slabinfo, ptdump: all?.ptdump });
  });
});
