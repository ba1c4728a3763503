// SPDX-License-Identifier: GPL-2.0-only
/** Device faults in the report: the JSON schema accepts them, the terminal and HTML show each fault once with every verdict. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FaultAttribution, StrategyResult } from "../../src/lab/types.ts";
import { renderFaultsHtml, renderFaultsText } from "../../src/report/faults.ts";
import { parseReportJson, toJson } from "../../src/report/json.ts";
import { fixtureReport } from "../fixtures/report.ts";

const fault = (verdict: FaultAttribution["verdict"], modelFaults: boolean): FaultAttribution => ({
  origin: "dmesg",
  line: 1,
  timestamp: 12.5,
  device: "10205000.iommu",
  iova: 0xff1f_e000,
  write: false,
  evaluatedAt: "timestamp",
  afterLine: 3,
  lastMap: { line: 2, ts: 10, iova: 0xff1f_0000, size: 0x10000, paddr: 0x5000_0000 },
  lastUnmap: { line: 3, ts: 11, iova: 0xff1f_0000, size: 0x10000, paddr: null },
  verdict,
  modelFaults,
  walkPa: null,
  walkFault: "translation",
  tlbPa: verdict === "stale-tlb" ? 0x5000_e000 : null,
  reason: `because ${verdict}`,
});

function withFaults(): ReturnType<typeof fixtureReport> {
  const r = fixtureReport();
  const results: StrategyResult[] = r.results.map((x, i) => (i < 2 ? { ...x, deviceFaults: [fault(i === 0 ? "unmapped" : "stale-tlb", i === 0)] } : x));
  return { ...r, results };
}

describe("device faults in the report", () => {
  it("JSON: the schema accepts deviceFaults and the file round-trips", () => {
    const report = withFaults();
    const text = toJson(report);
    const parsed = parseReportJson(text);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.problem);
    const back = parsed.report;
    assert.deepEqual(back.results[0]?.deviceFaults, report.results[0]?.deviceFaults);
    assert.equal(back.results[2]?.deviceFaults, undefined);
    assert.equal(toJson(fixtureReport()).includes("deviceFaults"), false, "absent when there are none");
  });

  it("terminal: each fault once, its covering map and unmap lines, one verdict per strategy; ASCII", () => {
    const report = withFaults();
    const lines = renderFaultsText(report.results, 100);
    const text = lines.join("\n");
    assert.equal(lines[0], "Device faults");
    assert.equal(text.match(/pasted fault line 1/g)?.length, 1);
    assert.match(text, /last map +line 2 at 10\.000000 s: 0xff1f0000 \+ 64 KiB -> 0x50000000/);
    assert.match(text, /last unmap +line 3 at 11\.000000 s/);
    assert.match(text, new RegExp(`${report.results[0]?.strategy}: unmapped; because unmapped`));
    assert.match(text, new RegExp(`${report.results[1]?.strategy}: stale-tlb \\(the model's device does not fault\\)`));
    assert.ok(
      lines.every((l) => l.length <= 100 && /^[\x20-\x7e]*$/.test(l)),
      "fits and is ASCII",
    );
    assert.deepEqual(renderFaultsText(fixtureReport().results, 100), []);
  });

  it("HTML: one row per strategy verdict, with data-field cells", () => {
    const html = renderFaultsHtml(withFaults().results).join("\n");
    assert.equal(html.match(/<tr data-fault="dmesg:1"/g)?.length, 2);
    assert.match(html, /data-field="verdict" data-value="stale-tlb"/);
    assert.match(html, /data-field="lastUnmap.line" data-value="3"/);
    assert.deepEqual(renderFaultsHtml(fixtureReport().results), []);
  });
});
