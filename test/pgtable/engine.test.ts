// SPDX-License-Identifier: GPL-2.0-only
/** Engine behaviour the vectors do not pin down: the fit check and its model switch, refusal reasons. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era, type EraName } from "../../src/core/era.ts";
import { GFP_ATOMIC, type Gfp } from "../../src/mm/gfp.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform } from "../../src/phys/platform.ts";
import { ArenaTableMemory } from "../../src/strategies/arena.ts";
import type { TableMemory } from "../../src/strategies/table-memory.ts";
import { configRefusal, quirkBits } from "../../src/pgtable/config.ts";
import { allocV7s } from "../../src/pgtable/engine.ts";
import type { V7sRefusalCode } from "../../src/pgtable/text.ts";
import { QUIRK_ARM_NS, QUIRK_V419_NO_DMA, type V7sConfig, type V7sPageTable } from "../../src/pgtable/types.ts";

/** L1 from a window below 4 GiB, L2 tables from a window at 5 GiB: arm64 GFP_DMA from v4.16 on elm. */
function splitMemory(): TableMemory {
  const phys = new PhysMemory(customPlatform("split", [{ start: 0x4000_0000, end: 0x1_8000_0000 }]));
  const low = new ArenaTableMemory(phys, 0x4000_0000);
  const high = new ArenaTableMemory(phys, 0x1_4000_0000);
  return {
    name: "split",
    phys,
    allocL1: (b: number) => low.allocL1(b),
    freeL1: (pa: number, b: number) => low.freeL1(pa, b),
    allocL2: (g: Gfp) => high.allocL2(g),
    freeL2: (pa: number) => high.freeL2(pa),
    usage: () => high.usage(),
    destroy: () => {},
  };
}

const BASE: V7sConfig = { ias: 32, oas: 32, quirks: 0, pgsizeBitmap: 0x01111000, coherentWalk: true };

function build(cfg: V7sConfig, eraName: EraName, errors: string[]): V7sPageTable {
  const res = allocV7s(cfg, { era: era(eraName), mem: splitMemory(), log: { warn: () => {}, error: (t) => void errors.push(t) } });
  assert.ok(res.ok);
  return res.table;
}

describe("fit check", () => {
  it("refuses an L2 table above 4 GiB with the kernel's dev_err and -ENOMEM", () => {
    const errors: string[] = [];
    const t = build(BASE, "latest", errors);
    assert.deepEqual(t.mapPages(0x1000, 0x5000_0000, 0x1000, 1, 3, GFP_ATOMIC), { ret: -12, mapped: 0 });
    assert.deepEqual(errors, ["Page table does not fit in PTE: 0x0000000140000000"]);
    assert.equal(t.l2TablesLive(), 0);
  });
  it("is silent in v4.19", () => {
    const errors: string[] = [];
    const t = build({ ...BASE, quirks: 16 }, "v4.19", errors);
    assert.equal(t.map(0x1000, 0x5000_0000, 0x1000, 3), -12);
    assert.deepEqual(errors, []);
  });
  it("switched off, installs the table with its pointer truncated to 32 bits", () => {
    const errors: string[] = [];
    const t = build({ ...BASE, fitCheck: false }, "latest", errors);
    assert.deepEqual(t.mapPages(0x0010_1000, 0x5000_0000, 0x1000, 1, 3, GFP_ATOMIC), { ret: 0, mapped: 0x1000 });
    assert.deepEqual(errors, []);
    const l1 = t.lookupL1(0x0010_1000);
    assert.equal(l1.l1Index, 1);
    assert.equal(l1.tablePa, 0x1_4000_0000);
    assert.equal(l1.descriptorTablePa, 0x4000_0000);
    assert.equal(l1.pte, 0x4000_0001);
    // The CPU side keeps using the table it allocated.
    assert.equal(t.iovaToPhys(0x0010_1234), 0x5000_0234);
    let seen = 0;
    t.forEachL2Table((i, pa, valid) => {
      seen++;
      assert.deepEqual([i, pa, valid], [1, 0x1_4000_0000, 1]);
    });
    assert.equal(seen, 1);
    t.free();
  });
});

describe("config refusals name the rule", () => {
  const cases: [EraName, Partial<V7sConfig>, V7sRefusalCode, RegExp][] = [
    ["latest", { ias: 33 }, "ias-too-wide", /ias 33 > 32 \(without ARM_MTK_EXT\)/],
    ["latest", { quirks: 8 }, "quirk-needs-quirk", /ARM_MTK_EXT requires NO_PERMS/],
    ["latest", { quirks: 18 }, "quirk-needs-quirk", /ARM_MTK_TTBR_EXT requires ARM_MTK_EXT/],
    ["latest", { quirks: 4 }, "quirk-unknown-bits", /the latest text accepts only ARM_NS\|NO_PERMS\|ARM_MTK_EXT\|ARM_MTK_TTBR_EXT \(0x1b\)/],
    ["v4.19", { quirks: 8 }, "quirk-needs-quirk", /ARM_MTK_4GB requires NO_PERMS/],
    ["v4.19", { quirks: 32 }, "quirk-unknown-bits", /ARM_NS\|NO_PERMS\|TLBI_ON_MAP\|ARM_MTK_4GB\|NO_DMA \(0x1f\)/],
    ["v4.19", { oas: 33 }, "oas-too-wide", /oas 33 > 32 \(v4.19 ARM_V7S_ADDR_BITS\)/],
  ];
  for (const [e, over, code, re] of cases) {
    it(`${e} ${JSON.stringify(over)}`, () => {
      const res = allocV7s({ ...BASE, ...over }, { era: era(e), mem: splitMemory() });
      assert.equal(res.ok, false);
      assert.equal(res.ok ? "" : res.code, code);
      assert.match(res.ok ? "" : res.reason, re);
      assert.deepEqual(configRefusal({ ...BASE, ...over }, era(e)), res.ok ? null : { code, message: res.reason });
    });
  }
  it("accepts what the era's text defines", () => {
    assert.equal(configRefusal({ ...BASE, quirks: QUIRK_ARM_NS | QUIRK_V419_NO_DMA }, era("v4.14")), null);
  });
});

describe("quirks by meaning", () => {
  it("bit 16 is NO_DMA in v4.19 and ARM_MTK_TTBR_EXT later", () => {
    assert.deepEqual(quirkBits(era("v4.19"), ["NO_DMA"]), { ok: true, bits: 16 });
    assert.deepEqual(quirkBits(era("v6.6"), ["ARM_MTK_TTBR_EXT"]), { ok: true, bits: 16 });
    assert.deepEqual(quirkBits(era("latest"), ["ARM_NS", "NO_PERMS", "ARM_MTK_EXT"]), { ok: true, bits: 11 });
  });
  it("refuses ARM_MTK_TTBR_EXT where the era's text lacks it, naming the quirk", () => {
    for (const e of ["v4.14", "v4.19"] as const) {
      assert.deepEqual(quirkBits(era(e), ["ARM_NS", "ARM_MTK_TTBR_EXT"]), {
        ok: false,
        refusal: { code: "quirk-not-in-era", message: `IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT does not exist in Linux ${e} (added about v6.0)` },
      });
    }
  });
  it("refuses the v4.19-only quirks in later eras", () => {
    const r = quirkBits(era("v6.6"), ["TLBI_ON_MAP"]);
    assert.equal(r.ok ? "" : r.refusal.code, "quirk-not-in-era");
    assert.equal(r.ok ? "" : r.refusal.message, "IO_PGTABLE_QUIRK_TLBI_ON_MAP does not exist in Linux v6.6");
  });
  it("v5.10's own text (Rtoax/linux-5.10.13 io-pgtable.h): TLBI_ON_MAP is BIT(2), ARM_MTK_EXT BIT(3), no ARM_MTK_TTBR_EXT", () => {
    assert.deepEqual(quirkBits(era("v5.10"), ["ARM_NS", "NO_PERMS", "TLBI_ON_MAP", "ARM_MTK_EXT"]), { ok: true, bits: 0xf });
    const r = quirkBits(era("v5.10"), ["ARM_MTK_TTBR_EXT"]);
    assert.equal(r.ok ? "" : r.refusal.code, "quirk-not-in-era");
    assert.match(r.ok ? "" : r.refusal.message, /^IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT does not exist in Linux v5\.10/);
  });
  it("decodes each bit with its own text's meaning", () => {
    const t419 = build({ ...BASE, quirks: QUIRK_V419_NO_DMA | QUIRK_ARM_NS }, "v4.19", []).text;
    assert.equal(t419.noDma, true);
    assert.equal(t419.ttbrExt, false);
    assert.equal(t419.dmaMaintained, false);
    const tLatest = build({ ...BASE, quirks: QUIRK_ARM_NS }, "latest", []).text;
    assert.equal(tLatest.noDma, false);
    assert.equal(tLatest.armNs, true);
    assert.equal(tLatest.dmaMaintained, false);
    assert.ok(Object.isFrozen(tLatest));
  });
});
