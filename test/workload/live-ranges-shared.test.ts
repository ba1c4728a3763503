// SPDX-License-Identifier: GPL-2.0-only
/** The replayer's live set as the shared record of live mappings: the sink's answer per range, iteration. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LiveRanges } from "../../src/workload/live-ranges.ts";
import { TraceReplayer, type ReplaySink } from "../../src/workload/replay.ts";

describe("the replayer's live set, shared with the sink's owner", () => {
  it("each live range records whether the sink accepted its map; trims and splits keep the answer", () => {
    // The sink refuses maps whose IOVA has bit 16 set (as a table allocation failure would).
    const sink: ReplaySink = { map: (iova) => ((iova & 0x1_0000) !== 0 ? -12 : 0), unmap: (_i, size) => size };
    const r = new TraceReplayer(sink);
    r.apply({ type: "iommuMap", iova: 0x10_0000, paddr: 0x4000_0000, size: 0x4000, line: 1 });
    r.apply({ type: "iommuMap", iova: 0x11_0000, paddr: 0x4100_0000, size: 0x4000, line: 2 });
    // Overlaps the first: sent on, not recorded, so it cannot change the first range's answer.
    r.apply({ type: "iommuMap", iova: 0x10_1000, paddr: 0x4200_0000, size: 0x1000, line: 3 });
    const seen: [number, number, boolean][] = [];
    r.live.forEach((x) => seen.push([x.start, x.end, x.accepted]));
    assert.deepEqual(seen, [
      [0x10_0000, 0x10_4000, true],
      [0x11_0000, 0x11_4000, false],
    ]);
    // Unmap the middle of the first: split in two, both still accepted.
    r.apply({ type: "iommuUnmap", iova: 0x10_1000, size: 0x1000, unmappedSize: 0x1000, line: 4 });
    seen.length = 0;
    r.live.forEach((x) => seen.push([x.start, x.end, x.accepted]));
    assert.deepEqual(seen, [
      [0x10_0000, 0x10_1000, true],
      [0x10_2000, 0x10_4000, true],
      [0x11_0000, 0x11_4000, false],
    ]);
    assert.equal(r.stats.sinkMapFailures, 1);
  });

  it("forEach visits what ranges() yields, in IOVA order, across chunk splits and emptied chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 9 })), { maxLength: 600 }), (ops) => {
        const set = new LiveRanges();
        for (const [ins, page, pages] of ops) {
          const start = page * 4096;
          if (ins) {
            const clash = set.tryInsert(start, start + pages * 4096, start, 0);
            if (clash === null) assert.equal(set.lastInserted?.start, start);
          } else set.remove(start, start + pages * 4096);
        }
        const a: number[] = [];
        set.forEach((r) => a.push(r.start, r.end));
        const b: number[] = [];
        for (const r of set.ranges()) b.push(r.start, r.end);
        assert.deepEqual(a, b);
        assert.equal(a.length / 2, set.size);
      }),
      { numRuns: 200 },
    );
  });
});
