// SPDX-License-Identifier: GPL-2.0-only
/** The worked PTE values of docs/kernel-facts.md#prot-to-pte, by the encoder and through the engine. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era } from "../../src/core/era.ts";
import { GFP_ATOMIC } from "../../src/mm/gfp.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform } from "../../src/phys/platform.ts";
import { ArenaTableMemory } from "../../src/strategies/arena.ts";
import { V7sEngine, allocV7s } from "../../src/pgtable/engine.ts";
import { contToPte, decodePte, describePte, encodeLeaf, ioptePaddr, pteToCont, type Level } from "../../src/pgtable/format.ts";
import { IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_READ, IOMMU_WRITE, QUIRK_ARM_MTK_EXT, QUIRK_ARM_NS, QUIRK_NO_PERMS } from "../../src/pgtable/types.ts";

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

function engineFor(quirks: number): V7sEngine {
  const phys = new PhysMemory(customPlatform("t", [{ start: 0x4000_0000, end: 0x4400_0000 }]));
  const mtk = (quirks & QUIRK_ARM_MTK_EXT) !== 0;
  const res = allocV7s(
    { ias: 32, oas: mtk ? 35 : 32, quirks, pgsizeBitmap: 0x01111000, coherentWalk: true },
    { era: era("latest"), mem: new ArenaTableMemory(phys, 0x4000_0000) },
  );
  assert.ok(res.ok);
  return res.table as V7sEngine;
}

describe("docs/kernel-facts.md#prot-to-pte worked PTEs", () => {
  for (const w of WORKED) {
    const lvl: Level = w.size >= 0x100000 ? 1 : 2;
    const n = w.size === 0x10000 || w.size === 0x1000000 ? 16 : 1;
    it(`${w.name} = 0x${w.pte.toString(16).padStart(8, "0")}`, () => {
      assert.equal(encodeLeaf(w.prot, lvl, n, w.pa, w.quirks, "latest"), w.pte);
      assert.equal(ioptePaddr(w.pte, lvl, w.quirks, "latest"), w.pa);
    });
    it(`${w.name}: the engine writes it and translates through it`, () => {
      const e = engineFor(w.quirks);
      const iova = 0x0500_0000;
      assert.deepEqual(e.mapPages(iova, w.pa, w.size, 1, w.prot, GFP_ATOMIC), { ret: 0, mapped: w.size });
      const pte = lvl === 1 ? e.pgd[iova >>> 20] : e.readL2(iova);
      assert.equal(pte, w.pte);
      assert.equal(e.iovaToPhys(iova + 0x123), w.pa + 0x123);
    });
  }
  it("cont transform round-trips at both levels", () => {
    for (const lvl of [1, 2] as const) {
      for (let prot = 0; prot < 64; prot++) {
        const pte = encodeLeaf(prot | 1, lvl, 1, 0, 0, "latest");
        assert.equal(contToPte(pteToCont(pte, lvl), lvl), pte);
      }
    }
  });
  it("decodes and describes a small page", () => {
    const d = decodePte(2, 0x40123c7f, QUIRK_ARM_NS, "latest");
    assert.equal(d.kind, "small");
    assert.equal(d.address, 0x40123000);
    assert.equal(d.fields["TEX"], 1);
    assert.equal(describePte(2, 0x40123c7f, 0, "latest"), "small  pa=0x40123000 B C AF UNPRIV TEX=1 S nG XN");
    assert.equal(describePte(1, 0x40004009, QUIRK_ARM_NS, "latest"), "table  l2=0x40004000 NS");
  });
});
