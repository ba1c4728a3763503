// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era } from "../../src/core/era.ts";
import { mtkV7sConfig } from "../../src/dma/iommu-core.ts";
import { formatFtraceLine, formatTracePayload, TraceBuffer } from "../../src/dma/trace.ts";
import { GFP_ATOMIC, GFP_DMA32, GFP_KERNEL, gfp } from "../../src/mm/gfp.ts";
import {
  IOMMU_READ,
  IOMMU_WRITE,
  QUIRK_ARM_MTK_EXT,
  QUIRK_ARM_NS,
  QUIRK_NO_PERMS,
  QUIRK_V419_ARM_MTK_4GB,
  QUIRK_V419_TLBI_ON_MAP,
} from "../../src/pgtable/types.ts";
import { arenaRig } from "./rig.ts";

const RW = IOMMU_READ | IOMMU_WRITE;

describe("mtk_iommu domain config", () => {
  it("latest: ARM_NS|NO_PERMS|MTK_EXT, oas 33 in 4GB mode; v4.19: TLBI_ON_MAP and ARM_MTK_4GB, oas 32", () => {
    const l = mtkV7sConfig(era("latest"), true);
    assert.equal(l.quirks, QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_ARM_MTK_EXT);
    assert.deepEqual([l.ias, l.oas, l.pgsizeBitmap, l.coherentWalk], [32, 33, 0x0111_1000, false]);
    const o = mtkV7sConfig(era("v4.19"), true);
    assert.equal(o.quirks, QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_V419_TLBI_ON_MAP | QUIRK_V419_ARM_MTK_4GB);
    assert.deepEqual([o.ias, o.oas], [32, 32]);
  });

  it("writes the table's TTBR to PT_BASE at attach", () => {
    const { domain, hw } = arenaRig("latest");
    assert.equal(hw.ptBaseRegister, domain.table.out.ttbr);
  });
});

describe("iommu_map / iommu_unmap", () => {
  it("maps a page, flushes its range (iotlb_sync_map), traces the CPU PA and translates it in 4GB mode", () => {
    const { domain, hw, trace } = arenaRig("latest");
    assert.deepEqual(domain.map(0xff7f_f000, 0x4812_3000, 0x1000, RW, GFP_ATOMIC), { ret: 0, mapped: 0x1000, rolledBack: 0 });
    // mtk_iommu_map ORed bit 32 into the PTE's PA; iova_to_phys takes it off again above the remap base.
    assert.equal(domain.table.iovaToPhys(0xff7f_f000), 0x1_4812_3000);
    assert.equal(domain.iovaToPhys(0xff7f_f123), 0x4812_3123);
    const t = hw.probe(0xff7f_f000);
    assert.ok(t.ok);
    assert.equal(t.pa, 0x4812_3000);
    assert.deepEqual(domain.flushLog, [{ kind: "range", start: 0xff7f_f000, end: 0xff7f_ffff, cause: "sync-map", skipped: false }]);
    assert.deepEqual(trace.events, [{ kind: "map", iova: 0xff7f_f000, paddr: 0x4812_3000, size: 0x1000 }]);
  });

  it("v4.19: masks paddr to 32 bits with ARM_MTK_4GB, flushes from TLBI_ON_MAP, ORs bit 32 in iova_to_phys", () => {
    const { domain, hw } = arenaRig("v4.19");
    assert.equal(domain.map(0x1000_0000, 0x1_2000_0000, 0x1000, RW, GFP_ATOMIC).ret, 0);
    assert.equal(domain.table.iovaToPhys(0x1000_0000), 0x2000_0000);
    assert.equal(domain.iovaToPhys(0x1000_0000), 0x1_2000_0000);
    assert.ok(hw.probe(0x1000_0000).ok);
    assert.deepEqual(
      domain.flushLog.map((f) => [f.cause, f.start, f.end]),
      [["tlbi-on-map", 0x1000_0000, 0x1000_0fff]],
    );
    assert.equal(domain.counters.tlbSyncs, 1);
  });

  it("maps 3 MiB of 1M-aligned memory as sections in one map_pages call (no L2 table)", () => {
    const { domain, hw } = arenaRig("latest");
    assert.equal(domain.map(0x2000_0000, 0x5000_0000, 0x30_0000, RW, GFP_KERNEL).ret, 0);
    assert.equal(domain.table.l2TablesLive(), 0);
    for (let i = 0; i < 3; i++) {
      const t = hw.probe(0x2000_0000 + i * 0x10_0000);
      assert.ok(t.ok && t.pageSize === 0x10_0000);
    }
  });

  it("unmaps a 1M-aligned 1M of 4K pages with one 1M unmap, which frees the L2 table", () => {
    const { domain } = arenaRig("latest");
    // PA 4K past a 64K boundary: every piece is a 4K page, 256 of them in one L2 table.
    assert.equal(domain.map(0x2000_0000, 0x5000_1000, 0x10_0000, RW, GFP_KERNEL).ret, 0);
    assert.equal(domain.table.l2TablesLive(), 1);
    assert.equal(domain.unmap(0x2000_0000, 0x10_0000), 0x10_0000);
    assert.equal(domain.table.l2TablesLive(), 0);
    assert.equal(domain.iovaToPhys(0x2000_0000), 0);
  });

  it("rejects an unaligned request with the kernel's pr_err text and -EINVAL", () => {
    const { domain, trace } = arenaRig("latest");
    assert.deepEqual(domain.map(0x1000_0800, 0x5000_0000, 0x1000, RW, GFP_ATOMIC), { ret: -22, mapped: 0, rolledBack: 0 });
    assert.deepEqual(domain.drainMessages(), [{ level: "err", text: "unaligned: iova 0x10000800 pa 0x0000000050000000 size 0x1000 min_pagesz 0x1000" }]);
    assert.equal(domain.unmap(0x1000_0000, 0x800), 0);
    assert.deepEqual(domain.drainMessages(), [{ level: "err", text: "unaligned: iova 0x10000000 size 0x800 min_pagesz 0x1000" }]);
    assert.deepEqual(trace.events, []);
  });

  it("v4.19: an unaligned unmap logs pr_err and returns 0 before iotlb_sync and trace_unmap (4.19.0 __iommu_unmap)", () => {
    const { domain, trace } = arenaRig("v4.19");
    const syncs = domain.counters.tlbSyncs;
    assert.equal(domain.unmap(0x1000_0800, 0x1000), 0);
    assert.equal(domain.counters.tlbSyncs, syncs);
    assert.equal(trace.events.length, 0);
    assert.deepEqual(domain.messages.at(-1), { level: "err", text: "unaligned: iova 0x10000800 size 0x1000 min_pagesz 0x1000" });
  });

  it("latest refuses zone gfp bits (WARN_ON_ONCE, -EINVAL); v4.19 has no gfp check", () => {
    const latest = arenaRig("latest").domain;
    assert.equal(latest.map(0x1000_0000, 0x5000_0000, 0x1000, RW, gfp(GFP_KERNEL, GFP_DMA32)).ret, -22);
    assert.match(latest.drainMessages()[0]?.text ?? "", /WARN_ON_ONCE: gfp & \(__GFP_COMP/);
    assert.equal(arenaRig("v4.19").domain.map(0x1000_0000, 0x5000_0000, 0x1000, RW, gfp(GFP_KERNEL, GFP_DMA32)).ret, 0);
  });

  for (const eraName of ["latest", "v4.19"] as const) {
    it(`${eraName}: rolls back the pages mapped before an -EEXIST`, () => {
      const { domain, trace } = arenaRig(eraName);
      assert.equal(domain.map(0x1000_2000, 0x5100_0000, 0x1000, RW, GFP_ATOMIC).ret, 0);
      trace.events.length = 0;
      // 4 pages at 0x1000_0000: the first two map, the third hits the existing page.
      const r = domain.map(0x1000_0000, 0x5000_0000, 0x4000, RW, GFP_ATOMIC);
      assert.deepEqual(r, { ret: -17, mapped: 0x2000, rolledBack: 0x2000 });
      assert.equal(domain.iovaToPhys(0x1000_0000), 0);
      assert.equal(domain.iovaToPhys(0x1000_1000), 0);
      assert.equal(domain.iovaToPhys(0x1000_2000) % 2 ** 32, 0x5100_0000);
      assert.equal(domain.counters.mapFailures, 1);
      // No trace_map for the failed call; the rollback's iommu_unmap traces itself.
      assert.deepEqual(trace.events, [{ kind: "unmap", iova: 0x1000_0000, size: 0x2000, unmapped: 0x2000 }]);
      assert.ok(
        domain.messages.some((m) => m.level === "warn"),
        "the engine WARNs on -EEXIST outside the selftest",
      );
    });
  }

  it("unmap stops at a hole, still traces requested and actual sizes and flushes the gathered range", () => {
    const { domain, trace } = arenaRig("latest");
    domain.map(0x1000_0000, 0x5000_0000, 0x2000, RW, GFP_ATOMIC);
    domain.flushLog.length = 0;
    // [0x1000_0000, +16K): pgsize 4K x 4 in one unmap_pages call that stops after two pages.
    assert.equal(domain.unmap(0x1000_0000, 0x4000), 0x2000);
    assert.deepEqual(trace.events.at(-1), { kind: "unmap", iova: 0x1000_0000, size: 0x4000, unmapped: 0x2000 });
    assert.deepEqual(domain.flushLog, [{ kind: "range", start: 0x1000_0000, end: 0x1000_3fff, cause: "iotlb-sync", skipped: false }]);
  });

  it("v4.19 unmap flushes each cleared leaf through tlb_add_flush; iotlb_sync only polls", () => {
    const { domain } = arenaRig("v4.19");
    domain.map(0x1000_0000, 0x5000_0000, 0x2000, RW, GFP_ATOMIC);
    domain.flushLog.length = 0;
    assert.equal(domain.unmap(0x1000_0000, 0x2000), 0x2000);
    assert.deepEqual(
      domain.flushLog.map((f) => [f.cause, f.start, f.end]),
      [
        ["leaf", 0x1000_0000, 0x1000_0fff],
        ["leaf", 0x1000_1000, 0x1000_1fff],
      ],
    );
  });

  it("a skipped unmap flush leaves a stale translation in the M4U TLB", () => {
    for (const skip of [false, true]) {
      const { domain, hw } = arenaRig("latest", { skipFlush: { unmap: skip } });
      domain.map(0x1000_0000, 0x5000_0000, 0x1000, RW, GFP_ATOMIC);
      assert.ok(hw.translate(0x1000_0000, "read").ok); // fills the TLB
      domain.unmap(0x1000_0000, 0x1000);
      const t = hw.translate(0x1000_0000, "read");
      assert.equal(t.ok, skip, skip ? "stale TLB entry still translates" : "flushed: the walk faults");
      if (t.ok) assert.equal(t.fromTlb, true);
      assert.equal(domain.counters.skippedFlushes, skip ? 1 : 0);
    }
  });
});

describe("iommu_map_sg", () => {
  const entries = [
    { phys: 0x5000_0000, length: 0x2000 },
    { phys: 0x5000_2000, length: 0x2000 },
    { phys: 0x6000_0000, length: 0x1000 },
  ];

  it("latest: merges physically contiguous entries into one iommu_map each, one sync over the span", () => {
    const { domain, trace } = arenaRig("latest");
    assert.equal(domain.mapSg(0x1000_0000, entries, RW, GFP_ATOMIC), 0x5000);
    assert.deepEqual(trace.events, [
      { kind: "map", iova: 0x1000_0000, paddr: 0x5000_0000, size: 0x4000 },
      { kind: "map", iova: 0x1000_4000, paddr: 0x6000_0000, size: 0x1000 },
    ]);
    assert.deepEqual(
      domain.flushLog.map((f) => [f.cause, f.start, f.end]),
      [["sync-map", 0x1000_0000, 0x1000_4fff]],
    );
    assert.equal(domain.iovaToPhys(0x1000_4000), 0x6000_0000);
  });

  it("v4.19: one iommu_map per entry (default_iommu_map_sg)", () => {
    const { domain, trace } = arenaRig("v4.19");
    assert.equal(domain.mapSg(0x1000_0000, entries, RW, GFP_ATOMIC), 0x5000);
    assert.equal(trace.events.length, 3);
  });

  it("unmaps everything mapped so far when a run fails", () => {
    const { domain } = arenaRig("latest");
    domain.map(0x1000_4000, 0x7000_0000, 0x1000, RW, GFP_ATOMIC);
    assert.equal(domain.mapSg(0x1000_0000, entries, RW, GFP_ATOMIC), -17);
    assert.equal(domain.iovaToPhys(0x1000_0000), 0);
    assert.equal(domain.iovaToPhys(0x1000_4000), 0x7000_0000);
  });
});

describe("iommu tracepoints", () => {
  const map = { kind: "map", iova: 0xff7f_f000, paddr: 0x4012_3000, size: 4096 } as const;
  const unmap = { kind: "unmap", iova: 0xff7f_f000, size: 8192, unmapped: 4096 } as const;

  it("prints the old (4.19/5.x) TP_printk text", () => {
    assert.equal(formatTracePayload(map, "old"), "IOMMU: iova=0x00000000ff7ff000 paddr=0x0000000040123000 size=4096");
    assert.equal(formatTracePayload(unmap, "old"), "IOMMU: iova=0x00000000ff7ff000 size=8192 unmapped_size=4096");
  });

  it("prints the range TP_printk text with the end address iova + size", () => {
    assert.equal(formatTracePayload(map, "range"), "IOMMU: iova=0x00000000ff7ff000 - 0x00000000ff800000 paddr=0x0000000040123000 size=4096");
    assert.equal(formatTracePayload(unmap, "range"), "IOMMU: iova=0x00000000ff7ff000 - 0x00000000ff801000 size=8192 unmapped_size=4096");
  });

  it("formats whole ftrace lines with a deterministic clock", () => {
    assert.equal(
      formatFtraceLine(map, "range", 0, { comm: "kworker/0:1", pid: 42, cpu: 1 }),
      "     kworker/0:1-42      [001] .....   100.000000: map: IOMMU: iova=0x00000000ff7ff000 - 0x00000000ff800000 paddr=0x0000000040123000 size=4096",
    );
    assert.equal(
      formatFtraceLine(unmap, "old", 12345, { comm: "mtk-mdp", pid: 1234, cpu: 3, flags: "d..1" }),
      "         mtk-mdp-1234  [003] d..1   100.123450: unmap: IOMMU: iova=0x00000000ff7ff000 size=8192 unmapped_size=4096",
    );
    // Per era: 4.19 "%-5d" + 4 flags, 5.10 "%-7d" + 4 flags (old payload), 6.6 "%-7d" + 5 flags.
    assert.equal(
      formatFtraceLine(unmap, era("v4.19"), 0, { pid: 42 }),
      "     kworker/0:1-42    [000] ....   100.000000: unmap: IOMMU: iova=0x00000000ff7ff000 size=8192 unmapped_size=4096",
    );
    assert.equal(
      formatFtraceLine(unmap, era("v5.10"), 0, { pid: 42 }),
      "     kworker/0:1-42      [000] ....   100.000000: unmap: IOMMU: iova=0x00000000ff7ff000 size=8192 unmapped_size=4096",
    );
    assert.equal(formatFtraceLine(map, era("v6.6"), 0, { pid: 42, cpu: 1 }), formatFtraceLine(map, "range", 0, { pid: 42, cpu: 1 }));
    const buf = new TraceBuffer();
    buf.emit(map);
    buf.emit(unmap);
    assert.deepEqual(buf.lines("old"), buf.lines("old"));
    assert.match(buf.lines("old")[1] ?? "", / {3}100\.000010: unmap: /);
  });
});
