// SPDX-License-Identifier: GPL-2.0-only
/**
 * The trace's side of a replay kept once per event stream: replayers sharing it (one per system fed
 * from one parse) must give exactly what each would have given alone, and the live set's iteration.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { TraceEvent } from "../../src/workload/events.ts";
import { LiveRanges } from "../../src/workload/live-ranges.ts";
import { ReplayShare, TraceReplayer, type ReplayOptions, type ReplaySink } from "../../src/workload/replay.ts";

/** A sink that logs its calls and answers from a seed: some maps fail, some unmaps come back short. */
function sink(seed: number, calls: string[]): ReplaySink {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 16;
  };
  return {
    map: (iova, paddr, size) => {
      calls.push(`map ${iova} ${paddr} ${size}`);
      return next() % 5 === 0 ? -12 : 0;
    },
    unmap: (iova, size) => {
      calls.push(`unmap ${iova} ${size}`);
      return next() % 4 === 0 ? size / 2 : size;
    },
  };
}

const event = fc.record({
  isMap: fc.boolean(),
  page: fc.integer({ min: 0, max: 400 }),
  pages: fc.integer({ min: 0, max: 24 }),
  paPage: fc.integer({ min: 0, max: 1 << 20 }),
  short: fc.boolean(),
});

function traceOf(evs: readonly { isMap: boolean; page: number; pages: number; paPage: number; short: boolean }[]): TraceEvent[] {
  return evs.map((e, i) =>
    e.isMap
      ? { type: "iommuMap", iova: e.page * 4096, paddr: e.paPage * 4096, size: e.pages * 4096, line: i + 1 }
      : { type: "iommuUnmap", iova: e.page * 4096, size: e.pages * 4096, unmappedSize: e.short ? 4096 : e.pages * 4096, line: i + 1 },
  );
}

describe("replayers sharing the trace's side of one stream", () => {
  it("give every system the stats and sink calls it would get replaying alone, fed batch by batch", () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 300 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        (evs, systems, batch, forward, maxMessages) => {
          const trace = traceOf(evs);
          const options: ReplayOptions = { fileName: "t", forwardUnknownUnmaps: forward, maxMessages };
          const share = new ReplayShare();
          const aloneCalls = Array.from({ length: systems }, () => [] as string[]);
          const sharedCalls = Array.from({ length: systems }, () => [] as string[]);
          const alone = aloneCalls.map((c, i) => new TraceReplayer(sink(i, c), options));
          const shared = sharedCalls.map((c, i) => new TraceReplayer(sink(i, c), { ...options, share }));
          for (const r of alone) r.applyAll(trace);
          // As the experiment feeds them: each system takes a whole batch before the next one does.
          for (let at = 0; at < trace.length; at += batch) for (const r of shared) r.applyAll(trace.slice(at, at + batch));
          for (let i = 0; i < systems; i++) {
            assert.deepEqual(sharedCalls[i], aloneCalls[i]);
            assert.deepEqual(shared[i]?.stats, alone[i]?.stats);
            assert.deepEqual([...(shared[i] as TraceReplayer).live.ranges()], [...(alone[i] as TraceReplayer).live.ranges()]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps the decisions of a lagging member across many blocks", () => {
    const trace: TraceEvent[] = [];
    for (let i = 0; i < 40_000; i++) {
      const iova = (i % 500) * 0x10000;
      trace.push(
        i % 2 === 0
          ? { type: "iommuMap", iova, paddr: iova, size: 0x4000, line: i + 1 }
          : { type: "iommuUnmap", iova, size: 0x4000, unmappedSize: 0x4000, line: i + 1 },
      );
    }
    const share = new ReplayShare();
    const calls = [[], [], []] as string[][];
    const rs = calls.map((c, i) => new TraceReplayer(sink(i, c), { share }));
    // The first runs 30000 events ahead of the last.
    (rs[0] as TraceReplayer).applyAll(trace.slice(0, 30_000));
    (rs[1] as TraceReplayer).applyAll(trace.slice(0, 20_000));
    (rs[2] as TraceReplayer).applyAll(trace.slice(0, 1));
    (rs[1] as TraceReplayer).applyAll(trace.slice(20_000));
    (rs[0] as TraceReplayer).applyAll(trace.slice(30_000));
    (rs[2] as TraceReplayer).applyAll(trace.slice(1));
    const aloneCalls = [[], [], []] as string[][];
    const alone = aloneCalls.map((c, i) => new TraceReplayer(sink(i, c), {}));
    for (const r of alone) r.applyAll(trace);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(calls[i], aloneCalls[i]);
      assert.deepEqual(rs[i]?.stats, alone[i]?.stats);
    }
  });

  it("a replayer with other options, or created once the others started, keeps a side of its own", () => {
    const share = new ReplayShare();
    const a = new TraceReplayer(sink(1, []), { share, fileName: "a" });
    const other = new TraceReplayer(sink(1, []), { share, fileName: "b" });
    a.apply({ type: "iommuMap", iova: 0x1000, paddr: 0, size: 0x1000, line: 1 });
    const late = new TraceReplayer(sink(1, []), { share, fileName: "a" });
    assert.equal(a.stats.maps, 1);
    assert.equal(other.stats.maps, 0);
    assert.equal(late.stats.maps, 0);
    late.apply({ type: "iommuMap", iova: 0x1000, paddr: 0, size: 0x1000, line: 1 });
    assert.equal(late.stats.maps, 1);
    assert.equal(a.stats.maps, 1);
  });

  it("refuses members fed different events, and stats asked while behind", () => {
    const share = new ReplayShare();
    const a = new TraceReplayer(sink(1, []), { share });
    const b = new TraceReplayer(sink(2, []), { share });
    a.apply({ type: "iommuMap", iova: 0x1000, paddr: 0, size: 0x1000, line: 1 });
    assert.throws(() => b.stats, /behind/);
    assert.throws(() => b.apply({ type: "iommuMap", iova: 0x1000, paddr: 0, size: 0x1000, line: 1 }), /fed different events/);
  });

  it("reports an address past the platform's limit as the lone replayer would", () => {
    const bounds = { iovaBits: 20, iovaSource: "the test M4U" };
    const ev: TraceEvent = { type: "iommuMap", iova: 0xff000, paddr: 0, size: 0x2000, line: 7 };
    const alone = new TraceReplayer(sink(1, []), { bounds });
    const share = new ReplayShare();
    const shared = new TraceReplayer(sink(1, []), { bounds, share });
    new TraceReplayer(sink(2, []), { bounds, share });
    const message = (f: () => void): string => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    const want = message(() => alone.apply(ev));
    assert.match(want, /line 7: iova 0xff000 \+ size 8192 ends beyond 2\^20, the IOVA space of the test M4U/);
    assert.equal(
      message(() => shared.apply(ev)),
      want,
    );
  });
});

describe("LiveRanges iteration", () => {
  it("forEach visits what ranges() yields, in IOVA order, across chunk splits and emptied chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 9 })), { maxLength: 600 }), (ops) => {
        const set = new LiveRanges();
        for (const [ins, page, pages] of ops) {
          const start = page * 4096;
          if (ins) {
            const clash = set.tryInsert(start, start + pages * 4096, start, 0);
            if (clash === null) assert.equal(set.find(start)?.start, start);
          } else set.remove(start, start + pages * 4096);
        }
        const a: number[] = [];
        set.forEach((r) => {
          a.push(r.start, r.end);
        });
        const b: number[] = [];
        for (const r of set.ranges()) b.push(r.start, r.end);
        assert.deepEqual(a, b);
        assert.equal(a.length / 2, set.size);
      }),
      { numRuns: 200 },
    );
  });
});
