// SPDX-License-Identifier: GPL-2.0-only
/**
 * A hazard of the v3 page_frag RFC the model finds: v7s frees an L2 table with its entries still in it
 * (an L1-granular unmap clears only the L1 slot), and page_frag recycles a fully freed page without
 * zeroing it, __GFP_ZERO or not. The next table from that page then carries live-looking PTEs: maps into
 * those slots fail with -EEXIST, and IOVAs nobody mapped translate to the old buffer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { eventListSource, scenarioSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec } from "../../src/lab/spec.ts";
import type { WorkloadEvent } from "../../src/workload/events.ts";
import { builtinScenario } from "../../src/workload/builtin-scenarios.ts";

const SZ_1M = 0x10_0000;
const machine: MachineSpec = { platform: "mt8173-elm-4g", era: "latest", cpus: null, seed: 1, background: "none", backgroundChurn: 0 };

/** 32 MiB-apart 4K maps fill one 32 KiB page_frag page with 32 tables; 1 MiB unmaps free them all. */
function recycle(strategy: string): { dirty: number; translation: number | null; sw: number } {
  const events: WorkloadEvent[] = [];
  for (let k = 0; k < 32; k++) events.push({ type: "iommuMap", iova: 0x1000_0000 + k * SZ_1M, paddr: 0x5000_0000 + k * SZ_1M, size: 0x1000, line: 0 });
  for (let k = 0; k < 32; k++) events.push({ type: "iommuUnmap", iova: 0x1000_0000 + k * SZ_1M, size: SZ_1M, unmappedSize: SZ_1M, line: 0 });
  // A fresh MiB; its table is the 33rd allocation. Map its second page only.
  events.push({ type: "iommuMap", iova: 0x2000_1000, paddr: 0x6000_0000, size: 0x1000, line: 0 });
  const { system, result } = runExperimentSync({ machine, variant: variant(strategy) }, eventListSource(events));
  const hw = system.m4u.probe(0x2000_0000);
  return { dirty: result.dirtyTables, translation: hw.ok ? hw.pa : null, sw: system.domain.ok ? system.domain.domain.iovaToPhys(0x2000_0000) : -1 };
}

describe("page_frag hands back freed tables' PTEs", () => {
  it("page-frag: the recycled page's table still maps the first buffer at an IOVA nobody mapped", () => {
    const r = recycle("page-frag");
    assert.equal(r.dirty, 1);
    assert.equal(r.translation, 0x5000_0000, "the hardware walks the stale entry");
    assert.equal(r.sw, 0x5000_0000, "and iova_to_phys agrees with it");
  });

  it("slab-dma32 zeroes every table it hands out: the same IOVA faults", () => {
    const r = recycle("slab-dma32");
    assert.deepEqual(r, { dirty: 0, translation: null, sw: 0 });
  });

  it("the page-frag-recycling scenario turns it into map failures for page-frag only", () => {
    // A booted system's pages are scattered, so the scatterlist stays 256 separate 4 KiB pages (on an
    // empty buddy they come out contiguous and iommu_map_sg merges them into one 1 MiB section).
    const sc = builtinScenario("page-frag-recycling");
    const booted: MachineSpec = { ...machine, background: "typical", seed: sc.seed };
    const frag = runExperimentSync({ machine: booted, variant: variant("page-frag") }, scenarioSource(sc, sc.seed)).result;
    const slab = runExperimentSync({ machine: booted, variant: variant("slab-dma32") }, scenarioSource(sc, sc.seed)).result;
    assert.ok(frag.dirtyTables > 0 && frag.mapFailures > 0, `dirty ${frag.dirtyTables}, map failures ${frag.mapFailures}`);
    assert.ok(
      frag.messages.some((m) => m.text.includes("handed out holding 256 non-zero entries")),
      JSON.stringify(frag.messages),
    );
    assert.deepEqual([slab.dirtyTables, slab.mapFailures], [0, 0]);
  });
});
