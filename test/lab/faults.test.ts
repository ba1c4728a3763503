// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fault attribution: each device fault gets the last traced map and unmap that covered its IOVA and
 * the model's verdict at that moment. One pinned case of each kind (unmapped, stale TLB, bad table
 * pointer), a pasted mtk-iommu line placed by its timestamp, and the bounded history itself.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { openTrace } from "../../src/cli/trace-input.ts";
import { runExperiment, runExperimentSync, runExperiments, type StopRule } from "../../src/lab/experiment.ts";
import { FaultHistory } from "../../src/lab/observers/fault-history.ts";
import type { Observer } from "../../src/lab/observers/observer.ts";
import { eventListSource, traceSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec, type RunSpec } from "../../src/lab/spec.ts";
import { bootSystem } from "../../src/lab/system.ts";
import type { FaultAttribution } from "../../src/lab/types.ts";
import { GFP_DMA, GFP_KERNEL, gfp } from "../../src/mm/gfp.ts";
import type { WorkloadEvent } from "../../src/workload/events.ts";
import { parseFaults, type DeviceFault } from "../../src/workload/faults.ts";

const machine: MachineSpec = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", backgroundChurn: 0 };
const spec = (strategy: string, fitCheck = true): RunSpec => ({ machine, variant: variant(strategy, { fitCheck }) });
const IOVA = 0x1000_0000;
const PA = 0x5000_0000;

const map = (line: number, iova = IOVA, size = 0x1000, paddr = PA): WorkloadEvent => ({ type: "iommuMap", iova, paddr, size, line });
const unmap = (line: number, iova = IOVA, size = 0x1000): WorkloadEvent => ({ type: "iommuUnmap", iova, size, unmappedSize: size, line });
function traceFault(line: number, iova = IOVA, write = true): WorkloadEvent {
  const fault: DeviceFault = { iova, write, origin: "trace", line, timestamp: null, device: "14018000.larb", mtk: null };
  return { type: "iommuFault", fault, line };
}

function only(faults: readonly FaultAttribution[] | undefined): FaultAttribution {
  assert.equal(faults?.length, 1, "one attributed fault");
  return faults[0] as FaultAttribution;
}

describe("fault attribution: one pinned case of each kind", () => {
  it("unmapped: the trace unmapped the page (flushed) before the device touched it; the walk faults", () => {
    const run = runExperimentSync(spec("slab-dma32"), eventListSource([map(1), unmap(2), traceFault(3)], { mode: "replay" }));
    const f = only(run.result.deviceFaults);
    assert.equal(f.verdict, "unmapped");
    assert.equal(f.modelFaults, true);
    assert.equal(f.walkFault, "translation");
    assert.equal(f.tlbPa, null);
    assert.deepEqual([f.lastMap?.line, f.lastMap?.paddr, f.lastUnmap?.line], [1, PA, 2]);
    assert.equal(f.evaluatedAt, "stream");
    assert.equal(f.afterLine, 2);
    assert.match(f.reason, /unmapped at line 2 after the map at line 1/);
    // Judging probes without a fault record: the run's own fault count is untouched.
    assert.equal(run.result.faults, 0);
    assert.equal(run.stop.events, 3);
  });

  it("stale-tlb: the device read the page (TLB fill), the unmap's flush was skipped; the TLB still translates", () => {
    const sys = bootSystem(spec("slab-dma32"));
    assert.ok(sys.domain.ok);
    sys.domain.domain.skipFlush = { unmap: true };
    // The device's read after the map: a translation through the M4U, which fills its TLB.
    const device: Observer<null> = {
      settled: (events) => {
        if (events === 1) assert.ok(sys.m4u.translate(IOVA, "read").ok);
      },
      finish: () => null,
    };
    const run = runExperimentSync(sys, eventListSource([map(1), unmap(2), traceFault(3)], { mode: "replay" }), { observers: () => [device] });
    const f = only(run.result.deviceFaults);
    assert.equal(f.verdict, "stale-tlb");
    assert.equal(f.modelFaults, false, "the stale entry serves the access: the model's device does not fault");
    assert.equal(f.tlbPa, PA);
    assert.equal(f.walkPa, null);
    assert.equal(f.walkFault, "translation");
    assert.deepEqual([f.lastMap?.line, f.lastUnmap?.line], [1, 2]);
    assert.match(f.reason, /the flush of the unmap at line 2 did not reach it/);
  });

  it("bad-table-pointer: fit check off, the L2 table lies above 4 GiB and L1 holds its truncated address", () => {
    // The domain probes after the background load (its L1 lands below 4 GiB); then the rest of the
    // kernel takes every page below 4 GiB, so the first L2 table comes from above.
    const sys = bootSystem({ machine, variant: variant("legacy-gfp-dma", { fitCheck: false, domainTiming: "after-background" }) });
    for (;;) {
      const pa = sys.km.buddy.allocPages(gfp(GFP_KERNEL, GFP_DMA), 0, "test:low-memory-hog");
      if (pa === null || pa >= 2 ** 32) break;
    }
    const run = runExperimentSync(sys, eventListSource([map(1), traceFault(2)], { mode: "replay" }));
    assert.ok(sys.domain.ok);
    const l1 = sys.domain.domain.table.lookupL1(IOVA);
    assert.ok(l1.tablePa !== null && l1.tablePa >= 2 ** 32, "this machine's first L2 table lands above 4 GiB");
    const f = only(run.result.deviceFaults);
    assert.equal(f.verdict, "bad-table-pointer");
    assert.equal(f.modelFaults, true);
    assert.equal(f.walkFault, "walk-bus-error", "the truncated pointer is below RAM");
    assert.equal(f.lastMap?.line, 1);
    assert.equal(f.lastUnmap, null);
    assert.ok(f.reason.includes(`points to 0x${(l1.tablePa - 2 ** 32).toString(16)} but its L2 table is at 0x${l1.tablePa.toString(16)}`), f.reason);
  });

  it("bad-table-pointer: fit check off, the L1 table lies above 4 GiB and PT_BASE holds its truncated address", () => {
    const sys = bootSystem(spec("legacy-gfp-dma", false));
    assert.ok(sys.domain.ok);
    const l1Pa = sys.domain.domain.table.out.pgdPhys;
    assert.ok(l1Pa >= 2 ** 32 && sys.m4u.l1TablePa !== l1Pa, "this machine's L1 table lands above 4 GiB");
    const run = runExperimentSync(sys, eventListSource([map(1), traceFault(2)], { mode: "replay" }));
    const f = only(run.result.deviceFaults);
    assert.equal(f.verdict, "bad-table-pointer");
    assert.equal(f.modelFaults, true);
    assert.ok(f.reason.includes(`but the L1 table is at 0x${l1Pa.toString(16)}`), f.reason);
  });

  it("mapped: a fault on a page the tables map is not explained by them", () => {
    const run = runExperimentSync(spec("slab-dma32"), eventListSource([map(1), traceFault(2)], { mode: "replay" }));
    const f = only(run.result.deviceFaults);
    assert.equal(f.verdict, "mapped");
    assert.equal(f.walkPa, PA);
    assert.equal(f.modelFaults, false);
  });

  it("a scenario run (no trace) carries no deviceFaults", () => {
    const run = runExperimentSync(spec("slab-dma32"), eventListSource([map(1)]));
    assert.equal(run.result.deviceFaults, undefined);
  });
});

describe("fault attribution from files: a trace with io_page_fault lines and a pasted mtk-iommu line", () => {
  const tmp = mkdtempSync(join(tmpdir(), "iommu-lab-faults-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const hdr = (ts: string): string => `  vdec-1234  [001] d..1. ${ts}: `;
  const trace = [
    "# tracer: nop",
    `${hdr("10.000000")}map: IOMMU: iova=0x0000000010000000 paddr=0x0000000050000000 size=16384`,
    `${hdr("11.000000")}unmap: IOMMU: iova=0x0000000010000000 size=16384 unmapped_size=16384`,
    `${hdr("13.000000")}map: IOMMU: iova=0x0000000010000000 paddr=0x0000000060000000 size=4096`,
    `${hdr("14.000000")}io_page_fault: IOMMU:mtk-iommu 14018000.larb iova=0x0000000010003000 flags=0x0001`,
    `${hdr("15.000000")}unmap: IOMMU: iova=0x0000000010000000 size=4096 unmapped_size=4096`,
    "",
  ].join("\n");
  const dmesg = [
    "[   12.500000] mtk-iommu 10205000.iommu: fault type=0x5 iova=0x10001003 pa=0x0 larb=4 port=2 layer=1 write",
    "mtk-iommu 10205000.iommu: fault type=0x5 iova=0x10000000 pa=0x0 larb=4 port=2 layer=0 read",
    "",
  ].join("\n");
  const tracePath = join(tmp, "trace.txt");
  writeFileSync(tracePath, trace);

  async function attribute(): Promise<FaultAttribution[]> {
    const input = openTrace(tracePath, { skipMalformed: false, progress: false, faults: true });
    const pasted = parseFaults(dmesg, "dmesg.txt");
    const run = await runExperiment(
      spec("slab-dma32"),
      traceSource(input.name, () => input.batches(), { pastedFaults: pasted }),
    );
    return [...(run.result.deviceFaults ?? [])];
  }

  it("places the timestamped dmesg line before the first traced call after it, and names its covering map and unmap", async () => {
    const faults = await attribute();
    const d = faults.find((f) => f.origin === "dmesg" && f.line === 1);
    assert.ok(d !== undefined);
    assert.equal(d.iova, 0x1000_1000, "the register's layer and write bits are not address");
    assert.equal(d.write, true);
    assert.equal(d.evaluatedAt, "timestamp");
    assert.equal(d.afterLine, 3, "judged after the unmap at 11 s, before the map at 13 s");
    assert.deepEqual([d.lastMap?.line, d.lastMap?.ts, d.lastUnmap?.line, d.lastUnmap?.ts], [2, 10, 3, 11]);
    assert.equal(d.verdict, "unmapped");
  });

  it("judges the trace's own io_page_fault line at its place in the stream", async () => {
    const f = (await attribute()).find((x) => x.origin === "trace");
    assert.ok(f !== undefined);
    assert.deepEqual(
      [f.line, f.iova, f.evaluatedAt, f.afterLine, f.lastMap?.line, f.lastUnmap?.line, f.verdict],
      [5, 0x1000_3000, "stream", 4, 2, 3, "unmapped"],
    );
  });

  it("judges once per source: several systems fed together get each the verdicts a lone run gets, under every stop rule", async () => {
    const open = () => {
      const input = openTrace(tracePath, { skipMalformed: false, progress: false, faults: true });
      return traceSource(input.name, () => input.batches(), { pastedFaults: parseFaults(dmesg, "dmesg.txt") });
    };
    const specs = [spec("slab-dma32"), spec("legacy-gfp-dma"), spec("page-frag", false)];
    // Faults judged: both dmesg lines always (the late one after the last replayed call), the trace's own
    // line (line 5, the 4th event) only when the run reaches it.
    const rules: [StopRule, number][] = [
      [{ kind: "end" }, 3],
      [{ kind: "after-line", line: 3 }, 2],
      [{ kind: "after-events", events: 4 }, 3],
      [{ kind: "after-events", events: 3 }, 2],
    ];
    for (const [until, judged] of rules) {
      const together = await runExperiments(specs, open(), { until });
      for (const [i, s] of specs.entries()) {
        const alone = await runExperiment(s, open(), { until });
        assert.deepEqual(together[i]?.result.deviceFaults, alone.result.deviceFaults, `${s.variant.strategy}, ${until.kind}`);
        assert.deepEqual(together[i]?.stop, alone.stop);
      }
      assert.equal(together[0]?.result.deviceFaults?.length, judged, JSON.stringify(until));
    }
  });

  it("judges a dmesg line without a timestamp after the whole replay, and says so", async () => {
    const f = (await attribute()).find((x) => x.origin === "dmesg" && x.line === 2);
    assert.ok(f !== undefined);
    assert.equal(f.evaluatedAt, "end");
    assert.equal(f.afterLine, 6);
    assert.deepEqual([f.lastMap?.line, f.lastMap?.paddr, f.lastUnmap?.line], [4, 0x6000_0000, 6]);
    assert.match(f.reason, /after the last replayed call: the line has no timestamp/);
  });
});

describe("FaultHistory", () => {
  it("keeps the last map and unmap per IOVA page, and its call records bounded by the pages touched, not the trace's length", () => {
    const h = new FaultHistory();
    const call = (line: number, iova: number, size: number) => ({ line, ts: null, iova, size, paddr: null });
    for (let i = 0; i < 10_000; i++) {
      h.mapped(call(2 * i + 1, 0x1000_0000, 0x4000));
      h.unmapped(call(2 * i + 2, 0x1000_0000, 0x4000));
    }
    assert.equal(h.calls, 2, "the last map and the last unmap; every earlier record was freed");
    assert.deepEqual([h.at(0x1000_2000).map?.line, h.at(0x1000_2000).unmap?.line], [19_999, 20_000]);
    assert.deepEqual(h.at(0x1000_4000), { map: null, unmap: null });
  });

  it("a hand-made unaligned call covers every page it touches", () => {
    const h = new FaultHistory();
    h.mapped({ line: 1, ts: 2.5, iova: 0x1000_0800, size: 0x1000, paddr: 0x5000_0800 });
    assert.deepEqual(h.at(0x1000_0000).map, { line: 1, ts: 2.5, iova: 0x1000_0800, size: 0x1000, paddr: 0x5000_0800 });
    assert.equal(h.at(0x1000_1fff).map?.line, 1);
    assert.equal(h.at(0x1000_2000).map, null);
  });

  it("agrees with a page-by-page model on random maps and unmaps", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ unmap: fc.boolean(), page: fc.integer({ min: 0, max: 600 }), pages: fc.integer({ min: 1, max: 300 }) }), { maxLength: 80 }),
        (ops) => {
          const h = new FaultHistory();
          const pages = new Map<number, { map: number | null; unmap: number | null }>();
          ops.forEach((op, i) => {
            const c = { line: i + 1, ts: null, iova: op.page * 0x1000, size: op.pages * 0x1000, paddr: null };
            if (op.unmap) h.unmapped(c);
            else h.mapped(c);
            for (let p = op.page; p < op.page + op.pages; p++) {
              const e = pages.get(p) ?? { map: null, unmap: null };
              pages.set(p, op.unmap ? { ...e, unmap: i + 1 } : { ...e, map: i + 1 });
            }
          });
          for (let p = 0; p < 1000; p++) {
            const got = h.at(p * 0x1000 + 0x10);
            const want = pages.get(p) ?? { map: null, unmap: null };
            assert.deepEqual([got.map?.line ?? null, got.unmap?.line ?? null], [want.map, want.unmap], `page ${p}`);
          }
          const held = new Set([...pages.values()].flatMap((e) => [e.map, e.unmap]).filter((x) => x !== null));
          assert.equal(h.calls, held.size, "a record is kept exactly while some page holds it");
        },
      ),
    );
  });
});
