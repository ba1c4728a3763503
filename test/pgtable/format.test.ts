// SPDX-License-Identifier: GPL-2.0-only
/**
 * Worked PTE values (from the kernel's arm_v7s_do_selftests prot and the MT8173 4 GiB mode), by the
 * encoder and through the engine; and the encoder against the FIELDS decoder for every prot.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era } from "../../src/core/era.ts";
import { GFP_ATOMIC } from "../../src/mm/gfp.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform } from "../../src/phys/platform.ts";
import { ArenaTableMemory } from "../../src/strategies/arena.ts";
import { decodeV7s } from "../../src/pgtable/config.ts";
import { allocV7s } from "../../src/pgtable/engine.ts";
import {
  contToPte,
  decodePte,
  describePte,
  ioptePaddr,
  paddrToIopte,
  protToPte,
  pteToCont,
  pteToProt,
  type Level,
  type PteFormat,
} from "../../src/pgtable/format.ts";
import { V7S_TEXTS, type V7sText } from "../../src/pgtable/text.ts";
import {
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
  QUIRK_ARM_MTK_EXT,
  QUIRK_ARM_NS,
  QUIRK_NO_PERMS,
  QUIRK_V419_ARM_MTK_4GB,
  type V7sPageTable,
} from "../../src/pgtable/types.ts";

const RWXC = IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE;
const MTK = QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_ARM_MTK_EXT;

const WORKED: readonly { name: string; quirks: number; prot: number; size: number; pa: number; pte: number }[] = [
  { name: "L2 small page, selftest prot", quirks: QUIRK_ARM_NS, prot: RWXC, size: 0x1000, pa: 0, pte: 0x00000c7f },
  { name: "L2 large page, selftest prot", quirks: QUIRK_ARM_NS, prot: RWXC, size: 0x10000, pa: 0x01000000, pte: 0x01009c3d },
  { name: "L1 section, selftest prot", quirks: QUIRK_ARM_NS, prot: RWXC, size: 0x100000, pa: 0x02000000, pte: 0x020b1c1e },
  { name: "L1 supersection, selftest prot", quirks: QUIRK_ARM_NS, prot: RWXC, size: 0x1000000, pa: 0x03000000, pte: 0x030f1c1e },
  { name: "MTK L2 small page at 0x1_4000_0000", quirks: MTK, prot: IOMMU_READ | IOMMU_WRITE, size: 0x1000, pa: 0x1_4000_0000, pte: 0x40000e42 },
  { name: "MTK L1 section at 0x1_4000_0000", quirks: MTK, prot: IOMMU_READ | IOMMU_WRITE, size: 0x100000, pa: 0x1_4000_0000, pte: 0x400b1202 },
];

/** The capability record of a table of `family`'s text with these quirks. */
function textOf(quirks: number, family: keyof typeof V7S_TEXTS = "latest"): V7sText {
  const facts = V7S_TEXTS[family];
  const d = decodeV7s({ ias: 32, oas: quirks & (facts.quirkBits.ARM_MTK_EXT ?? 0) ? 35 : 32, quirks, pgsizeBitmap: 0x01111000, coherentWalk: true }, facts);
  assert.ok(d.ok);
  return d.text;
}

/** The full leaf arm_v7s_init_pte writes for `numEntries` copies. */
function leaf(prot: number, lvl: Level, numEntries: number, paddr: number, fmt: PteFormat): number {
  const attrs = protToPte(prot, lvl, fmt);
  return ((numEntries > 1 ? pteToCont(attrs, lvl) : attrs) | paddrToIopte(paddr, lvl, fmt)) >>> 0;
}

function engineFor(quirks: number): V7sPageTable {
  const phys = new PhysMemory(customPlatform("t", [{ start: 0x4000_0000, end: 0x4400_0000 }]));
  const mtk = (quirks & QUIRK_ARM_MTK_EXT) !== 0;
  const res = allocV7s(
    { ias: 32, oas: mtk ? 35 : 32, quirks, pgsizeBitmap: 0x01111000, coherentWalk: true },
    { era: era("latest"), mem: new ArenaTableMemory(phys, 0x4000_0000) },
  );
  assert.ok(res.ok);
  return res.table;
}

describe("worked PTEs", () => {
  for (const w of WORKED) {
    const lvl: Level = w.size >= 0x100000 ? 1 : 2;
    const n = w.size === 0x10000 || w.size === 0x1000000 ? 16 : 1;
    it(`${w.name} = 0x${w.pte.toString(16).padStart(8, "0")}`, () => {
      assert.equal(leaf(w.prot, lvl, n, w.pa, textOf(w.quirks)), w.pte);
      assert.equal(ioptePaddr(w.pte, lvl, textOf(w.quirks)), w.pa);
    });
    it(`${w.name}: the engine writes it and translates through it`, () => {
      const e = engineFor(w.quirks);
      const iova = 0x0500_0000;
      assert.deepEqual(e.mapPages(iova, w.pa, w.size, 1, w.prot, GFP_ATOMIC), { ret: 0, mapped: w.size });
      const pte = lvl === 1 ? e.readL1(iova >>> 20) : e.readL2(iova);
      assert.equal(pte, w.pte);
      assert.equal(e.iovaToPhys(iova + 0x123), w.pa + 0x123);
    });
  }
  it("cont transform round-trips at both levels", () => {
    for (const lvl of [1, 2] as const) {
      for (let prot = 0; prot < 64; prot++) {
        const pte = leaf(prot | 1, lvl, 1, 0, textOf(0));
        assert.equal(contToPte(pteToCont(pte, lvl), lvl), pte);
      }
    }
  });
  it("decodes and describes a small page", () => {
    const d = decodePte(2, 0x40123c7f, textOf(QUIRK_ARM_NS));
    assert.equal(d.kind, "small");
    assert.equal(d.address, 0x40123000);
    assert.equal(d.fields["TEX"], 1);
    assert.equal(describePte(2, 0x40123c7f, textOf(0)), "small  pa=0x40123000 B C AF UNPRIV TEX=1 S nG XN");
    assert.equal(describePte(1, 0x40004009, textOf(QUIRK_ARM_NS)), "table  l2=0x40004000 NS");
  });
});

/** What a decoded leaf says about a prot, read through the FIELDS decoder alone (names, not bit numbers). */
function protFromFields(d: ReturnType<typeof decodePte>, fmt: PteFormat): number {
  const fl = d.fields;
  let prot = 0;
  if (fmt.noPerms) {
    // NO_PERMS: no AP bits and no XN, so R/W/PRIV/NOEXEC cannot be read back.
    for (const name of ["AF", "UNPRIV", "RDONLY", "XN"]) if (!fmt.mtkExt && !fmt.mtk4gb) assert.equal(fl[name] ?? 0, 0, name);
  } else {
    assert.equal(fl["AF"], 1);
    if (!fl["RDONLY"]) prot |= IOMMU_WRITE;
    if (!fl["UNPRIV"]) prot |= IOMMU_PRIV;
    if (fl["XN"]) prot |= IOMMU_NOEXEC;
  }
  if (fl["TEX"] === 0) {
    prot |= IOMMU_MMIO;
    assert.equal(fl["B"], 1);
    assert.equal(fl["C"], 0);
  } else {
    assert.equal(fl["TEX"], 1);
    if (fl["C"]) prot |= IOMMU_CACHE;
    assert.equal(fl["B"], fl["C"]);
  }
  assert.equal(fl["S"], 1);
  assert.equal(fl["nG"], 1);
  return prot;
}

describe("the encoder and the FIELDS decoder agree for every prot", () => {
  const formats: [string, V7sText][] = [
    ["latest, no quirks", textOf(0)],
    ["latest, ARM_NS", textOf(QUIRK_ARM_NS)],
    ["latest, MTK (NS|NO_PERMS|MTK_EXT)", textOf(MTK)],
    ["v4.19, NS|NO_PERMS|ARM_MTK_4GB", textOf(QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_V419_ARM_MTK_4GB, "v4.19")],
  ];
  const kinds = { 1: ["section", "supersection"], 2: ["small", "large"] } as const;
  for (const [name, fmt] of formats) {
    it(name, () => {
      for (const lvl of [1, 2] as const) {
        for (const n of [1, 16]) {
          const pa = lvl === 1 ? (n > 1 ? 0x3000_0000 : 0x3010_0000) : n > 1 ? 0x3012_0000 : 0x3012_3000;
          const hiPa = fmt.mtkExt ? 0x5_0000_0000 + pa : pa;
          for (let prot = 0; prot < 64; prot++) {
            const pte = leaf(prot, lvl, n, hiPa, fmt);
            const d = decodePte(lvl, pte, fmt);
            const where = `prot ${prot} level ${lvl} x${n}: 0x${pte.toString(16)}`;
            assert.equal(d.kind, kinds[lvl][n > 1 ? 1 : 0], where);
            assert.equal(d.address, hiPa, where);
            assert.equal(d.fields["NS"] ?? 0, lvl === 1 && fmt.armNs ? 1 : 0, where);
            if (fmt.mtk4gb) assert.equal(d.fields["MTK_4GB"], 1, where);
            // R is implied by every leaf; W/PRIV/NOEXEC only where permissions are encoded.
            const kept = IOMMU_MMIO | (IOMMU_MMIO & prot ? 0 : IOMMU_CACHE) | (fmt.noPerms ? 0 : IOMMU_WRITE | IOMMU_PRIV | IOMMU_NOEXEC);
            assert.equal(protFromFields(d, fmt), prot & kept, where);
            // arm_v7s_pte_to_prot reads a plain leaf through the same fields (all permission texts).
            if (!fmt.noPerms && n === 1) assert.equal(pteToProt(pte, lvl), IOMMU_READ | (prot & kept), where);
          }
        }
      }
    });
  }
});
