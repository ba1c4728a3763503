// SPDX-License-Identifier: GPL-2.0-only
/**
 * The boot timeline and mtk_iommu's retry as a run reports them (results[].boot, results[].domainProbe,
 * answer.boot), on mt8173-elm-4g v4.19: the legacy GFP_DMA L1 is allocated at device probe, before the
 * background load, above 4 GiB whatever the load; after the load it falls back to ZONE_DMA32.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyseBoot } from "../../src/analysis/boot.ts";
import { buildReport } from "../../src/lab/compare.ts";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { eventListSource } from "../../src/lab/source.ts";
import { DEFAULT_SWITCHES, variant, type DomainTiming, type MachineSpec } from "../../src/lab/spec.ts";
import type { StrategyResult } from "../../src/lab/types.ts";
import { BACKGROUND_PRESETS, type BackgroundPreset } from "../../src/mm/background.ts";

const machine = (background: BackgroundPreset): MachineSpec => ({
  platform: "mt8173-elm-4g",
  era: "v4.19",
  cpus: null,
  seed: 1,
  background,
  backgroundChurn: 0,
});

function run(strategy: string, background: BackgroundPreset, domainTiming: DomainTiming): StrategyResult {
  return runExperimentSync({ machine: machine(background), variant: variant(strategy, { domainTiming }) }, eventListSource([])).result;
}

const probeStep = (r: StrategyResult) => {
  const s = r.boot.find((x) => x.step === "device-probe");
  assert.ok(s !== undefined, "no device-probe step");
  return s;
};

describe("boot timeline in the result", () => {
  it("default (at-probe): the legacy L1 is allocated at step 2, before the background, above 4 GiB for every preset; all 14 attempts fail", () => {
    for (const preset of BACKGROUND_PRESETS) {
      const r = run("legacy-gfp-dma", preset, DEFAULT_SWITCHES.domainTiming);
      assert.deepEqual(
        r.boot.map((s) => s.step),
        ["memblock", "buddy", "device-probe", "background", "workload"],
        preset,
      );
      const l1s = probeStep(r).allocated.filter((a) => a.what === "io-pgtable-arm-v7s:l1");
      assert.equal(l1s.length, 14, preset);
      assert.ok(
        l1s.every((a) => a.where === 0x1_3bc0_0000 && a.zone === "NORMAL" && a.requestedZone === "NORMAL" && a.freed),
        preset,
      );
      assert.deepEqual(
        [r.domainProbe?.attempts, r.domainProbe?.failures, r.domainProbe?.succeeded, r.domainProbe?.withoutIommu.length],
        [14, 14, false, 14],
        preset,
      );
      assert.equal(r.messages[0]?.text, "mtk-iommu 10205000.iommu: Failed to alloc io pgtable");
      assert.equal(r.messages[0]?.count, 14);
      assert.equal(r.messages[1]?.text, "Failed to set up IOMMU for device 14001000.rdma; retaining platform DMA ops");
    }
  });

  it("memblock: the memmap at the top of RAM and swiotlb at the top of DMA32, the same for every strategy", () => {
    const a = run("legacy-gfp-dma", "none", "at-probe").boot[0];
    const b = run("slab-dma32", "typical", "after-background").boot[0];
    assert.deepEqual(a, b);
    assert.deepEqual(
      a?.allocated.map((x) => [x.what, x.where, x.bytes, x.zone]),
      [
        ["memmap", 0x1_3c00_0000, 64 << 20, "NORMAL"],
        ["swiotlb", 0xfc00_0000, 64 << 20, "DMA32"],
      ],
    );
  });

  it("after-background: the legacy L1 falls back to ZONE_DMA32 at 0x7154_8000 and the first attempt succeeds", () => {
    const r = run("legacy-gfp-dma", "typical", "after-background");
    assert.deepEqual(
      r.boot.map((s) => [s.step, s.timeIndex]),
      [
        ["memblock", 0],
        ["buddy", 1],
        ["background", 2],
        ["device-probe", 3],
        ["workload", 4],
      ],
    );
    const p = probeStep(r);
    assert.deepEqual(
      p.allocated.filter((a) => a.what === "io-pgtable-arm-v7s:l1"),
      [{ what: "io-pgtable-arm-v7s:l1", where: 0x7154_8000, bytes: 16384, zone: "DMA32", freed: false, requestedZone: "NORMAL" }],
    );
    // NORMAL sits at its low watermark after the load (kswapd stops once a zone is balanced).
    const normal = p.zonesAtStart.find((z) => z.zone === "NORMAL");
    assert.ok(normal !== undefined && normal.freePages <= normal.low);
    assert.deepEqual([r.domainProbe?.attempts, r.domainProbe?.failures, r.domainProbe?.createdBy], [1, 0, "14001000.rdma"]);
  });

  it("the answer explains the difference from the data: NORMAL nearly free and taken at probe, at its low watermark and fallen back after the load", () => {
    const results = [run("legacy-gfp-dma", "typical", "at-probe"), run("legacy-gfp-dma", "typical", "after-background")];
    const report = buildReport({ machine: machine("typical"), switches: DEFAULT_SWITCHES, workload: { kind: "trace", name: "none" }, version: "t" }, results);
    const { timing, devices } = analyseBoot(report);
    assert.equal(timing.length, 2);
    assert.match(
      timing[0] ?? "",
      /^Domain created at device probe, before the background load \(boot step 2 of 5, memblock being 0\): .*ZONE_NORMAL had 960 MiB free, far above its watermarks/,
    );
    assert.match(timing[0] ?? "", /legacy-gfp-dma's L1 got ZONE_NORMAL, the zone it asked for \(0x1_3bc0_0000, above 4 GiB, refused\)/);
    assert.match(
      timing[1] ?? "",
      /^Domain created after the background load \(boot step 3 of 5, memblock being 0\): .*ZONE_NORMAL had 2\.86 MiB free, at its low watermark/,
    );
    assert.match(
      timing[1] ?? "",
      /legacy-gfp-dma \(domain after-background\)'s L1 asked for ZONE_NORMAL and fell back to ZONE_DMA32 \(0x7154_8000, below 4 GiB\)/,
    );
    assert.equal(devices.length, 1);
    assert.match(
      devices[0]?.outcome ?? "",
      /no master gets an IOMMU domain; .*"Failed to set up IOMMU for device <master>; retaining platform DMA ops": they DMA untranslated/,
    );
  });
});
