// SPDX-License-Identifier: GPL-2.0-only
/**
 * Several IOMMU instances and domains in one system: MT8195's two M4Us on one shared ias-34 table,
 * MT6893's multi-region domains on a single memory zone, devices routed by master name, and the
 * per-instance/domain/device breakdown the reports read.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeAnswer } from "../../src/analysis/index.ts";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { scenarioSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec, type RunSpec } from "../../src/lab/spec.ts";
import { bootSystem } from "../../src/lab/system.ts";
import type { ComparisonReport, StrategyResult } from "../../src/lab/types.ts";
import { renderBreakdownText } from "../../src/report/domains.ts";
import { ComparisonReportSchema } from "../../src/report/json.ts";
import { builtinScenario } from "../../src/workload/builtin-scenarios.ts";

const machine = (platform: string, era = "latest"): MachineSpec => ({ platform, era, cpus: null, seed: 1, background: "typical", backgroundChurn: 0 });
const spec = (platform: string, strategy: string, era = "latest"): RunSpec => ({ machine: machine(platform, era), variant: variant(strategy) });

function run(platform: string, strategy: string, era = "latest"): StrategyResult {
  const scenario = builtinScenario(`${platform}-default`);
  return runExperimentSync(spec(platform, strategy, era), scenarioSource(scenario, 1)).result;
}

function report(platform: string, results: readonly StrategyResult[]): ComparisonReport {
  return {
    schema: "iommu-lab/compare/2",
    tool: { name: "iommu-lab", version: "test" },
    params: {
      scenario: `${platform}-default`,
      era: "latest",
      platform,
      cpus: 8,
      seed: 1,
      strategies: results.map((r) => r.strategy),
      fitCheck: true,
      domainTiming: "at-probe",
    },
    platform: { name: platform, description: "", ram: [], zones: [] },
    workload: { events: 0, maps: 0, unmaps: 0, description: "" },
    results,
  };
}

describe("mt8195-cherry-8g: vpp and vdo share one table", () => {
  it("boots two M4Us with ias 34 whose PT_BASE point at one 64 KiB L1, and five domains on that table", () => {
    const sys = bootSystem(spec("mt8195-cherry-8g", "slab-dma32"));
    assert.deepEqual(
      sys.instances.map((i) => [i.name, i.m4u.config.ias]),
      [
        ["vpp", 34],
        ["vdo", 34],
      ],
    );
    const [vpp, vdo] = sys.instances;
    assert.ok(vpp !== undefined && vdo !== undefined);
    assert.notEqual(vpp.m4u.ptBaseRegister, 0);
    assert.equal(vpp.m4u.ptBaseRegister, vdo.m4u.ptBaseRegister);
    assert.equal(sys.iovaLimit, 2 ** 34);
    const owner = sys.domains[0];
    assert.ok(owner !== undefined && owner.state.ok);
    assert.equal(owner.l1Bytes, 64 * 1024);
    assert.equal(owner.state.domain.table.out.l1Entries, 16384);
    assert.equal(owner.sharesTableOf, null);
    for (const d of sys.domains.slice(1)) {
      assert.equal(d.sharesTableOf, owner.id, d.id);
      assert.ok(d.state.ok);
      assert.equal(d.state.domain.table, owner.state.domain.table, `${d.id} reuses the io-pgtable`);
    }
    // Masters reach their region's domain, behind their own M4U.
    assert.equal(sys.route("vdec").domain.id, "m4ulist/4-8G");
    assert.equal(sys.route("vdec").m4u, vdo.m4u);
    assert.equal(sys.route("vpp:mdp").domain.id, "m4ulist/8-12G");
    assert.equal(sys.route("vpp:mdp").m4u, vpp.m4u);
    assert.equal(sys.route("background").domain.id, owner.id);
  });

  it("runs its default scenario cleanly, each device's IOVAs inside its domain's region", () => {
    const r = run("mt8195-cherry-8g", "slab-dma32");
    assert.equal(r.mapFailures, 0);
    assert.equal(r.translationMismatches, 0);
    assert.equal(r.faults, 0);
    const b = r.breakdown;
    assert.ok(b !== undefined);
    assert.equal(b.domains.length, 5);
    assert.equal(b.domains.filter((d) => d.sharesTableOf === null).length, 1);
    const vdec = b.domains.find((d) => d.id === "m4ulist/4-8G");
    assert.ok(vdec !== undefined && vdec.mapCalls > 0 && vdec.l1Bytes === 65536);
    assert.equal(b.devices.find((d) => d.device === "vdec")?.domain, "m4ulist/4-8G");
    // Both M4Us translated: the display behind vdo, MDP behind vpp.
    assert.ok(b.instances.every((i) => i.translations > 0));
    assert.equal(b.instances[0]?.ptBase, b.instances[1]?.ptBase);
    ComparisonReportSchema.parse(report("mt8195-cherry-8g", [r]));
    const text = renderBreakdownText(report("mt8195-cherry-8g", [r])).join("\n");
    assert.match(text, /m4ulist\/4-8G\s+vpp\+vdo\s+0x100000000-0x1ff7fffff\s+34\s+64 KiB\s+no\s+shares m4ulist\/0-4G/);
  });
});

describe("mt6893-phone-12g: a single memory zone", () => {
  it("the default strategy's L2 tables land above 4 GiB and the kernel refuses them in its words; the answer names the domains", () => {
    const r = run("mt6893-phone-12g", "slab-dma32");
    assert.ok(r.tablesAbove4GiB > 0);
    assert.ok(r.mapFailures > 0);
    assert.ok(
      r.messages.some((m) => /^Page table does not fit in PTE: 0x0000000[2-3][0-9a-f]{8}$/.test(m.text)),
      JSON.stringify(r.messages.slice(0, 3)),
    );
    const ttbr = run("mt6893-phone-12g", "mtk-ttbr-ext");
    assert.equal(ttbr.mapFailures, 0);
    assert.equal(ttbr.allocFailures, 0);
    assert.equal(ttbr.translationMismatches, 0);
    assert.ok(ttbr.tablesAbove4GiB > 0, "its tables may lie above 4 GiB and still walk");
    const a = computeAnswer(report("mt6893-phone-12g", [r, ttbr]));
    assert.deepEqual(
      a.whereFailed?.map((w) => [w.strategy, w.domains.map((d) => d.id)]),
      [["slab-dma32", ["mm/0-4G", "mm/4-8G", "mm/8-12G"]]],
    );
    assert.match(a.best.summary, /Where slab-dma32 failed: domain mm\/0-4G \(mm\) \d+ map failures/);
  });
});

describe("single-M4U platforms", () => {
  it("mt8173 keeps one M4U and one domain, and its results carry no breakdown", () => {
    const sys = bootSystem(spec("mt8173-elm-4g", "slab-dma32", "v4.19"));
    assert.equal(sys.instances.length, 1);
    assert.equal(sys.domains.length, 1);
    assert.equal(sys.route("vdec").domain, sys.route("anything").domain);
    const scenario = builtinScenario("mt8173-video-playback");
    const r = runExperimentSync(spec("mt8173-elm-4g", "slab-dma32", "v4.19"), scenarioSource(scenario, 1)).result;
    assert.equal(r.breakdown, undefined);
    assert.equal(computeAnswer(report("mt8173-elm-4g", [r])).whereFailed, undefined);
  });
});
