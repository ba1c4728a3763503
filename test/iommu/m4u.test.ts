// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { M4u, armV7sConfig, m4uConfigFor, mt8173Config } from "../../src/iommu/m4u.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { platform } from "../../src/phys/platform.ts";
import { elm4g, mtkSection, mtkSmall, setL1, setL2, tableDesc } from "./fixtures.ts";

describe("M4u", () => {
  it("probe() changes nothing: counters, TLB, walk cache, faults and bus errors are identical before and after", () => {
    const phys = elm4g();
    const m4u = new M4u(phys, mt8173Config(true, { walkCacheEntries: 8 }));
    const L1 = 0x4000_4000;
    const L2 = 0x4010_0400;
    m4u.writePtBase(L1);
    setL1(phys, L1, 0x1000_0000, tableDesc(L2));
    setL2(phys, L2, 0x1000_0000, mtkSmall(0x1_5000_0000));
    setL1(phys, L1, 0x1100_0000, tableDesc(0x1_0000_0400)); // truncated: alias below DRAM
    setL1(phys, L1, 0x1200_0000, 0x400b1002); // no bit 9: invalid-pa in 4GB mode
    setL1(phys, L1, 0x1300_0000, mtkSection(0x1_6000_0000));
    // Some state: a TLB entry, a walk-cache entry and a fault.
    assert.ok(m4u.translate(0x1000_0000, "read").ok);
    assert.ok(!m4u.translate(0x1400_0000, "read").ok);

    const snap = () => ({
      counters: m4u.counters(),
      tlb: m4u.tlbEntries(),
      walkCache: m4u.walkCacheEntries(),
      faults: [...m4u.faults],
      busErrors: phys.busErrorCount,
      busErrorList: [...phys.busErrors],
      materialised: phys.materialisedBytes,
    });
    const before = snap();
    const probes = [0x1000_0000, 0x1000_1000, 0x1100_0000, 0x1200_0000, 0x1300_0004, 0x1400_0000, 0xffff_f000].map((iova) => m4u.probe(iova));
    assert.deepEqual(snap(), before);
    assert.deepEqual(
      probes.map((p) => (p.ok ? p.pa : p.fault.type)),
      [0x5000_0000, "translation", "walk-bus-error", "invalid-pa", 0x6000_0004, "translation", "translation"],
    );
    // The same walk through translate() does have side effects.
    m4u.translate(0x1100_0000, "read");
    assert.equal(phys.busErrorCount, before.busErrors + 1);
  });

  it("probe() never uses the TLB: it reports memory, not a stale entry", () => {
    const phys = elm4g();
    const m4u = new M4u(phys, mt8173Config(true));
    m4u.writePtBase(0x4000_4000);
    setL1(phys, 0x4000_4000, 0, mtkSection(0x1_6000_0000));
    assert.ok(m4u.translate(0x10, "read").ok);
    setL1(phys, 0x4000_4000, 0, mtkSection(0x1_7000_0000));
    const t = m4u.probe(0x10);
    assert.ok(t.ok && !t.fromTlb && t.pa === 0x7000_0010);
  });

  it("rejects inconsistent configs and out-of-range values with RangeError", () => {
    const phys = elm4g();
    assert.throws(() => new M4u(phys, mt8173Config(true, { noPerms: false })), /noPerms/);
    assert.throws(() => new M4u(phys, armV7sConfig({ fourGbMode: true })), /fourGbMode/);
    assert.throws(() => new M4u(phys, armV7sConfig({ ias: 34 })), /ias 34/);
    assert.throws(() => new M4u(phys, armV7sConfig({ mtkTtbrExt: true })), /mtkTtbrExt/);
    assert.throws(() => new M4u(phys, mt8173Config(true, { ias: 33 })), /ias 33/);
    const m = new M4u(phys, mt8173Config(true));
    assert.throws(() => m.writePtBase(2 ** 32), RangeError);
    assert.throws(() => m.translate(2 ** 32, "read"), /outside/);
    assert.throws(() => m.translate(-1, "read"), RangeError);
    assert.throws(() => m.flushRange(0x2000, 0x1000), /end/);
  });

  it("m4uConfigFor follows the platform's 4GB-mode flag", () => {
    assert.equal(m4uConfigFor(platform("mt8173-elm-4g")).fourGbMode, true);
    assert.equal(m4uConfigFor(platform("mt8173-elm-2g")).fourGbMode, false);
    const m = new M4u(new PhysMemory(platform("mt8173-elm-2g")), m4uConfigFor(platform("mt8173-elm-2g")));
    assert.equal(m.config.mtkExt, true);
  });

  it("the register view: PT_BASE as written and the L1 PA decoded from it", () => {
    const m = new M4u(elm4g(), mt8173Config(true));
    m.writePtBase(0x4000_4000);
    assert.equal(m.ptBaseRegister, 0x4000_4000);
    assert.equal(m.l1TablePa, 0x4000_4000);
  });

  it("records every fault type with IOVA, access, level and descriptor address; caps the list, not the counts", () => {
    const phys = elm4g();
    const m4u = new M4u(phys, mt8173Config(true));
    m4u.writePtBase(0x4000_4000);
    for (let i = 0; i < 3; i++) m4u.translate(0x5000_0000 + i * 0x1000, i % 2 === 0 ? "write" : "read");
    assert.deepEqual(
      m4u.faults.map((f) => [f.type, f.iova, f.access, f.level, f.descriptorPa]),
      [
        ["translation", 0x5000_0000, "write", 1, 0x4000_4000 + 4 * 0x500],
        ["translation", 0x5000_1000, "read", 1, 0x4000_4000 + 4 * 0x500],
        ["translation", 0x5000_2000, "write", 1, 0x4000_4000 + 4 * 0x500],
      ],
    );
    m4u.clearFaults();
    assert.equal(m4u.faults.length, 0);
    assert.equal(m4u.counters().faults.translation, 3);
  });
});
