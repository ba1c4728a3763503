// SPDX-License-Identifier: GPL-2.0-only
/**
 * The engine writes tables, the M4U walks them: random map/unmap sequences with the driver's flushes
 * must leave no stale translation, and every probe must agree with the engine's iova_to_phys (after
 * mtk_iommu_iova_to_phys's 4GB-mode bit-32 clear).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { era } from "../../src/core/era.ts";
import { M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import { MTK_4GB_MODE_REMAP_BASE } from "../../src/iommu/walker.ts";
import { GFP_ATOMIC } from "../../src/mm/gfp.ts";
import { allocV7s } from "../../src/pgtable/engine.ts";
import {
  IOMMU_READ,
  IOMMU_WRITE,
  QUIRK_ARM_MTK_EXT,
  QUIRK_ARM_NS,
  QUIRK_NO_PERMS,
  QUIRK_V419_ARM_MTK_4GB,
  QUIRK_V419_NO_DMA,
  QUIRK_V419_TLBI_ON_MAP,
  type FlushOps,
  type V7sPageTable,
} from "../../src/pgtable/types.ts";
import { ArenaTableMemory } from "../../src/strategies/arena.ts";
import { elm4g } from "./fixtures.ts";

const SIZES = [0x1000, 0x10000, 0x10_0000, 0x100_0000] as const;
/** IOVA window: 64 MiB, so supersections, sections, tables and pages collide often. */
const WINDOW = 0x400_0000;

type Op =
  | { readonly kind: "map"; readonly iova: number; readonly size: number; readonly cpuPa: number }
  | { readonly kind: "unmap"; readonly iova: number; readonly size: number }
  | { readonly kind: "access"; readonly iova: number };

const sizeArb = fc.constantFrom(...SIZES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ size: sizeArb, slot: fc.nat(), pslot: fc.nat() }).map(({ size, slot, pslot }) => ({
      kind: "map" as const,
      iova: (slot % (WINDOW / size)) * size,
      size,
      // CPU RAM 1-5 GiB, away from the arena's tables at 1 GiB; spans regions B-D and E.
      cpuPa: 0x8000_0000 + (pslot % (0xc000_0000 / size)) * size,
    })),
  },
  {
    weight: 3,
    arbitrary: fc.record({ size: sizeArb, slot: fc.nat() }).map(({ size, slot }) => ({
      kind: "unmap" as const,
      iova: (slot % (WINDOW / size)) * size,
      size,
    })),
  },
  { weight: 3, arbitrary: fc.nat(WINDOW / 0x1000 - 1).map((p) => ({ kind: "access" as const, iova: p * 0x1000 + 0x40 })) },
);

/** mtk_iommu_map: the 4GB-mode M4U needs bit 32 on every paddr. */
const driverPaddr = (cpuPa: number): number => (cpuPa >= 0x1_0000_0000 ? cpuPa : cpuPa + 0x1_0000_0000);
/** mtk_iommu_iova_to_phys. */
const driverIovaToPhys = (t: V7sPageTable, iova: number): number => {
  const pa = t.iovaToPhys(iova);
  return pa >= MTK_4GB_MODE_REMAP_BASE ? pa - 0x1_0000_0000 : pa;
};

type FlushStyle = "flush-ops" | "iotlb-sync";

function run(family: "latest" | "v6.6", style: FlushStyle, walkCacheEntries: number, ops: readonly Op[]): void {
  const phys = elm4g();
  const m4u = new M4u(phys, mt8173Config(true, { tlbEntries: 16, walkCacheEntries }));
  // "flush-ops": io-pgtable's callbacks forward to range flushes. "iotlb-sync": mtk_iommu as merged
  // (no .tlb ops): iotlb_sync over the unmapped range, iotlb_sync_map after every map.
  const tlb: FlushOps = {
    tlbFlushAll: () => m4u.flushAll(),
    tlbFlushWalk: (iova, size) => m4u.flushRange(iova, iova + size - 1),
    tlbAddPage: (_g, iova, granule) => m4u.flushRange(iova, iova + granule - 1),
  };
  const r = allocV7s(
    {
      ias: 32,
      oas: 33,
      quirks: QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_ARM_MTK_EXT,
      pgsizeBitmap: 0x0111_1000,
      coherentWalk: false,
    },
    { era: era(family === "latest" ? "latest" : "v6.6"), mem: new ArenaTableMemory(phys, 0x4000_0000), ...(style === "flush-ops" ? { tlb } : {}) },
  );
  assert.ok(r.ok, r.ok ? "" : r.reason);
  const table = r.table;
  m4u.writePtBase(table.out.ttbr);
  const touched = new Set<number>();

  for (const op of ops) {
    if (op.kind === "map") {
      table.mapPages(op.iova, driverPaddr(op.cpuPa), op.size, 1, IOMMU_READ | IOMMU_WRITE, GFP_ATOMIC);
      if (style === "iotlb-sync") m4u.flushRange(op.iova, op.iova + op.size - 1);
      for (let o = 0; o < op.size; o += Math.max(0x1000, op.size / 4)) touched.add(op.iova + o);
    } else if (op.kind === "unmap") {
      const n = table.unmapPages(op.iova, op.size, 1, { queued: false });
      if (style === "iotlb-sync" && n > 0) m4u.flushRange(op.iova, op.iova + op.size - 1);
      touched.add(op.iova);
    } else {
      m4u.translate(op.iova, "write");
      touched.add(op.iova - 0x40);
    }
  }

  for (const iova of touched) {
    const want = driverIovaToPhys(table, iova + 0x123);
    const p = m4u.probe(iova + 0x123);
    const t = m4u.translate(iova + 0x123, "write");
    if (table.iovaToPhys(iova + 0x123) === 0) {
      assert.ok(!t.ok, `IOVA 0x${iova.toString(16)} is unmapped but the device reached 0x${t.ok ? t.pa.toString(16) : ""}`);
      assert.ok(!p.ok);
    } else {
      assert.ok(p.ok && p.pa === want, `probe 0x${iova.toString(16)}: want 0x${want.toString(16)} got ${JSON.stringify(p)}`);
      assert.ok(t.ok && t.pa === want, `translate 0x${iova.toString(16)}: want 0x${want.toString(16)} got ${JSON.stringify(t)}`);
    }
  }
  table.free();
}

describe("engine + M4U: no stale translation survives the driver's flushes", () => {
  for (const family of ["latest", "v6.6"] as const) {
    for (const style of ["flush-ops", "iotlb-sync"] as const) {
      it(`${family}, ${style}, TLB 16 + walk cache 4`, () => {
        fc.assert(
          fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => run(family, style, 4, ops)),
          { numRuns: 60, seed: 0x8173 },
        );
      });
    }
  }

  it("v4.19 (ARM_MTK_4GB: bit 9 as a flag on 32-bit paddrs, tlb_add_flush/tlb_sync) reaches the same CPU PAs", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const phys = elm4g();
        const m4u = new M4u(phys, mt8173Config(true, { tlbEntries: 16 }));
        const tlb: FlushOps = {
          tlbFlushAll: () => m4u.flushAll(),
          tlbAddFlush: (iova, size) => m4u.flushRange(iova, iova + size - 1),
          tlbSync: () => undefined,
        };
        const r = allocV7s(
          {
            ias: 32,
            oas: 32,
            quirks: QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_V419_TLBI_ON_MAP | QUIRK_V419_ARM_MTK_4GB | QUIRK_V419_NO_DMA,
            pgsizeBitmap: 0x0111_1000,
            coherentWalk: false,
          },
          { era: era("v4.19"), mem: new ArenaTableMemory(phys, 0x4000_0000), tlb },
        );
        assert.ok(r.ok);
        const table = r.table;
        m4u.writePtBase(table.out.ttbr);
        const touched = new Set<number>();
        for (const op of ops) {
          // 4.19 mtk_iommu_map passed paddr & DMA_BIT_MASK(32); the quirk's bit 9 restores bit 32 on the bus.
          if (op.kind === "map") table.map(op.iova, op.cpuPa % 0x1_0000_0000, op.size, IOMMU_READ | IOMMU_WRITE);
          else if (op.kind === "unmap") table.unmap(op.iova, op.size);
          else m4u.translate(op.iova, "read");
          touched.add(op.iova - (op.iova % 0x1000));
        }
        for (const iova of touched) {
          const low = table.iovaToPhys(iova + 0x88);
          const t = m4u.translate(iova + 0x88, "read");
          if (low === 0) {
            assert.ok(!t.ok);
            continue;
          }
          // The CPU PA whose low 32 bits the table holds: region E (4-5 GiB) when below 1 GiB.
          const cpu = low < 0x4000_0000 ? low + 0x1_0000_0000 : low;
          assert.ok(t.ok && t.pa === cpu, `0x${iova.toString(16)}: want 0x${cpu.toString(16)} got ${JSON.stringify(t)}`);
        }
      }),
      { numRuns: 40, seed: 0x419 },
    );
  });

  it("counter-check: without the flushes, the same harness finds a stale translation", () => {
    const phys = elm4g();
    const m4u = new M4u(phys, mt8173Config(true));
    const r = allocV7s(
      { ias: 32, oas: 33, quirks: QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_ARM_MTK_EXT, pgsizeBitmap: 0x0111_1000, coherentWalk: false },
      { era: era("latest"), mem: new ArenaTableMemory(phys, 0x4000_0000) },
    );
    assert.ok(r.ok);
    m4u.writePtBase(r.table.out.ttbr);
    assert.equal(r.table.mapPages(0x10_0000, driverPaddr(0x8000_0000), 0x1000, 1, IOMMU_READ | IOMMU_WRITE, GFP_ATOMIC).ret, 0);
    const before = m4u.translate(0x10_0040, "write");
    assert.ok(before.ok && before.pa === 0x8000_0040);
    assert.equal(r.table.unmapPages(0x10_0000, 0x1000, 1, { queued: false }), 0x1000);
    assert.equal(r.table.iovaToPhys(0x10_0040), 0);
    const stale = m4u.translate(0x10_0040, "write");
    assert.ok(stale.ok && stale.fromTlb && stale.pa === 0x8000_0040);
  });
});
