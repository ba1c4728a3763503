// SPDX-License-Identifier: GPL-2.0-only
/** The parser's opt-in fault lines and timestamps: io_page_fault lines beside map/unmap, in line order. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FtraceParser, parseFtrace } from "../../src/workload/ftrace.ts";

const TEXT = [
  "  vdec-1234  [001] d..1. 10.000000: map: IOMMU: iova=0x0000000010000000 paddr=0x0000000050000000 size=4096",
  "  vdec-1234  [001] d..1. 10.500000: io_page_fault: IOMMU:mtk-iommu 14018000.larb iova=0x0000000010000abc flags=0x0001",
  "map: IOMMU: iova=0x0000000010001000 paddr=0x0000000050001000 size=4096",
  "",
].join("\n");

describe("FtraceParser: faults and timestamps (opt-in)", () => {
  it("off by default: the fault line is an other line and events carry no ts", () => {
    const { events, stats } = parseFtrace(TEXT);
    assert.equal(events.length, 2);
    assert.equal("ts" in (events[0] as object), false);
    assert.equal(stats.otherLines, 1);
  });

  it("on: the fault line is read (page IOVA, write flag, line) and each timestamped event gets its ts", () => {
    const p = new FtraceParser({ faults: true, timestamps: true });
    const events = p.push(TEXT);
    assert.deepEqual(
      events.map((e) => e.ts),
      [10, undefined],
      "a bare line has no timestamp",
    );
    assert.equal(p.faults?.length, 1);
    const f = p.faults?.[0];
    assert.deepEqual([f?.line, f?.fault.iova, f?.fault.write, f?.fault.timestamp, f?.fault.device], [2, 0x1000_0000, true, 10.5, "14018000.larb"]);
    assert.equal(p.stats.otherLines, 0);
  });

  it("a malformed io_page_fault line is an error naming it, or counted with skipMalformed", () => {
    const bad = " x-1 [000] 1.0: io_page_fault: IOMMU:mtk dev iova=zz flags=0x0\n";
    assert.throws(() => new FtraceParser({ faults: true, fileName: "t" }).push(bad), /t: line 1: names an IOMMU fault/);
    const p = new FtraceParser({ faults: true, skipMalformed: true });
    p.push(bad);
    assert.equal(p.stats.malformed, 1);
  });
});
