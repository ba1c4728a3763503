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
import { allocV7s } from "../../src/pgtable/engine.ts";
import type { V7sConfig, V7sPageTable } from "../../src/pgtable/types.ts";

/** L1 from a window below 4 GiB, L2 tables from a window at 5 GiB: arm64 GFP_DMA after v4.15 on elm. */
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
  const cases: [EraName, Partial<V7sConfig>, RegExp][] = [
    ["latest", { ias: 33 }, /ias 33 > 32/],
    ["latest", { quirks: 8 }, /ARM_MTK_EXT requires NO_PERMS/],
    ["latest", { quirks: 18 }, /ARM_MTK_TTBR_EXT requires ARM_MTK_EXT/],
    ["latest", { quirks: 4 }, /accepts only/],
    ["v4.19", { quirks: 8 }, /ARM_MTK_4GB requires NO_PERMS/],
    ["v4.19", { oas: 33 }, /oas 33 > 32/],
  ];
  for (const [e, over, re] of cases) {
    it(`${e} ${JSON.stringify(over)}`, () => {
      const res = allocV7s({ ...BASE, ...over }, { era: era(e), mem: splitMemory() });
      assert.equal(res.ok, false);
      assert.match(res.ok ? "" : res.reason, re);
    });
  }
});
