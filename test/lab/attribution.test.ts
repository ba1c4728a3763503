// SPDX-License-Identifier: GPL-2.0-only
/** The per-device breakdown adds up to the run's own totals, and the report shows the same rows. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeAnswer } from "../../src/analysis/index.ts";
import { buildReport } from "../../src/lab/compare.ts";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { eventListSource, scenarioSource } from "../../src/lab/source.ts";
import { DEFAULT_SWITCHES, variant, type MachineSpec } from "../../src/lab/spec.ts";
import { attributionHtml } from "../../src/report/attribution.ts";
import { renderMailText } from "../../src/report/mail.ts";
import { BUILTIN_SCENARIO_SOURCES } from "../../src/workload/builtin-scenarios.ts";
import { validateScenario } from "../../src/workload/scenario.ts";

const machine: MachineSpec = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", backgroundChurn: 0 };
const base = BUILTIN_SCENARIO_SOURCES["mt8173-video-playback"] as Record<string, unknown>;
const small = validateScenario({ ...base, name: "short-playback", phases: [{ kind: "boot" }, { kind: "steady", frames: 20 }, { kind: "teardown" }] }, "short");

describe("attribution by device", () => {
  const { result } = runExperimentSync({ machine, variant: variant("slab-dma32") }, scenarioSource(small, 1));
  const rows = result.attribution ?? [];

  it("charges every L2 table and every map to a device", () => {
    assert.deepEqual(rows.map((r) => r.device).sort(), ["background", "display", "mdp", "vdec"]);
    assert.equal(
      rows.reduce((n, r) => n + r.l2TablesCaused, 0),
      result.l2TablesAllocated,
    );
    for (const r of rows) {
      assert.ok(r.maps > 0 && r.bytesMapped > 0 && r.peakLiveIovaBytes > 0, r.device);
      assert.equal(r.peakLiveIovaBytes % 4096, 0);
    }
  });

  it("a replayed trace's maps are charged to 'trace'; live IOVA falls with the unmaps", () => {
    const events = [
      { type: "iommuMap" as const, iova: 0x1000_0000, paddr: 0x5000_0000, size: 0x2000, line: 1 },
      { type: "iommuMap" as const, iova: 0x1010_0000, paddr: 0x5010_0000, size: 0x1000, line: 2 },
      { type: "iommuUnmap" as const, iova: 0x1000_0000, size: 0x2000, unmappedSize: 0x2000, line: 3 },
      { type: "iommuMap" as const, iova: 0x1000_0000, paddr: 0x5000_0000, size: 0x1000, line: 4 },
    ];
    const run = runExperimentSync({ machine, variant: variant("slab-dma32") }, eventListSource(events, { name: "t", mode: "replay" }));
    assert.deepEqual(run.result.attribution, [{ device: "trace", maps: 3, bytesMapped: 0x4000, l2TablesCaused: 2, peakLiveIovaBytes: 0x3000 }]);
  });

  it("the report's text and HTML tables carry the JSON's rows", () => {
    const report = buildReport({ machine, switches: DEFAULT_SWITCHES, workload: { kind: "scenario", name: "short", scenario: small }, version: "t" }, [result]);
    const html = attributionHtml(report);
    for (const r of rows) {
      const tr = new RegExp(
        `<th scope="row">${r.device}</th><td data-value="${r.maps}">[^<]*</td><td data-value="${r.bytesMapped}">[^<]*</td><td data-value="${r.l2TablesCaused}">[^<]*</td><td data-value="${r.peakLiveIovaBytes}">`,
      );
      assert.match(html, tr);
    }
    const text = renderMailText(report, computeAnswer(report));
    assert.match(text, /^Cost by device$/m);
    for (const r of rows) assert.match(text, new RegExp(`^${r.device} +${r.maps} +\\S+ \\S+ +${r.l2TablesCaused} +`, "m"));
  });
});
