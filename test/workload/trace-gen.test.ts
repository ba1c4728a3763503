// SPDX-License-Identifier: GPL-2.0-only
/** The synthetic trace generator: deterministic, parseable, and shaped as documented. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TraceEvent } from "../../src/workload/events.ts";
import { parseFtrace } from "../../src/workload/ftrace.ts";
import { NULL_SINK, TraceReplayer } from "../../src/workload/replay.ts";
import { generateTrace, traceGenIovaTop, generateTraceEvents, generateTraceText, traceHeaderLines } from "../../src/workload/trace-gen.ts";

const SZ_4K = 4096;
const SZ_1M = 1 << 20;

function events(opts: Parameters<typeof generateTraceEvents>[0]): TraceEvent[] {
  return [...generateTraceEvents(opts)].map((g) => g.event);
}

describe("generateTrace", () => {
  it("gives the same bytes for the same seed and different bytes for another", () => {
    const a = generateTraceText({ events: 3000, seed: 42 });
    const b = generateTraceText({ events: 3000, seed: 42 });
    const c = generateTraceText({ events: 3000, seed: 43 });
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  for (const layout of ["cat", "trace-cmd"] as const) {
    for (const format of ["old", "range"] as const) {
      it(`${layout} / ${format}: the parser reads back exactly the generated events, line numbers included`, () => {
        const opts = { events: 5000, seed: 9, layout, format };
        const text = generateTraceText(opts);
        const parsed = parseFtrace(text, { fileName: "gen" });
        assert.deepEqual(parsed.events, events(opts));
        assert.equal(parsed.stats.maps + parsed.stats.unmaps, 5000);
        assert.equal(parsed.stats.malformed, 0);
        assert.equal(parsed.stats.lines, 5000 + traceHeaderLines(layout, format, 5000).length);
        assert.equal(format === "old" ? parsed.stats.oldFormat : parsed.stats.rangeFormat, 5000);
      });
    }
  }

  it("keeps IOVAs below the old format's 4 GiB aperture, sizes 4 KiB to 8 MiB, paddrs in elm's DRAM, some 1 MiB-aligned maps", () => {
    const evs = events({ events: 40_000, seed: 5 });
    let sectionable = 0;
    let small = 0;
    for (const ev of evs) {
      assert.ok(ev.iova % SZ_4K === 0 && ev.size % SZ_4K === 0, `line ${ev.line}: page aligned`);
      assert.ok(ev.size >= SZ_4K && ev.size <= 8 * SZ_1M, `line ${ev.line}: size ${ev.size}`);
      assert.ok(ev.iova + ev.size <= 2 ** 32, `line ${ev.line}: iova 0x${ev.iova.toString(16)}`);
      if (ev.type !== "iommuMap") continue;
      assert.ok(ev.paddr >= 0x4000_0000 && ev.paddr + ev.size <= 0x1_4000_0000, `line ${ev.line}: paddr 0x${ev.paddr.toString(16)}`);
      if (ev.size >= SZ_1M && ev.iova % SZ_1M === 0 && ev.paddr % SZ_1M === 0) sectionable++;
      if (ev.size === SZ_4K) small++;
    }
    assert.ok(sectionable > 1000, `1 MiB-aligned maps: ${sectionable}`);
    assert.ok(small > 1000, `4 KiB maps: ${small}`);
    assert.ok(
      evs.some((ev) => ev.type === "iommuMap" && ev.paddr >= 0x1_0000_0000),
      "some pages above 4 GiB",
    );
  });

  it("IOVAs are handed out top-down: the first map ends at the top of the era's space (4 GiB for old, the v6.4 gap for range)", () => {
    assert.deepEqual([traceGenIovaTop("old"), traceGenIovaTop("range")], [0x1_0000_0000, 0xff80_0000]);
    for (const format of ["old", "range"] as const) {
      const first = events({ events: 1, seed: 77, format })[0];
      const top = traceGenIovaTop(format);
      assert.ok(first !== undefined);
      assert.ok(first.iova + first.size === top && first.iova >= top - 8 * SZ_1M, `${format}: 0x${first.iova.toString(16)}`);
      assert.ok(
        events({ events: 2000, seed: 3, format }).every((ev) => ev.iova + ev.size <= top),
        format,
      );
    }
  });

  it("never maps over a live mapping, unmaps match live maps, and the live set stays bounded", () => {
    const rep = new TraceReplayer(NULL_SINK);
    rep.applyAll(events({ events: 60_000, seed: 11, maxLiveMappings: 1000, orphanUnmapRate: 0 }));
    const s = rep.stats;
    assert.equal(s.events, 60_000);
    assert.equal(s.duplicateMaps + s.overlappingMaps, 0);
    assert.equal(s.unknownUnmaps, 0);
    assert.equal(s.unmapsWithHoles, 0);
    assert.equal(s.splitMappings, 0);
    assert.ok(s.unmaps > 3000, `unmaps ${s.unmaps}`);
    assert.ok(s.peakLiveMappings <= 1000 + 2100, `peak live ${s.peakLiveMappings}`); // one buffer may add up to its chunk count past the bound
    assert.ok(s.peakLiveMappings >= 300);
  });

  it("a default trace has a few unmaps of IOVAs nothing mapped (a trace started late)", () => {
    const rep = new TraceReplayer(NULL_SINK);
    rep.applyAll(events({ events: 100_000, seed: 12 }));
    assert.ok(rep.stats.unknownUnmaps > 0 && rep.stats.unknownUnmaps < rep.stats.unmaps / 100, `unknown ${rep.stats.unknownUnmaps} of ${rep.stats.unmaps}`);
    assert.equal(rep.stats.overlappingMaps + rep.stats.duplicateMaps, 0);
  });

  it("yields chunks of whole lines of at most chunkLines lines", () => {
    const chunks = [...generateTrace({ events: 1000, seed: 1, chunkLines: 64, header: false })];
    assert.equal(chunks.length, Math.ceil(1000 / 64));
    for (const c of chunks) {
      assert.ok(c.endsWith("\n"));
      assert.ok(c.split("\n").length - 1 <= 64);
    }
    assert.equal(chunks.join(""), generateTraceText({ events: 1000, seed: 1, header: false }));
  });

  it("zero events is the header alone", () => {
    assert.equal(generateTraceText({ events: 0, seed: 1, layout: "trace-cmd" }), "cpus=4\n");
  });

  it("rejects bad options with a RangeError naming the value", () => {
    assert.throws(() => generateTraceText({ events: -1, seed: 1 }), /events -1/);
    assert.throws(() => generateTraceText({ events: 1.5, seed: 1 }), /events 1.5/);
    assert.throws(() => generateTraceText({ events: 1, seed: 2 ** 32 }), /seed 4294967296/);
    assert.throws(() => generateTraceText({ events: 1, seed: 1, maxLiveMappings: 0 }), /maxLiveMappings 0/);
    assert.throws(() => generateTraceText({ events: 1, seed: 1, orphanUnmapRate: 2 }), /orphanUnmapRate 2/);
    assert.throws(() => generateTraceText({ events: 1, seed: 1, layout: "x" as "cat" }), /layout "x"/);
  });
});
