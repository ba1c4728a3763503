// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GFP_ATOMIC, GFP_DMA32, gfp } from "../../src/mm/gfp.ts";
import { STRATEGY_NAMES } from "../../src/strategies/index.ts";
import type { TableMemory } from "../../src/strategies/table-memory.ts";
import { make } from "./helpers.ts";

const K = 1024;
const SZ_4G = 0x1_0000_0000;
const L1 = 16 * K;

function tables(tm: TableMemory, n: number): number[] {
  return Array.from({ length: n }, () => {
    const pa = tm.allocL2(GFP_ATOMIC);
    assert.ok(pa !== null);
    return pa;
  });
}

/** Bytes the L2 allocator holds (total minus the 16 KiB L1). */
function l2Held(tm: TableMemory): number {
  return tm.usage().heldBytes - L1;
}

describe("strategy figures on elm v4.19 with 4 CPUs (hand-computed)", () => {
  it("slab-dma32: one L2 table holds one 16 KiB DMA32 slab; 17 tables hold two", () => {
    const { tm } = make("slab-dma32");
    tm.allocL1(L1);
    tables(tm, 1);
    assert.deepEqual(tm.usage(), { heldBytes: 32 * K, inUseBytes: 17 * K, heldByZone: { DMA32: 32 * K } });
    tables(tm, 16);
    assert.equal(l2Held(tm), 32 * K);
  });

  it("genalloc-prealloc: 4 MiB held from domain creation, plus the L1; the 4097th table fails", () => {
    const { tm } = make("genalloc-prealloc");
    assert.deepEqual(tm.usage(), { heldBytes: 4 * 1024 * K, inUseBytes: 0, heldByZone: { DMA32: 4 * 1024 * K } });
    tm.allocL1(L1);
    assert.equal(tm.usage().heldBytes, 4 * 1024 * K + L1);
    tables(tm, 4096);
    assert.equal(tm.allocL2(GFP_ATOMIC), null);
    assert.equal(tm.usage().heldBytes, 4 * 1024 * K + L1);
  });

  it("genalloc-grow: 64 KiB chunks on demand, kept after every free", () => {
    const { tm } = make("genalloc-grow");
    tm.allocL1(L1);
    assert.equal(l2Held(tm), 0);
    const ts = tables(tm, 64);
    assert.equal(l2Held(tm), 64 * K);
    ts.push(...tables(tm, 1));
    assert.equal(l2Held(tm), 128 * K);
    for (const pa of ts) tm.freeL2(pa);
    assert.equal(l2Held(tm), 128 * K);
  });

  it("page-frag: 32 KiB for 1 to 32 tables, 64 KiB for 33", () => {
    const { tm } = make("page-frag");
    tm.allocL1(L1);
    for (const [n, held] of [
      [1, 32],
      [16, 32],
      [32, 32],
      [33, 64],
    ] as const) {
      tables(tm, n - (tm.usage().inUseBytes - L1) / K);
      assert.equal(l2Held(tm), held * K, `${n} tables`);
    }
  });

  it("page-per-table: 4 KiB per table", () => {
    const { tm } = make("page-per-table");
    tm.allocL1(L1);
    for (const n of [1, 16, 17, 32, 33]) {
      tables(tm, n - (tm.usage().inUseBytes - L1) / K);
      assert.equal(l2Held(tm), n * 4 * K);
    }
  });

  it("slab strategies: 16 KiB per started group of 16 tables (1, 16 → 16 KiB; 17, 32 → 32 KiB; 33 → 48 KiB)", () => {
    for (const name of ["legacy-gfp-dma", "slab-dma32", "kzalloc-dma32", "mtk-ttbr-ext"]) {
      const { tm } = make(name);
      tm.allocL1(L1);
      for (const [n, held] of [
        [1, 16],
        [16, 16],
        [17, 32],
        [32, 32],
        [33, 48],
      ] as const) {
        tables(tm, n - (tm.usage().inUseBytes - L1) / K);
        assert.equal(l2Held(tm), held * K, `${name}, ${n} tables`);
      }
    }
  });
});

describe("where tables land on elm", () => {
  it("v4.19: legacy-gfp-dma (and GFP_KERNEL mtk-ttbr-ext) above 4 GiB while ZONE_NORMAL has pages; every DMA32 strategy below", () => {
    for (const name of STRATEGY_NAMES) {
      const { tm, b } = make(name);
      const l1 = tm.allocL1(L1) as number;
      const l2 = tables(tm, 40);
      const high = name === "legacy-gfp-dma" || name === "mtk-ttbr-ext";
      for (const pa of [l1, ...l2]) {
        assert.equal(pa >= SZ_4G, high, `${name} table at 0x${pa.toString(16)}`);
        assert.equal(b.zoneOf(pa), high ? "NORMAL" : "DMA32");
      }
      assert.equal((tm.drainMessages?.() ?? []).length, 0, name);
    }
  });

  it("v4.14: legacy-gfp-dma stays below 4 GiB (arm64 still had ZONE_DMA there)", () => {
    const { tm, b } = make("legacy-gfp-dma", "v4.14");
    const pas = [tm.allocL1(L1) as number, ...tables(tm, 20)];
    for (const pa of pas) {
      assert.ok(pa < SZ_4G);
      assert.equal(b.zoneOf(pa), "DMA");
    }
  });

  it("slab-dma32 with GFP_DMA32 in the call (v2's 'gfp | ARM_V7S_TABLE_GFP_DMA') logs 'Unexpected gfp'", () => {
    const { tm } = make("slab-dma32");
    const pa = tm.allocL2(gfp(GFP_ATOMIC, GFP_DMA32)) as number;
    assert.ok(pa < SZ_4G, "the cache's own GFP_DMA32 still applies");
    assert.deepEqual(tm.drainMessages?.(), ["Unexpected gfp: __GFP_DMA32. Fixing up to gfp: GFP_ATOMIC|__GFP_ZERO. Fix your code!"]);
  });

  it("every L2 table is 1 KiB aligned and zeroed", () => {
    for (const name of STRATEGY_NAMES) {
      const { tm, b } = make(name);
      tm.allocL1(L1);
      const pas = tables(tm, 3);
      for (const pa of pas) {
        assert.equal(pa % K, 0);
        b.phys.write32(pa + 12, 0xffffffff);
      }
      for (const pa of pas) tm.freeL2(pa);
      const again = tables(tm, 3);
      for (const pa of again) assert.equal(b.phys.read32(pa + 12), 0, `${name} 0x${pa.toString(16)}`);
    }
  });
});
