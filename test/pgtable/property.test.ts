// SPDX-License-Identifier: GPL-2.0-only
/**
 * Random map/unmap sequences over every page size with pgcount > 1, against a plain reference: a map of
 * mapped intervals plus the set of 1 MiB slots that hold an L2 table. The reference states the kernel's
 * rules in interval terms (block maps swallow tables, leaf unmaps never free tables, a partial unmap of
 * a larger block is refused on latest), independently of the engine's table walking.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { era } from "../../src/core/era.ts";
import { GFP_ATOMIC } from "../../src/mm/gfp.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform } from "../../src/phys/platform.ts";
import { ArenaTableMemory } from "../../src/strategies/arena.ts";
import { dumpTable } from "../../src/pgtable/dump.ts";
import { allocV7s } from "../../src/pgtable/engine.ts";
import type { V7sPageTable } from "../../src/pgtable/types.ts";

const SZ_4K = 0x1000;
const SZ_1M = 0x100000;
const WINDOW = 0x400_0000; // 64 MiB: four supersection groups, so sizes collide often
const PA_OFFSET = 0x2000_0000;
const SIZES = [0x1000, 0x10000, 0x100000, 0x1000000] as const;
const MAX_COUNT = [40, 20, 6, 2] as const;
const EEXIST = -17;

interface Block {
  readonly iova: number;
  readonly size: number;
  readonly pa: number;
}

/** Interval-map reference. `partial` reports unmaps the pre-6.13 kernels would split instead. */
class Reference {
  readonly blocks = new Map<number, Block>();
  readonly tables = new Set<number>();
  partial = false;

  private overlapping(a: number, b: number): Block[] {
    const out: Block[] = [];
    for (const blk of this.blocks.values()) if (blk.iova < b && a < blk.iova + blk.size) out.push(blk);
    return out;
  }

  private drop(a: number, b: number): void {
    for (const blk of this.overlapping(a, b)) this.blocks.delete(blk.iova);
  }

  private mapPage(iova: number, pa: number, size: number): number {
    if (size >= SZ_1M) {
      for (let k = iova / SZ_1M; k < (iova + size) / SZ_1M; k++) {
        if (this.tables.has(k)) {
          // A block over a table frees the table and everything it mapped, even if a later slot fails.
          this.drop(k * SZ_1M, (k + 1) * SZ_1M);
          this.tables.delete(k);
        } else if (this.overlapping(k * SZ_1M, (k + 1) * SZ_1M).length > 0) {
          return EEXIST;
        }
      }
    } else {
      const k = Math.floor(iova / SZ_1M);
      if (!this.tables.has(k)) {
        if (this.overlapping(k * SZ_1M, (k + 1) * SZ_1M).length > 0) return EEXIST;
        this.tables.add(k);
      }
      if (this.overlapping(iova, iova + size).length > 0) return EEXIST;
    }
    this.blocks.set(iova, { iova, size, pa });
    return 0;
  }

  map(iova: number, size: number, count: number): { ret: number; mapped: number } {
    let ret = -22;
    let mapped = 0;
    for (let i = 0; i < count; i++) {
      ret = this.mapPage(iova + i * size, iova + i * size + PA_OFFSET, size);
      if (ret !== 0) break;
      mapped += size;
    }
    return { ret, mapped };
  }

  /** Bytes unmapped by one page, 0 when the kernel refuses (hole, or part of a larger block). */
  private unmapPage(iova: number, size: number): number {
    if (size >= SZ_1M) {
      for (let k = iova / SZ_1M; k < (iova + size) / SZ_1M; k++) {
        const cover = this.overlapping(k * SZ_1M, (k + 1) * SZ_1M);
        if (!this.tables.has(k) && cover.length === 0) return 0;
        if (!this.tables.has(k) && cover.some((b) => b.size > size)) {
          this.partial = true;
          return 0;
        }
      }
      this.drop(iova, iova + size);
      for (let k = iova / SZ_1M; k < (iova + size) / SZ_1M; k++) this.tables.delete(k);
      return size;
    }
    const k = Math.floor(iova / SZ_1M);
    if (!this.tables.has(k)) {
      if (this.overlapping(k * SZ_1M, (k + 1) * SZ_1M).length > 0) this.partial = true;
      return 0;
    }
    for (let a = iova; a < iova + size; a += SZ_4K) {
      const cover = this.overlapping(a, a + SZ_4K);
      if (cover.length === 0) return 0;
      if (cover.some((b) => b.size > size)) {
        this.partial = true;
        return 0;
      }
    }
    this.drop(iova, iova + size);
    return size;
  }

  unmap(iova: number, size: number, count: number): number {
    let unmapped = 0;
    for (let i = 0; i < count; i++) {
      if (this.unmapPage(iova + i * size, size) === 0) break;
      unmapped += size;
    }
    return unmapped;
  }

  phys(iova: number): number {
    const [blk] = this.overlapping(iova, iova + 1);
    return blk === undefined ? 0 : blk.pa + (iova - blk.iova);
  }
}

type Op = { kind: "map" | "unmap"; sizeIdx: 0 | 1 | 2 | 3; slot: number; count: number };

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom("map" as const, "map" as const, "unmap" as const),
  sizeIdx: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
  slot: fc.nat({ max: 1 << 16 }),
  count: fc.integer({ min: 1, max: 40 }),
});

function newEngine(eraName: "latest" | "v6.6"): V7sPageTable {
  const phys = new PhysMemory(customPlatform("prop", [{ start: 0x4000_0000, end: 0x4400_0000 }]));
  const res = allocV7s(
    { ias: 32, oas: 32, quirks: 0, pgsizeBitmap: 0x01111000, coherentWalk: true },
    { era: era(eraName), mem: new ArenaTableMemory(phys, 0x4000_0000) },
  );
  assert.ok(res.ok);
  return res.table;
}

function runSequence(eraName: "latest" | "v6.6", ops: Op[]): void {
  const e = newEngine(eraName);
  const ref = new Reference();
  for (const op of ops) {
    const size = SIZES[op.sizeIdx];
    const iova = (op.slot % (WINDOW / size)) * size;
    const count = Math.max(1, Math.min(Math.min(op.count, MAX_COUNT[op.sizeIdx]), (WINDOW - iova) / size));
    if (op.kind === "map") {
      const want = ref.map(iova, size, count);
      assert.deepEqual(e.mapPages(iova, iova + PA_OFFSET, size, count, 3, GFP_ATOMIC), want, `map 0x${iova.toString(16)} 0x${size.toString(16)} x${count}`);
    } else {
      // v6.6 would split a larger block here: keep those sequences to the latest era.
      const shadow = new Reference();
      for (const [k, v] of ref.blocks) shadow.blocks.set(k, v);
      for (const t of ref.tables) shadow.tables.add(t);
      const want = shadow.unmap(iova, size, count);
      if (eraName === "v6.6" && shadow.partial) continue;
      ref.unmap(iova, size, count);
      assert.equal(e.unmapPages(iova, size, count, { queued: false }), want, `unmap 0x${iova.toString(16)} 0x${size.toString(16)} x${count}`);
    }
    for (let a = iova; a < iova + size * count; a += SZ_4K) {
      assert.equal(e.iovaToPhys(a + 0x18), ref.phys(a) === 0 ? 0 : ref.phys(a) + 0x18, `iova_to_phys(0x${a.toString(16)})`);
    }
    assert.equal(e.l2TablesLive(), ref.tables.size);
  }
  for (let a = 0; a < WINDOW; a += SZ_4K) {
    const want = ref.phys(a);
    assert.equal(e.iovaToPhys(a + 4), want === 0 ? 0 : want + 4);
  }
  e.free();
}

describe("engine against an interval-map reference", () => {
  it("latest: random map/unmap sequences, all page sizes, pgcount > 1", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => runSequence("latest", ops)),
      { numRuns: 150, seed: 0x7a5 },
    );
  });
  it("v6.6: the same without partial unmaps", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => runSequence("v6.6", ops)),
      { numRuns: 100, seed: 0x66 },
    );
  });
});

/**
 * The single-page fast paths of mapPagesRet/unmapPages against the general loop: `count` 4K pages done
 * as single calls (stopping at the first failure, as iommu_map does) or as one call with pgcount
 * `count` leave the same tables and make the same TLB and DMA calls, for every era and for
 * non-coherent walks (where the fast paths stand aside).
 */
describe("single-page calls equal a pgcount run", () => {
  type Log = unknown[][];
  function rig(eraName: "latest" | "v6.6" | "v4.19", coherent: boolean): { t: V7sPageTable; log: Log } {
    const log: Log = [];
    const phys = new PhysMemory(customPlatform("prop", [{ start: 0x4000_0000, end: 0x4400_0000 }]));
    const res = allocV7s(
      { ias: 32, oas: 32, quirks: 0, pgsizeBitmap: 0x01111000, coherentWalk: coherent },
      {
        era: era(eraName),
        mem: new ArenaTableMemory(phys, 0x4000_0000),
        tlb: {
          tlbAddPage: (g, iova, granule) => void log.push(["add_page", g === null ? null : g.queued, iova, granule]),
          tlbFlushWalk: (iova, size) => void log.push(["walk", iova, size]),
          tlbAddFlush: (iova, size, granule, leaf) => void log.push(["add_flush", iova, size, granule, leaf]),
          tlbSync: () => void log.push(["sync"]),
        },
        dma: { mapSingle: (pa) => pa, unmapSingle: () => {}, syncForDevice: (at, n) => void log.push(["dma", at.l1Index, at.l2Index, n]) },
        log: { warn: (kind, text) => void log.push([kind, text]), error: (text) => void log.push(["error", text]) },
      },
    );
    assert.ok(res.ok);
    return { t: res.table, log };
  }
  const opArb = fc.record({
    map: fc.boolean(),
    page: fc.nat({ max: 1023 }),
    count: fc.integer({ min: 1, max: 4 }),
    prot: fc.constantFrom(0, 1, 2, 3, 7, 11, 35, 63),
    gather: fc.constantFrom("none" as const, "gather" as const, "queued" as const),
  });
  const gathers = { none: null, gather: { queued: false }, queued: { queued: true } };
  for (const eraName of ["latest", "v6.6", "v4.19"] as const) {
    for (const coherent of [true, false]) {
      it(`${eraName}, ${coherent ? "coherent" : "non-coherent"} walk`, () => {
        fc.assert(
          fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
            const a = rig(eraName, coherent);
            const b = rig(eraName, coherent);
            for (const op of ops) {
              const iova = op.page * SZ_4K;
              if (op.map) {
                let ret = 0;
                let mapped = 0;
                for (let k = 0; k < op.count; k++) {
                  ret = a.t.mapPagesRet(iova + k * SZ_4K, PA_OFFSET + iova + k * SZ_4K, SZ_4K, 1, op.prot, GFP_ATOMIC);
                  mapped += a.t.lastMapped;
                  if (ret !== 0) break;
                }
                assert.deepEqual({ ret, mapped }, b.t.mapPages(iova, PA_OFFSET + iova, SZ_4K, op.count, op.prot, GFP_ATOMIC));
              } else {
                let unmapped = 0;
                for (let k = 0; k < op.count; k++) {
                  const n = a.t.unmapPages(iova + k * SZ_4K, SZ_4K, 1, gathers[op.gather]);
                  unmapped += n;
                  if (n === 0) break;
                }
                assert.equal(unmapped, b.t.unmapPages(iova, SZ_4K, op.count, gathers[op.gather]));
              }
              assert.deepEqual(a.log, b.log);
            }
            assert.deepEqual(dumpTable(a.t), dumpTable(b.t));
            for (let p = 0; p < 1028; p++) assert.equal(a.t.iovaToPhys(p * SZ_4K + 5), b.t.iovaToPhys(p * SZ_4K + 5));
          }),
          { numRuns: 60, seed: 0x5eed },
        );
      });
    }
  }
});
