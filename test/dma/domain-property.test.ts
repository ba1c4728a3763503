// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GFP_ATOMIC } from "../../src/mm/gfp.ts";
import { IOMMU_READ, IOMMU_WRITE } from "../../src/pgtable/types.ts";
import { arenaRig } from "./rig.ts";

interface Mapping {
  readonly iova: number;
  readonly pa: number;
  readonly size: number;
}

const IOVA_BASE = 0x1000_0000;
const WINDOW_PAGES = 0x4000; // 64 MiB of IOVA
const PA_BASE = 0x5000_0000; // clear of the table arena at 0x4000_0000

const opArb = fc.record({
  map: fc.boolean(),
  iovaPage: fc.integer({ min: 0, max: WINDOW_PAGES - 1 }),
  // sizes from one page to 2 MiB plus a few 1M/16M-friendly ones
  pages: fc.oneof(fc.integer({ min: 1, max: 512 }), fc.constantFrom(16, 256, 4096)),
  paPage: fc.integer({ min: 0, max: 0xe_0000 }), // up to 0x1_3000_0000, above 4 GiB too
  alignTo: fc.constantFrom(1, 16, 256, 4096),
  pick: fc.nat(),
  probes: fc.array(fc.integer({ min: 0, max: WINDOW_PAGES * 4096 - 1 }), { minLength: 4, maxLength: 4 }),
});

/**
 * Disjoint maps and whole-range unmaps through IommuDomain, on every era: the table (iova_to_phys)
 * and the M4U (translate, which uses and fills its TLB) must agree with a plain interval map after
 * every call. A missing range flush would show as a stale TLB hit on an unmapped IOVA.
 */
describe("IommuDomain against an interval map, TLB included", () => {
  for (const eraName of ["v4.19", "v5.10", "v6.6", "latest"] as const) {
    it(eraName, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
          const { domain, hw } = arenaRig(eraName);
          const live: Mapping[] = [];
          const lookup = (iova: number): number | null => {
            for (const m of live) if (iova >= m.iova && iova < m.iova + m.size) return m.pa + (iova - m.iova);
            return null;
          };
          for (const op of ops) {
            if (op.map || live.length === 0) {
              const iovaPages = Math.floor(op.iovaPage / op.alignTo) * op.alignTo;
              const iova = IOVA_BASE + iovaPages * 4096;
              const size = Math.min(op.pages, WINDOW_PAGES - iovaPages) * 4096;
              const pa = PA_BASE + Math.floor(op.paPage / op.alignTo) * op.alignTo * 4096;
              if (live.some((m) => iova < m.iova + m.size && m.iova < iova + size)) continue;
              const r = domain.map(iova, pa, size, IOMMU_READ | IOMMU_WRITE, GFP_ATOMIC);
              assert.deepEqual(r, { ret: 0, mapped: size, rolledBack: 0 });
              live.push({ iova, pa, size });
            } else {
              const [m] = live.splice(op.pick % live.length, 1);
              if (m === undefined) continue;
              assert.equal(domain.unmap(m.iova, m.size), m.size);
            }
            const probes = [...op.probes.map((p) => IOVA_BASE + p), ...live.slice(-2).map((m) => m.iova + m.size - 1)];
            for (const iova of probes) {
              const want = lookup(iova);
              const phys = domain.iovaToPhys(iova);
              // 4.19's mtk_iommu_iova_to_phys ORs bit 32 in 4GB mode: the M4U's view of DRAM.
              const wantPhys = want !== null && eraName === "v4.19" && want < 2 ** 32 ? want + 2 ** 32 : want;
              assert.equal(phys === 0 ? null : phys, wantPhys, `iova_to_phys 0x${iova.toString(16)}`);
              const t = hw.translate(iova, "read");
              assert.equal(t.ok ? t.pa : null, want, `M4U translate 0x${iova.toString(16)}`);
            }
          }
          assert.equal(domain.counters.skippedFlushes, 0);
        }),
        { numRuns: 25, seed: 5 },
      );
    });
  }
});
