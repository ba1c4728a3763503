// SPDX-License-Identifier: GPL-2.0-only
/** Trace quality as data: every lost-event form, a cut last line, malformed lines, bad unmaps, bounds. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/core/errors.ts";
import { parseFtrace } from "../../src/workload/ftrace.ts";
import { NULL_SINK, TraceReplayer } from "../../src/workload/replay.ts";
import { describeTraceQuality, traceQuality } from "../../src/workload/trace-quality.ts";

const MAP = "  vdec-12     [001] ....   10.000100: map: IOMMU: iova=0x0000000000100000 paddr=0x0000000040000000 size=8192";
const UNMAP = "  vdec-12     [003] ....   10.000200: unmap: IOMMU: iova=0x0000000000100000 size=8192 unmapped_size=8192";

describe("traceQuality", () => {
  it("recognises the four lost-event forms, with counts where given", () => {
    const text = [
      MAP,
      "CPU:2 [LOST 42 EVENTS]",
      "CPU:3 [LOST EVENTS]",
      "CPU:0 [17 EVENTS DROPPED]",
      "CPU:1 [EVENTS DROPPED]",
      UNMAP,
      "CPU:1 [LOST banana EVENTS]",
      "",
    ].join("\n");
    const { stats } = parseFtrace(text);
    const q = traceQuality("ftrace text", stats, null);
    assert.deepEqual(q.lost.byForm, { "lost-count": 1, lost: 1, "dropped-count": 1, dropped: 1, page: 0 });
    assert.equal(q.lost.markers, 4);
    assert.equal(q.lost.eventsKnown, 59);
    assert.equal(q.lost.markersWithoutCount, 2);
    assert.deepEqual(q.lost.firstLines, [2, 3, 4, 5]);
    assert.equal(q.ignored.otherEvents, 1, "a line that only looks like a marker is another line");
    assert.deepEqual(q.cpus, [0, 1, 2, 3]);
    assert.equal(q.firstTimestamp, 10.0001);
    assert.equal(q.lastTimestamp, 10.0002);
    assert.equal(q.clean, false);
    assert.match(describeTraceQuality("t", q), /4 markers \[1 lost-count, 1 lost, 1 dropped-count, 1 dropped\], 59 events known lost, 2 without a count/);
  });

  it("a last line cut mid-field is reported and skipped, never fatal, even without skipMalformed", () => {
    const cut = UNMAP.slice(0, UNMAP.indexOf("unmapped_size=") + 5);
    const { events, stats } = parseFtrace([MAP, UNMAP, MAP, cut].join("\n"), { fileName: "t" });
    assert.equal(events.length, 3);
    const q = traceQuality("ftrace text", stats, null);
    assert.equal(q.truncatedLastLine, 4);
    assert.equal(q.malformed.count, 0);
    assert.match(describeTraceQuality("t", q), /the last line \(4\) is cut off and was skipped/);
    // The same text in the middle of a file is a malformed line.
    assert.throws(
      () => parseFtrace([MAP, cut, MAP].join("\n")),
      (e: unknown) => e instanceof InputError && /line 2/.test(e.message),
    );
    const whole = parseFtrace([MAP, UNMAP].join("\n"));
    assert.equal(whole.stats.unterminatedLastLine, 2);
    assert.equal(whole.stats.truncatedLastLine, null);
  });

  it("counts zero-size events and unmaps that disagree with the live mapping, with their lines", () => {
    const lines = [
      "map: IOMMU: iova=0x100000 paddr=0x40000000 size=8192",
      "map: IOMMU: iova=0x200000 paddr=0x40000000 size=0",
      "unmap: IOMMU: iova=0x100000 size=8192 unmapped_size=4096",
      "unmap: IOMMU: iova=0x900000 size=4096 unmapped_size=4096",
      "unmap: IOMMU: iova=0x300000 size=0 unmapped_size=0",
    ];
    const { events, stats } = parseFtrace(lines.join("\n") + "\n");
    const r = new TraceReplayer(NULL_SINK);
    r.applyAll(events);
    const q = traceQuality("ftrace text", stats, r.stats);
    assert.deepEqual(q.zeroSizeEvents, { count: 2, firstLines: [2, 5] });
    assert.deepEqual(q.unmapMismatches, { count: 1, firstLines: [3] });
    assert.deepEqual(q.unknownUnmaps, { count: 1, firstLines: [4] });
  });

  it("--skip-malformed keeps the skipped lines' numbers", () => {
    const { stats } = parseFtrace(["map: IOMMU: iova=0x1000", "map: IOMMU: iova=0x1000 paddr=0x2000 size=4096", "unmap: IOMMU: iova=zz", ""].join("\n"), {
      skipMalformed: true,
    });
    const q = traceQuality("ftrace text", stats, null);
    assert.deepEqual(q.malformed.firstLines, [1, 3]);
    assert.match(describeTraceQuality("t", q), /2 malformed lines skipped \(lines 1, 3\)/);
  });

  it("an IOVA past the IOMMU's ias is an InputError naming the line and the limit", () => {
    const { events } = parseFtrace("map: IOMMU: iova=0x0000000100000000 paddr=0x40000000 size=4096\n");
    const r = new TraceReplayer(NULL_SINK, { fileName: "t", bounds: { iovaBits: 32, iovaSource: "the M4U (ias 32)" } });
    assert.throws(
      () => r.applyAll(events),
      (e: unknown) => e instanceof InputError && e.message === "t: line 1: iova 0x100000000 is at or above 2^32, the IOVA space of the M4U (ias 32)",
    );
    const end = parseFtrace("map: IOMMU: iova=0x00000000fffff000 paddr=0x40000000 size=8192\n").events;
    assert.throws(() => new TraceReplayer(NULL_SINK, { bounds: { iovaBits: 32, iovaSource: "x" } }).applyAll(end), /ends beyond 2\^32/);
    const pa = parseFtrace("map: IOMMU: iova=0x1000 paddr=0x800000000 size=4096\n").events;
    assert.throws(
      () => new TraceReplayer(NULL_SINK, { bounds: { iovaBits: 32, iovaSource: "x", paBits: 35, paSource: "the M4U (oas 35)" } }).applyAll(pa),
      /beyond 2\^35, the physical address limit of the M4U/,
    );
  });

  it("a clean trace says so", () => {
    const { events, stats } = parseFtrace([MAP, UNMAP, ""].join("\n"));
    const r = new TraceReplayer(NULL_SINK);
    r.applyAll(events);
    const q = traceQuality("ftrace text", stats, r.stats);
    assert.equal(q.clean, true);
    assert.match(describeTraceQuality("t", q), /: clean$/);
  });
});
