// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { M4u, armV7sConfig, mt8173Config } from "../../src/iommu/m4u.ts";
import type { Translation } from "../../src/iommu/types.ts";
import { fourGbBusToCpu, ttbrToL1Base } from "../../src/iommu/walker.ts";
import { mtkHighBits } from "../../src/pgtable/format.ts";
import { arm64_8g, elm4g, flatMemory, memory, mtkSection, mtkSmall, setL1, setL2, tableDesc } from "./fixtures.ts";

function ok(t: Translation): Extract<Translation, { ok: true }> {
  assert.ok(t.ok, `expected a translation, got ${JSON.stringify(t)}`);
  return t;
}

function bad(t: Translation): Extract<Translation, { ok: false }> {
  assert.ok(!t.ok, `expected a fault, got ${JSON.stringify(t)}`);
  return t;
}

describe("walker: the worked PTEs of docs/kernel-facts.md#prot-to-pte (selftest config, permissions on)", () => {
  const L1 = 0x10_0000;
  const L2 = 0x20_0400;
  const phys = flatMemory();
  // 0x00000C7F small page at PA 0 and 0x01009C3D large page at PA 0x0100_0000, both under one L2 table.
  const l1a = setL1(phys, L1, 0x0000_0000, tableDesc(L2));
  const l2small = setL2(phys, L2, 0x0000_5000, 0x00000c7f);
  for (let i = 0; i < 16; i++) setL2(phys, L2, 0x0001_0000 + i * 0x1000, 0x01009c3d);
  const l1sec = setL1(phys, L1, 0x0200_0000, 0x020b1c1e);
  for (let i = 0; i < 16; i++) setL1(phys, L1, 0x0300_0000 + i * 0x10_0000, 0x030f1c1e);
  const m4u = new M4u(phys, armV7sConfig());
  m4u.writePtBase(L1 | 0x6a);

  it("small page: reads L1 at X then L2 at Y, offset from IOVA 11:0", () => {
    const t = ok(m4u.probe(0x0000_5abc));
    assert.deepEqual(
      t.steps.map((s) => [s.level, s.descriptorPa, s.descriptor, s.kind]),
      [
        [1, l1a, tableDesc(L2), "table"],
        [2, l2small, 0x00000c7f, "small"],
      ],
    );
    assert.equal(t.pa, 0x0000_0abc);
    assert.equal(t.pageSize, 0x1000);
    assert.equal(t.writable, true);
  });

  it("large page: 64 KiB, output bits 31:16", () => {
    const t = ok(m4u.probe(0x0001_f123));
    assert.equal(t.steps[1]?.kind, "large");
    assert.equal(t.steps[1]?.descriptorPa, L2 + 4 * 0x1f);
    assert.equal(t.pa, 0x0100_f123);
    assert.equal(t.pageSize, 0x10000);
  });

  it("section: one descriptor read, output bits 31:20", () => {
    const t = ok(m4u.probe(0x020f_ffff));
    assert.deepEqual(
      t.steps.map((s) => [s.level, s.descriptorPa, s.kind]),
      [[1, l1sec, "section"]],
    );
    assert.equal(t.pa, 0x020f_ffff);
    assert.equal(t.pageSize, 0x10_0000);
  });

  it("supersection: bit 18, output bits 31:24, 16 MiB", () => {
    const t = ok(m4u.probe(0x03ab_cdef));
    assert.equal(t.steps.length, 1);
    assert.equal(t.steps[0]?.kind, "supersection");
    assert.equal(t.steps[0]?.descriptorPa, L1 + 4 * 0x3a);
    assert.equal(t.pa, 0x03ab_cdef);
    assert.equal(t.pageSize, 0x100_0000);
  });

  it("invalid L1 and invalid L2 entries are translation faults naming the descriptor", () => {
    const f1 = bad(m4u.probe(0x0500_0000)).fault;
    assert.deepEqual([f1.type, f1.level, f1.descriptorPa, f1.descriptor], ["translation", 1, L1 + 4 * 0x50, 0]);
    const f2 = bad(m4u.probe(0x0000_6000)).fault;
    assert.deepEqual([f2.type, f2.level, f2.descriptorPa], ["translation", 2, L2 + 4 * 6]);
  });

  it("AP2 read-only: a write faults with a permission fault, a read translates", () => {
    const p = flatMemory();
    const m = new M4u(p, armV7sConfig());
    m.writePtBase(L1 | 0x2);
    setL1(p, L1, 0, tableDesc(L2));
    const ro = setL2(p, L2, 0x3000, 0x00000c7f | 0x200);
    setL1(p, L1, 0x0200_0000, 0x020b1c1e | 0x8000);
    assert.equal(ok(m.translate(0x3010, "read")).writable, false);
    const f = bad(m.translate(0x3010, "write")).fault;
    assert.deepEqual([f.type, f.level, f.descriptorPa, f.descriptor], ["permission", 2, ro, 0x00000e7f]);
    assert.equal(bad(m.translate(0x0200_0000, "write")).fault.type, "permission");
    assert.equal(m.counters().faults.permission, 2);
  });

  it("NO_PERMS (MTK): AP2/AP0/AP1 are PA bits 32/33/34, never a permission fault", () => {
    const p = memory([{ start: 0, end: 0x2_0000_0000 }]);
    const m = new M4u(p, mt8173Config(false));
    m.writePtBase(L1);
    setL1(p, L1, 0, tableDesc(L2));
    setL2(p, L2, 0x3000, 0x00000c7f | 0x200);
    const t = ok(m.translate(0x3010, "write"));
    assert.equal(t.writable, true);
    assert.equal(t.pa, 0x7_0000_0010, "0xE7F has bits 9, 4 and 5 set");
  });
});

describe("walker: TTBR decoding", () => {
  it("drops attribute bits (0x6A coherent, 0x02 non-coherent) and aligns to the L1 size", () => {
    const cfg = armV7sConfig();
    assert.equal(ttbrToL1Base(0x4000_406a, cfg), 0x4000_4000);
    assert.equal(ttbrToL1Base(0x4000_4002, cfg), 0x4000_4000);
    assert.equal(ttbrToL1Base(0x4001_0000 | 0x2, mt8173Config(false, { ias: 34 })), 0x4001_0000);
  });

  it("with TTBR_EXT, bits 2:0 are PA bits 34:32 (pa | upper_32_bits(pa)); without it they are ignored", () => {
    const ext = mt8173Config(false, { mtkTtbrExt: true });
    assert.equal(ttbrToL1Base(0x4000_4000 | 1, ext), 0x1_4000_4000);
    assert.equal(ttbrToL1Base(0x4000_4000 | 5, ext), 0x5_4000_4000);
    assert.equal(ttbrToL1Base(0x4000_4000 | 1, mt8173Config(false)), 0x4000_4000);
  });

  it("ias 34 indexes 14 bits of L1: IOVA 0x2_0010_0000 uses entry 0x2001", () => {
    const phys = memory([{ start: 0x4000_0000, end: 0x2_0000_0000 }]);
    const m = new M4u(phys, mt8173Config(false, { ias: 34 }));
    const L1 = 0x4001_0000;
    m.writePtBase(L1);
    const at = setL1(phys, L1, 0x2_0010_0000, mtkSection(0x5000_0000), 34);
    assert.equal(at, L1 + 4 * 0x2001);
    const t = ok(m.probe(0x2_001a_bcd0));
    assert.equal(t.steps[0]?.descriptorPa, at);
    assert.equal(t.pa, 0x500a_bcd0);
    assert.throws(() => m.probe(0x4_0000_0000), RangeError);
  });
});

describe("walker: MTK PA bits and MT8173 4GB mode", () => {
  it("0x40000E42 (MTK small page, PA 0x1_4000_0000) reaches CPU 0x4000_0000 in 4GB mode", () => {
    const phys = elm4g();
    const m = new M4u(phys, mt8173Config(true));
    const L1 = 0x4000_4000;
    const L2 = 0x4010_0400;
    m.writePtBase(L1);
    setL1(phys, L1, 0x1000_0000, tableDesc(L2));
    setL2(phys, L2, 0x1000_0000, 0x40000e42);
    const t = ok(m.translate(0x1000_0123 - 3, "write"));
    assert.equal(t.busPa, 0x1_4000_0120);
    assert.equal(t.pa, 0x4000_0120);
  });

  it("0x400B1202 (MTK section) reaches CPU 0x4000_0000 in 4GB mode and bus 0x1_4000_0000 without it", () => {
    const phys = memory([{ start: 0x4000_0000, end: 0x2_0000_0000 }]);
    const L1 = 0x4000_4000;
    setL1(phys, L1, 0x2000_0000, 0x400b1202);
    const four = new M4u(phys, mt8173Config(true));
    four.writePtBase(L1);
    assert.equal(ok(four.probe(0x2004_5678)).pa, 0x4004_5678);
    const plain = new M4u(phys, mt8173Config(false));
    plain.writePtBase(L1);
    const t = ok(plain.probe(0x2004_5678));
    assert.equal(t.pa, 0x1_4004_5678);
    assert.equal(t.busPa, t.pa);
  });

  it("region E (CPU 4-5 GiB) keeps its address; bus addresses outside 4-8 GiB are invalid-pa", () => {
    assert.equal(fourGbBusToCpu(0x1_0000_0000), 0x1_0000_0000);
    assert.equal(fourGbBusToCpu(0x1_3fff_ffff), 0x1_3fff_ffff);
    assert.equal(fourGbBusToCpu(0x1_4000_0000), 0x4000_0000);
    assert.equal(fourGbBusToCpu(0x1_ffff_ffff), 0xffff_ffff);
    assert.equal(fourGbBusToCpu(0x4000_0000), null);
    assert.equal(fourGbBusToCpu(0x2_0000_0000), null);

    const phys = elm4g();
    const m = new M4u(phys, mt8173Config(true));
    const L1 = 0x4000_4000;
    m.writePtBase(L1);
    // The driver ORs bit 32 into every paddr: CPU 0x1_0000_0000 | BIT(32) is itself.
    setL1(phys, L1, 0x0010_0000, mtkSection(0x1_0000_0000));
    assert.equal(ok(m.translate(0x0010_0040, "read")).pa, 0x1_0000_0040);
    // A leaf without bit 9 (a 4.19-style paddr & DMA_BIT_MASK(32) without the MTK_4GB quirk bit).
    const at = setL1(phys, L1, 0x0020_0000, 0x400b1002);
    const f = bad(m.translate(0x0020_0040, "read")).fault;
    assert.deepEqual([f.type, f.level, f.descriptorPa], ["invalid-pa", 1, at]);
    assert.equal(m.counters().faults["invalid-pa"], 1);
    assert.equal(m.tlbEntries().length, 1, "the invalid-pa leaf is not cached");
  });

  it("PTE bits 9/4/5 carry PA bits 32/33/34 at both levels", () => {
    assert.equal(mtkHighBits(0x200), 1);
    assert.equal(mtkHighBits(0x10), 2);
    assert.equal(mtkHighBits(0x20), 4);
    const phys = memory([{ start: 0x4000_0000, end: 0x8_0000_0000 }]);
    const m = new M4u(phys, mt8173Config(false));
    const L1 = 0x4000_4000;
    const L2 = 0x4000_8000;
    m.writePtBase(L1);
    setL1(phys, L1, 0, tableDesc(L2));
    setL2(phys, L2, 0x1000, mtkSmall(0x6_1234_5000));
    setL1(phys, L1, 0x0030_0000, mtkSection(0x7_4560_0000));
    assert.equal(ok(m.probe(0x1008)).pa, 0x6_1234_5008);
    assert.equal(ok(m.probe(0x0030_0008)).pa, 0x7_4560_0008);
  });

  it("with TTBR_EXT the walker follows a table above 4 GiB (PTE bits 9/4/5 on the table descriptor)", () => {
    const phys = memory([{ start: 0x4000_0000, end: 0x8_0000_0000 }]);
    const m = new M4u(phys, mt8173Config(false, { mtkTtbrExt: true }));
    const L1 = 0x2_4000_0000;
    const L2 = 0x5_0000_0400;
    m.writePtBase((L1 % 0x1_0000_0000) | 2);
    setL1(phys, L1, 0, (tableDesc(L2) | 0x200 | 0x20) >>> 0);
    const y = setL2(phys, L2, 0x7000, mtkSmall(0x4800_0000));
    const t = ok(m.probe(0x7004));
    assert.equal(t.steps[0]?.descriptorPa, L1);
    assert.equal(t.steps[1]?.descriptorPa, y);
    assert.equal(t.pa, 0x4800_0004);
  });
});

describe("walker: truncated table pointers (a table above 4 GiB without TTBR_EXT)", () => {
  it("elm 4 GiB: the low-32-bit alias of a table at 4-5 GiB is below DRAM, so the walk is a bus error", () => {
    const phys = elm4g();
    const m = new M4u(phys, mt8173Config(true));
    const L1 = 0x4000_4000;
    const L2 = 0x1_2345_6400;
    m.writePtBase(L1);
    setL1(phys, L1, 0x0100_0000, tableDesc(L2));
    setL2(phys, L2, 0x0100_2000, mtkSmall(0x1_5000_0000));
    const before = phys.busErrorCount;
    const f = bad(m.translate(0x0100_2000, "write")).fault;
    assert.deepEqual([f.type, f.level, f.descriptorPa], ["walk-bus-error", 2, 0x2345_6400 + 4 * 2]);
    assert.equal(phys.busErrorCount, before + 1, "the walker's stray read reaches the bus");
    assert.equal(m.counters().faults["walk-bus-error"], 1);
  });

  it("arm64 8 GiB: the alias is RAM, so the walk reads the wrong memory: zeros (fault) or a wrong PA", () => {
    const phys = arm64_8g();
    const m = new M4u(phys, mt8173Config(false));
    const L1 = 0x8000_4000;
    const L2 = 0x1_9000_0400;
    const alias = 0x9000_0400;
    m.writePtBase(L1);
    setL1(phys, L1, 0x0400_0000, tableDesc(L2));
    setL2(phys, L2, 0x0400_1000, mtkSmall(0x2_0000_0000));
    setL2(phys, L2, 0x0400_2000, mtkSmall(0x2_0000_1000));
    // Whatever lives at the alias: here another table's entry for index 2.
    setL2(phys, alias, 0x0400_2000, mtkSmall(0xa000_0000));

    const f = bad(m.translate(0x0400_1000, "read")).fault;
    assert.deepEqual([f.type, f.level, f.descriptorPa], ["translation", 2, alias + 4]);
    const t = ok(m.translate(0x0400_2010, "write"));
    assert.equal(t.steps[1]?.descriptorPa, alias + 8);
    assert.equal(t.pa, 0xa000_0010, "the device writes into someone else's page");
  });

  it("a walk whose L1 lies outside RAM (PT_BASE never written) is a level-1 walk-bus-error", () => {
    const phys = elm4g();
    const m = new M4u(phys, mt8173Config(true));
    const f = bad(m.translate(0x1234_5000, "read")).fault;
    assert.deepEqual([f.type, f.level, f.descriptorPa, f.descriptor], ["walk-bus-error", 1, 4 * 0x123, 0]);
    assert.equal(phys.busErrorCount, 1);
    assert.equal(phys.busErrors[0]?.pa, 4 * 0x123);
  });
});
