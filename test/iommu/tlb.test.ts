// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import { Tlb, tlbAddrDecode, tlbAddrRegister } from "../../src/iommu/tlb.ts";
import type { Translation } from "../../src/iommu/types.ts";
import type { Leaf } from "../../src/iommu/walker.ts";
import { elm4g, memory, mtkSection, mtkSmall, setL1, setL2, tableDesc } from "./fixtures.ts";

const L1 = 0x4000_4000;
const L2 = 0x4010_0400;

function pa(t: Translation): number {
  assert.ok(t.ok, `expected a translation, got ${JSON.stringify(t)}`);
  return t.pa;
}

/** elm 4 GiB, 4GB mode, with 4K pages at IOVA 0x1000_0000 + i*4K -> CPU 0x5000_0000 + i*4K and a section. */
function setup(overrides: Parameters<typeof mt8173Config>[1] = {}) {
  const phys = elm4g();
  const m4u = new M4u(phys, mt8173Config(true, overrides));
  m4u.writePtBase(L1);
  setL1(phys, L1, 0x1000_0000, tableDesc(L2));
  for (let i = 0; i < 16; i++) setL2(phys, L2, 0x1000_0000 + i * 0x1000, mtkSmall(0x1_5000_0000 + i * 0x1000));
  setL1(phys, L1, 0x2000_0000, mtkSection(0x1_6000_0000));
  return { phys, m4u };
}

describe("TLB through the M4U", () => {
  it("a miss walks (2 descriptor reads), a hit reads zero descriptors and has no steps", () => {
    const { m4u } = setup();
    const first = m4u.translate(0x1000_1008, "read");
    assert.equal(pa(first), 0x5000_1008);
    assert.ok(first.ok && !first.fromTlb && first.steps.length === 2);
    assert.equal(m4u.counters().descriptorReads, 2);
    const again = m4u.translate(0x1000_1ffc, "write");
    assert.equal(pa(again), 0x5000_1ffc);
    assert.ok(again.ok && again.fromTlb && again.steps.length === 0);
    const c = m4u.counters();
    assert.deepEqual([c.descriptorReads, c.walks, c.tlbHits, c.tlbMisses, c.translations], [2, 1, 1, 1, 2]);
  });

  it("entries are tagged with the mapping size: a 1 MiB section is one entry for the whole MiB", () => {
    const { m4u } = setup();
    pa(m4u.translate(0x2000_0000, "read"));
    assert.equal(pa(m4u.translate(0x200f_fff0, "read")), 0x600f_fff0);
    assert.equal(m4u.counters().walks, 1);
    assert.equal(m4u.tlbEntries()[0]?.pageSize, 0x10_0000);
  });

  it("a range flush covering the page makes the next access walk again", () => {
    const { m4u } = setup();
    pa(m4u.translate(0x1000_2000, "read"));
    m4u.flushRange(0x1000_2000, 0x1000_2fff);
    assert.equal(m4u.tlbEntries().length, 0);
    const t = m4u.translate(0x1000_2000, "read");
    assert.ok(t.ok && !t.fromTlb);
    assert.equal(m4u.counters().walks, 2);
  });

  it("a flush outside the range keeps the entry; END names the last page (inclusive to its end)", () => {
    const { m4u } = setup();
    pa(m4u.translate(0x1000_2000, "read"));
    pa(m4u.translate(0x1000_3000, "read"));
    m4u.flushRange(0x1000_4000, 0x1000_8fff);
    assert.equal(m4u.tlbEntries().length, 2);
    m4u.flushRange(0x1000_1000, 0x1000_2001);
    assert.deepEqual(
      m4u.tlbEntries().map((e) => e.iovaBase),
      [0x1000_3000],
    );
  });

  it("a 4 KiB range flush inside a section drops the whole 1 MiB entry", () => {
    const { m4u } = setup();
    pa(m4u.translate(0x2000_0000, "read"));
    m4u.flushRange(0x2008_0000, 0x2008_0fff);
    assert.equal(m4u.tlbEntries().length, 0);
  });

  it("a skipped flush leaves a stale translation: the device still reaches the old PA after the PTE is cleared", () => {
    const { phys, m4u } = setup();
    assert.equal(pa(m4u.translate(0x1000_5000, "write")), 0x5000_5000);
    setL2(phys, L2, 0x1000_5000, 0); // unmap in memory, no iotlb_sync
    assert.equal(pa(m4u.translate(0x1000_5010, "write")), 0x5000_5010, "stale TLB entry");
    const p = m4u.probe(0x1000_5010);
    assert.ok(!p.ok && p.fault.type === "translation", "probe walks memory and sees the unmap");
    m4u.flushRange(0x1000_5000, 0x1000_5fff);
    const after = m4u.translate(0x1000_5010, "write");
    assert.ok(!after.ok && after.fault.type === "translation" && after.fault.level === 2);
  });

  it("flushAll drops everything", () => {
    const { m4u } = setup();
    for (let i = 0; i < 8; i++) pa(m4u.translate(0x1000_0000 + i * 0x1000, "read"));
    pa(m4u.translate(0x2000_0000, "read"));
    m4u.flushAll();
    assert.equal(m4u.tlbEntries().length, 0);
    assert.equal(m4u.counters().fullFlushes, 1);
    assert.equal(m4u.counters().tlbInvalidated, 9);
  });

  it("LRU replacement at capacity", () => {
    const { m4u } = setup({ tlbEntries: 2 });
    pa(m4u.translate(0x1000_0000, "read")); // A
    pa(m4u.translate(0x1000_1000, "read")); // B
    pa(m4u.translate(0x1000_0000, "read")); // touch A
    pa(m4u.translate(0x1000_2000, "read")); // C evicts B
    assert.deepEqual(
      m4u.tlbEntries().map((e) => e.iovaBase),
      [0x1000_0000, 0x1000_2000],
    );
    assert.equal(m4u.counters().tlbEvictions, 1);
  });

  it("faults are not cached: the next access to an unmapped page walks again", () => {
    const { m4u } = setup();
    assert.ok(!m4u.translate(0x3000_0000, "read").ok);
    assert.ok(!m4u.translate(0x3000_0000, "read").ok);
    assert.equal(m4u.counters().walks, 2);
    assert.equal(m4u.counters().faults.translation, 2);
    assert.equal(m4u.faults.length, 2);
  });
});

describe("TLB registers and the bare Tlb", () => {
  it("MTK_IOMMU_TLB_ADDR: page bits 31:12 with IOVA bits 34:32 in bits 2:0", () => {
    assert.equal(tlbAddrRegister(0x1234_5678), 0x1234_5000);
    assert.equal(tlbAddrRegister(0x2_1234_5678), 0x1234_5002);
    assert.equal(tlbAddrDecode(0x1234_5002), 0x2_1234_5000);
  });

  it("ias 34: a range flush above 4 GiB reaches the right entries only", () => {
    const phys = memory([{ start: 0x4000_0000, end: 0x2_0000_0000 }]);
    const m4u = new M4u(phys, mt8173Config(false, { ias: 34 }));
    const l1 = 0x4001_0000;
    m4u.writePtBase(l1);
    setL1(phys, l1, 0x1_0010_0000, mtkSection(0x5000_0000), 34);
    setL1(phys, l1, 0x0010_0000, mtkSection(0x6000_0000), 34);
    pa(m4u.translate(0x1_0010_0000, "read"));
    pa(m4u.translate(0x0010_0000, "read"));
    m4u.flushRange(0x1_0010_0000, 0x1_0010_0fff);
    assert.deepEqual(
      m4u.tlbEntries().map((e) => e.iovaBase),
      [0x0010_0000],
    );
  });

  it("a finer entry wins when sizes overlap, and invalidation counts", () => {
    const tlb = new Tlb(4);
    const leaf = (iovaBase: number, pageSize: number, paBase: number): Leaf => ({
      iovaBase,
      pageSize,
      paBase,
      busPaBase: paBase,
      writable: true,
      level: pageSize >= 0x10_0000 ? 1 : 2,
      descriptorPa: 0,
      descriptor: 0,
    });
    tlb.fill(leaf(0x10_0000, 0x10_0000, 0x8000_0000));
    tlb.fill(leaf(0x10_1000, 0x1000, 0x9000_0000));
    assert.equal(tlb.lookup(0x10_1004)?.paBase, 0x9000_0000);
    assert.equal(tlb.lookup(0x10_2004)?.paBase, 0x8000_0000);
    assert.equal(tlb.invalidateRange(0x10_1000, 0x10_1fff), 2);
    assert.equal(tlb.size, 0);
    assert.throws(() => tlb.fill(leaf(0, 0x2000, 0)), RangeError);
    assert.throws(() => new Tlb(0), RangeError);
  });
});

describe("walk cache (a table-pointer cache: what makes tlb_flush_walk matter)", () => {
  it("a second page in the same MiB reads only the L2 descriptor", () => {
    const { m4u } = setup({ walkCacheEntries: 4 });
    pa(m4u.translate(0x1000_0000, "read"));
    const t = m4u.translate(0x1000_1000, "read");
    assert.ok(t.ok && t.steps.length === 2 && t.steps[0]?.cached === true && t.steps[1]?.cached === undefined);
    assert.equal(m4u.counters().descriptorReads, 3);
    assert.equal(m4u.counters().walkCacheHits, 1);
  });

  it("without a walk flush a replaced L2 table is still walked; a range flush over its MiB cures it", () => {
    const { phys, m4u } = setup({ walkCacheEntries: 4 });
    pa(m4u.translate(0x1000_0000, "read"));
    // The engine frees the L2 table and installs a new one (or a section) without a flush.
    const newL2 = 0x4020_0000;
    setL1(phys, L1, 0x1000_0000, tableDesc(newL2));
    setL2(phys, newL2, 0x1000_7000, mtkSmall(0x1_7000_0000));
    assert.equal(pa(m4u.translate(0x1000_7000, "read")), 0x5000_7000, "old table via the cached pointer");
    m4u.flushRange(0x1000_0000, 0x1000_0fff); // any range inside the MiB drops the cached pointer
    assert.equal(m4u.walkCacheEntries().length, 0);
    m4u.flushRange(0x1000_7000, 0x1000_7fff);
    assert.equal(pa(m4u.translate(0x1000_7000, "read")), 0x7000_0000);
  });
});
