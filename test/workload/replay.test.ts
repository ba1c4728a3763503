// SPDX-License-Identifier: GPL-2.0-only
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LiveRanges } from "../../src/workload/live-ranges.ts";
import { parseFtrace } from "../../src/workload/ftrace.ts";
import { NULL_SINK, TraceReplayer } from "../../src/workload/replay.ts";
import type { ReplaySink } from "../../src/workload/replay.ts";

/** Reference: one entry per live 4 KiB page, page -> paddr. */
class PageModel {
  readonly pages = new Map<number, number>();
  overlaps(start: number, end: number): boolean {
    for (let a = start; a < end; a += 4096) if (this.pages.has(a)) return true;
    return false;
  }
  insert(start: number, end: number, paddr: number): void {
    for (let a = start; a < end; a += 4096) this.pages.set(a, paddr + (a - start));
  }
  remove(start: number, end: number): number {
    let n = 0;
    for (let a = start; a < end; a += 4096) if (this.pages.delete(a)) n += 4096;
    return n;
  }
}

describe("LiveRanges", () => {
  it("matches a page-by-page reference under random inserts and ranged removals", () => {
    const op = fc.record({
      insert: fc.boolean(),
      page: fc.integer({ min: 0, max: 600 }),
      pages: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const set = new LiveRanges();
        const ref = new PageModel();
        for (const o of ops) {
          const start = o.page * 4096;
          const end = start + o.pages * 4096;
          if (o.insert) {
            const clash = set.firstOverlap(start, end) !== null;
            assert.equal(clash, ref.overlaps(start, end));
            if (!clash) {
              set.insert(start, end, 0x4000_0000 + start * 3, 0);
              ref.insert(start, end, 0x4000_0000 + start * 3);
            }
          } else {
            assert.equal(set.remove(start, end), ref.remove(start, end));
          }
          assert.equal(set.bytes, ref.pages.size * 4096);
        }
        const pages = new Map<number, number>();
        let prevEnd = -1;
        for (const r of set.ranges()) {
          assert.ok(r.start >= prevEnd && r.end > r.start, "sorted, disjoint, non-empty");
          prevEnd = r.end;
          for (let a = r.start; a < r.end; a += 4096) pages.set(a, r.paddr + (a - r.start));
        }
        assert.deepEqual(pages, ref.pages);
      }),
      { numRuns: 300 },
    );
  });
});

function recordingSink(unmapResult?: (iova: number, size: number) => number): ReplaySink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    map(iova, paddr, size) {
      calls.push(`map ${iova.toString(16)} ${paddr.toString(16)} ${size}`);
      return 0;
    },
    unmap(iova, size) {
      calls.push(`unmap ${iova.toString(16)} ${size}`);
      return unmapResult ? unmapResult(iova, size) : size;
    },
  };
}

const map = (iova: number, paddr: number, size: number) =>
  `map: IOMMU: iova=0x${iova.toString(16).padStart(16, "0")} paddr=0x${paddr.toString(16).padStart(16, "0")} size=${size}`;
const unmap = (iova: number, size: number, done = size) => `unmap: IOMMU: iova=0x${iova.toString(16).padStart(16, "0")} size=${size} unmapped_size=${done}`;

function replay(lines: string[], sink: ReplaySink = NULL_SINK, forwardUnknownUnmaps = false): TraceReplayer {
  const r = new TraceReplayer(sink, { fileName: "t", forwardUnknownUnmaps });
  r.applyAll(parseFtrace(lines.join("\n")).events);
  return r;
}

describe("TraceReplayer", () => {
  it("sends maps and unmaps to the sink in order and tracks the live set", () => {
    const sink = recordingSink();
    const r = replay([map(0xfff00000, 0x40000000, 0x2000), map(0xffe00000, 0x50000000, 0x100000), unmap(0xfff00000, 0x2000)], sink);
    assert.deepEqual(sink.calls, ["map fff00000 40000000 8192", "map ffe00000 50000000 1048576", "unmap fff00000 8192"]);
    assert.deepEqual(
      {
        maps: r.stats.maps,
        unmaps: r.stats.unmaps,
        live: r.stats.liveMappings,
        liveBytes: r.stats.liveBytes,
        peak: r.stats.peakLiveMappings,
        peakBytes: r.stats.peakLiveBytes,
      },
      { maps: 2, unmaps: 1, live: 1, liveBytes: 0x100000, peak: 2, peakBytes: 0x102000 },
    );
    assert.deepEqual(r.lookup(0xffe80000), { start: 0xffe00000, end: 0xfff00000, paddr: 0x50000000 });
  });

  it("counts an unmap of an unknown range, names its line, and does not send it by default", () => {
    const sink = recordingSink();
    const r = replay([map(0x100000, 0x40000000, 4096), unmap(0x200000, 4096)], sink);
    assert.equal(r.stats.unknownUnmaps, 1);
    assert.deepEqual(r.stats.messages, ["t: line 2: unmap of iova 0x200000 size 4096 matches no live mapping"]);
    assert.equal(sink.calls.length, 1);
    const fwd = recordingSink(() => 0);
    const r2 = replay([unmap(0x200000, 4096, 0)], fwd, true);
    assert.deepEqual(fwd.calls, ["unmap 200000 4096"]);
    assert.equal(r2.stats.sinkUnmapMismatches, 0);
  });

  it("lets one unmap cover several maps, as dma_unmap_sg does after iommu_map_sg", () => {
    const r = replay([
      map(0xff000000, 0x40000000, 0x1000),
      map(0xff001000, 0x48000000, 0x3000),
      map(0xff004000, 0x41000000, 0x1000),
      unmap(0xff000000, 0x5000),
    ]);
    assert.deepEqual(
      { unknown: r.stats.unknownUnmaps, holes: r.stats.unmapsWithHoles, live: r.stats.liveMappings, unmapped: r.stats.bytesUnmapped },
      { unknown: 0, holes: 0, live: 0, unmapped: 0x5000 },
    );
  });

  it("splits a mapping unmapped in the middle and keeps the tail's physical address", () => {
    const r = replay([map(0x10000000, 0x40000000, 0x10000), unmap(0x10004000, 0x2000)]);
    assert.equal(r.stats.splitMappings, 1);
    assert.equal(r.stats.liveMappings, 2);
    assert.equal(r.stats.peakLiveMappings, 2);
    assert.deepEqual(r.lookup(0x10008000), { start: 0x10006000, end: 0x10010000, paddr: 0x40006000 });
    assert.equal(r.lookup(0x10004000), null);
  });

  it("counts duplicate and overlapping maps, keeps the first, and still sends them to the sink", () => {
    const sink = recordingSink();
    const r = replay([map(0x100000, 0x40000000, 0x4000), map(0x100000, 0x50000000, 0x4000), map(0x102000, 0x60000000, 0x4000), unmap(0x100000, 0x8000)], sink);
    assert.deepEqual({ dup: r.stats.duplicateMaps, overlap: r.stats.overlappingMaps, holes: r.stats.unmapsWithHoles }, { dup: 1, overlap: 1, holes: 1 });
    assert.equal(sink.calls.filter((c) => c.startsWith("map")).length, 3);
    assert.match(r.stats.messages[0] ?? "", /^t: line 2: map of iova 0x100000 size 16384 overlaps the live mapping 0x100000-0x104000 from line 1$/);
  });

  it("counts sink failures and unmapped-size disagreements with the kernel's trace", () => {
    const sink: ReplaySink = { map: (iova) => (iova === 0x200000 ? -12 : 0), unmap: (_iova, size) => size / 2 };
    const r = replay([map(0x100000, 0x40000000, 0x2000), map(0x200000, 0x40000000, 0x2000), unmap(0x100000, 0x2000)], sink);
    assert.equal(r.stats.sinkMapFailures, 1);
    assert.equal(r.stats.sinkUnmapMismatches, 1);
  });

  it("skips zero-size events without calling the sink", () => {
    const sink = recordingSink();
    const r = replay([map(0x100000, 0x40000000, 0), unmap(0x100000, 0)], sink);
    assert.equal(r.stats.zeroSizeEvents, 2);
    assert.deepEqual(sink.calls, []);
  });

  it("never throws on random map/unmap sequences and keeps live bytes equal to the reference", () => {
    const ev = fc.record({ isMap: fc.boolean(), page: fc.integer({ min: 0, max: 300 }), pages: fc.integer({ min: 0, max: 20 }) });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 200 }), (evs) => {
        const ref = new PageModel();
        const r = new TraceReplayer(NULL_SINK);
        for (const e of evs) {
          const iova = e.page * 4096;
          const size = e.pages * 4096;
          if (e.isMap) {
            r.apply({ type: "iommuMap", iova, paddr: 0x40000000, size, line: 0 });
            if (size > 0 && !ref.overlaps(iova, iova + size)) ref.insert(iova, iova + size, 0x40000000);
          } else {
            r.apply({ type: "iommuUnmap", iova, size, unmappedSize: size, line: 0 });
            ref.remove(iova, iova + size);
          }
        }
        assert.equal(r.stats.liveBytes, ref.pages.size * 4096);
        assert.equal(r.stats.events, evs.length);
      }),
      { numRuns: 300 },
    );
  });
});
