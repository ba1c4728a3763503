// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GFP_ATOMIC } from "../../src/mm/gfp.ts";
import { STRATEGY_NAMES } from "../../src/strategies/index.ts";
import { PageFragTableMemory } from "../../src/strategies/page-frag.ts";
import { bootBuddy, freeSnapshot } from "../mm/boot.ts";
import { make } from "./helpers.ts";

const K = 1024;

describe("strategy teardown", () => {
  it("destroy with a live L1 or L2 table is a RangeError naming it, and nothing changes (except page-frag, which never checks)", () => {
    for (const name of STRATEGY_NAMES.filter((n) => n !== "page-frag")) {
      const { tm, b } = make(name);
      const l1 = tm.allocL1(16 * K) as number;
      const l2 = tm.allocL2(GFP_ATOMIC) as number;
      const before = [JSON.stringify(tm.usage()), freeSnapshot(b)];
      assert.throws(() => tm.destroy(), new RegExp(`0x${l1.toString(16)}`), name);
      tm.freeL1(l1, 16 * K);
      const mid = [JSON.stringify(tm.usage()), freeSnapshot(b)];
      assert.throws(() => tm.destroy(), new RegExp(`0x${l2.toString(16)}`), name);
      assert.deepEqual([JSON.stringify(tm.usage()), freeSnapshot(b)], mid, name);
      assert.notDeepEqual(mid, before);
      tm.freeL2(l2);
      tm.destroy();
      assert.equal(tm.usage().heldBytes, 0, name);
    }
  });

  it("page-frag does not drain at teardown (as in the RFC): the current 32 KiB page stays allocated", () => {
    const { tm, b } = make("page-frag");
    const initial = freeSnapshot(b);
    const l1 = tm.allocL1(16 * K) as number;
    const l2 = tm.allocL2(GFP_ATOMIC) as number;
    tm.freeL2(l2);
    tm.freeL1(l1, 16 * K);
    tm.destroy();
    assert.deepEqual(tm.usage(), { heldBytes: 32 * K, inUseBytes: 0, heldByZone: { DMA32: 32 * K } });
    assert.equal(b.ownerOf(l2), "page_frag:io-pgtable-arm-v7s");
    (tm as PageFragTableMemory).frags.drain();
    assert.equal(freeSnapshot(b), initial);
  });

  it("freeL2 / freeL1 of addresses that are not live tables are RangeErrors", () => {
    for (const name of STRATEGY_NAMES) {
      const { tm } = make(name);
      const l1 = tm.allocL1(16 * K) as number;
      assert.throws(() => tm.freeL1(l1 + 4096, 16 * K), RangeError, name);
      assert.throws(() => tm.freeL2(0x4000_0400), RangeError, name);
      const l2 = tm.allocL2(GFP_ATOMIC) as number;
      tm.freeL2(l2);
      assert.throws(() => tm.freeL2(l2), RangeError, name);
    }
  });
});

describe("strategy accounting property", () => {
  for (const name of STRATEGY_NAMES) {
    it(`${name}: held >= in use >= 0 throughout; freeing everything and destroy restore the buddy`, () => {
      const b = bootBuddy();
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 150 }), (ops) => {
          const initial = freeSnapshot(b);
          const { tm } = make(name, "v4.19", 4, b);
          const l1 = tm.allocL1(16 * K) as number;
          const live: number[] = [];
          for (const [isAlloc, k] of ops) {
            if (isAlloc || live.length === 0) live.push(tm.allocL2(GFP_ATOMIC) as number);
            else tm.freeL2(live.splice(k % live.length, 1)[0] as number);
            const u = tm.usage();
            assert.equal(u.inUseBytes, 16 * K + live.length * K);
            assert.ok(u.heldBytes >= u.inUseBytes);
            assert.ok(Object.values(u.heldByZone).every((v) => v > 0));
          }
          for (const pa of live) tm.freeL2(pa);
          tm.freeL1(l1, 16 * K);
          tm.destroy();
          if (tm instanceof PageFragTableMemory) tm.frags.drain();
          assert.equal(tm.usage().heldBytes, 0);
          assert.equal(freeSnapshot(b), initial);
        }),
        { numRuns: 25, seed: 11 },
      );
    });
  }
});
