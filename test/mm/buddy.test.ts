// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { test } from "node:test";
import { SZ_4G } from "../../src/core/u32.ts";
import { GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, __GFP_COMP, __GFP_ZERO, gfp, type Gfp } from "../../src/mm/gfp.ts";
import { buddyFor, drain, freeLists, smallBuddy } from "./buddy-helpers.ts";

const PAGE = 4096;
const P = 0x4000_0000;
const pg = (k: number): number => P + k * PAGE;

test("elm v4.19: GFP_KERNEL and GFP_DMA come from above 4 GiB until ZONE_NORMAL reaches its low watermark", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  assert.equal(b.gfpZone(GFP_DMA), "NORMAL");
  assert.ok((b.allocPages(GFP_KERNEL, 0, "t") as number) >= SZ_4G);
  const normal = b.zoneState("NORMAL");
  // The fast path passes while free > low (+ reserve 0 for the zone's own requests).
  const above = normal.freePages - normal.low;
  for (let i = 0; i < above; i++) {
    const pa = b.allocPages(GFP_DMA, 0, "t");
    assert.ok(pa !== null && pa >= SZ_4G, `allocation ${i} at ${pa}`);
  }
  assert.equal(b.freePagesIn("NORMAL"), normal.low);
  // Then GFP_DMA spills into ZONE_DMA32, below 4 GiB, through the zonelist.
  const spilled = b.allocPages(GFP_DMA, 0, "t") as number;
  assert.ok(spilled < SZ_4G);
  assert.equal(b.zoneOf(spilled), "DMA32");
  b.checkInvariants();
});

test("elm v4.19: GFP_DMA32 pages are always below 4 GiB, and stop at the DMA32 watermarks", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  const held = drain(b, gfp(GFP_DMA32, GFP_ATOMIC), "t");
  assert.ok(held.length > 0);
  for (const [pa, o] of held) assert.ok(pa + (PAGE << o) <= SZ_4G, `0x${pa.toString(16)} order ${o}`);
  assert.equal(b.allocPages(GFP_DMA32, 0, "t"), null);
  assert.equal(b.freePagesIn("NORMAL"), 262144);
  b.checkInvariants();
});

test("elm v4.14: GFP_DMA is ZONE_DMA below 4 GiB; GFP_DMA32 has no zone of its own and means NORMAL", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.14");
  assert.equal(b.gfpZone(GFP_DMA), "DMA");
  assert.equal(b.gfpZone(GFP_DMA32), "NORMAL");
  assert.ok((b.allocPages(GFP_DMA, 0, "t") as number) < SZ_4G);
  assert.ok((b.allocPages(GFP_DMA32, 0, "t") as number) >= SZ_4G);
  assert.ok((b.allocPages(GFP_KERNEL, 0, "t") as number) >= SZ_4G);
});

test("elm v6.6: the empty ZONE_DMA32 falls back to ZONE_DMA", () => {
  const b = buddyFor("mt8173-elm-4g", "v6.6");
  assert.equal(b.gfpZone(GFP_DMA32), "DMA32");
  const pa = b.allocPages(GFP_DMA32, 2, "t") as number;
  assert.equal(b.zoneOf(pa), "DMA");
  assert.ok((b.allocPages(GFP_DMA, 0, "t") as number) < SZ_4G);
  assert.ok(!b.buddyinfo().includes("DMA32"), "unpopulated zones are not in /proc/buddyinfo");
});

test("/proc/buddyinfo names zones as the kernel's zone_names: DMA, DMA32, Normal", () => {
  const lines = buddyFor("mt8173-elm-4g", "v4.19").buddyinfo().split("\n");
  assert.match(lines[0] as string, /^Node 0, zone    DMA32 /);
  assert.match(lines[1] as string, /^Node 0, zone   Normal /);
  assert.match(buddyFor("mt8173-elm-4g", "v6.6").buddyinfo(), /^Node 0, zone      DMA /);
});

test("elm v4.19 watermarks and lowmem_reserve", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  // min_free_kbytes = sqrt(4 GiB in KiB * 16) = 8192 KiB = 2048 pages, split 3:1.
  assert.deepEqual(b.zoneState("DMA32"), {
    name: "DMA32",
    startPfn: 0x40000,
    endPfn: 0x100000,
    managedPages: 786432,
    freePages: 786432,
    min: 1536,
    low: 2322,
    high: 3108,
    lowmemReserve: [0, 1024],
  });
  const n = b.zoneState("NORMAL");
  assert.deepEqual([n.min, n.low, n.high, n.lowmemReserve], [512, 774, 1036, [0, 0]]);
});

test("lowmem_reserve refuses GFP_KERNEL spill-over into DMA32 exactly at the kernel's thresholds", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  const dma32 = drain(b, gfp(GFP_ATOMIC, GFP_DMA32), "d");
  drain(b, GFP_ATOMIC, "n");
  // GFP_ATOMIC floors: min - min/2 - (min/2)/4, and free must stay above it.
  assert.equal(b.freePagesIn("DMA32"), 1536 - 768 - 192);
  assert.equal(b.freePagesIn("NORMAL"), 512 - 256 - 64);
  const setDma32Free = (target: number): void => {
    while (b.freePagesIn("DMA32") < target) {
      const [pa, o] = dma32.pop() as [number, number];
      b.freePages(pa, o);
    }
    while (b.freePagesIn("DMA32") > target) dma32.push([b.allocPages(GFP_DMA32, 0, "d") as number, 0]);
    assert.equal(b.freePagesIn("DMA32"), target);
  };
  const tryKernel = (g: Gfp = GFP_KERNEL): { pa: number | null; slow: boolean } => {
    const slow = b.stats.slowPath;
    const pa = b.allocPages(g, 0, "k");
    const out = { pa, slow: b.stats.slowPath !== slow };
    if (pa !== null) b.freePages(pa, 0);
    return out;
  };
  const { low, min } = b.zoneState("DMA32");
  const reserve = 1024;
  setDma32Free(low + reserve + 1);
  let r = tryKernel();
  assert.equal(r.slow, false);
  assert.equal(b.zoneOf(r.pa as number), "DMA32");
  setDma32Free(low + reserve);
  r = tryKernel();
  assert.equal(r.slow, true, "the fast path refuses DMA32 at low + reserve");
  assert.equal(b.zoneOf(r.pa as number), "DMA32");
  setDma32Free(min + reserve + 1);
  assert.equal(b.zoneOf(tryKernel().pa as number), "DMA32");
  setDma32Free(min + reserve);
  assert.equal(tryKernel().pa, null, "GFP_KERNEL is refused at min + reserve");
  assert.equal(tryKernel(GFP_DMA).pa, null, "so is GFP_DMA, which asks for NORMAL in 4.19");
  assert.notEqual(tryKernel(GFP_DMA32).pa, null, "GFP_DMA32 asks for DMA32 itself: no reserve applies");
  b.checkInvariants();
});

test("split: the lower half is returned, the upper halves go on the lower-order lists", () => {
  const b = smallBuddy([{ start: P, end: P + 4 * 2 ** 20 }], "v4.19", { minFreeKbytes: 0 });
  assert.deepEqual(b.freeCounts("DMA32"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(b.allocPages(GFP_KERNEL, 0, "t"), pg(0));
  assert.deepEqual(b.freeCounts("DMA32"), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  for (let o = 0; o < 10; o++) assert.deepEqual(b.freeList("DMA32", o), [pg(1 << o)]);
  for (let k = 1; k < 8; k++) assert.equal(b.allocPages(GFP_KERNEL, 0, "t"), pg(k));
  b.checkInvariants();
});

test("merge: buddies coalesce, and a block whose next-higher buddy is free goes to the tail", () => {
  const b = smallBuddy([{ start: P, end: P + 4 * 2 ** 20 }], "v4.19", { minFreeKbytes: 0 });
  for (let k = 0; k < 8; k++) b.allocPages(GFP_KERNEL, 0, "t");
  b.freePages(pg(1), 0);
  b.freePages(pg(7), 0);
  b.freePages(pg(6), 0); // merges with 7 into an order-1 block at 6
  assert.deepEqual(b.freeList("DMA32", 0), [pg(1)]);
  assert.deepEqual(b.freeList("DMA32", 1), [pg(6)]);
  b.freePages(pg(5), 0); // buddy 4 is busy, but the order-1 buddy of 4..5 (6..7) is free: tail
  assert.deepEqual(b.freeList("DMA32", 0), [pg(1), pg(5)]);
  b.freePages(pg(3), 0); // buddy 2 busy; 0..1 is not free at order 1: head
  assert.deepEqual(b.freeList("DMA32", 0), [pg(3), pg(1), pg(5)]);
  assert.equal(b.allocPages(GFP_KERNEL, 0, "t"), pg(3), "allocation takes the head");
  b.freePages(pg(3), 0);
  for (const k of [0, 2, 4]) b.freePages(pg(k), 0);
  assert.deepEqual(b.freeCounts("DMA32"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  b.checkInvariants();
});

test("boot free lists: 4.x frees boot blocks to the head (highest first), v5.10+ to the tail", () => {
  const ram = [{ start: P, end: P + 8 * 2 ** 20 }];
  const old = smallBuddy(ram, "v4.19", { minFreeKbytes: 0 });
  assert.deepEqual(old.freeList("DMA32", 10), [pg(1024), pg(0)]);
  assert.equal(old.allocPages(GFP_KERNEL, 0, "t"), pg(1024));
  // RAM at 1 GiB lies in ZONE_DMA under both 5.10 formulas (max_zone_phys(30) before 5.10.22, dma-ranges after).
  const now = smallBuddy(ram, "v5.10", { minFreeKbytes: 0 });
  assert.deepEqual(now.freeList("DMA", 10), [pg(0), pg(1024)]);
  assert.equal(now.allocPages(GFP_KERNEL, 0, "t"), pg(0));
});

test("unaligned RAM is freed in the largest aligned blocks that fit", () => {
  const b = smallBuddy([{ start: P + 3 * PAGE, end: P + 21 * PAGE }], "v4.19", { minFreeKbytes: 0 });
  // 3, 4..7, 8..15, 16..19, 20
  assert.deepEqual(b.freeCounts("DMA32").slice(0, 4), [2, 0, 2, 1]);
  b.checkInvariants();
});

test("compound pages: the head's count frees the block at zero", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  const before = b.buddyinfo();
  const pa = b.allocPages(gfp(GFP_KERNEL, __GFP_COMP), 3, "page_frag") as number;
  assert.equal(b.isCompound(pa), true);
  assert.equal(b.pageCount(pa), 1);
  b.pageRefAdd(pa, 31);
  b.getPage(pa + 3 * PAGE); // a tail page counts on the head
  assert.equal(b.pageCount(pa + 7 * PAGE), 33);
  assert.equal(b.pageRefSubAndTest(pa, 31), false);
  assert.equal(b.putPage(pa + PAGE), false);
  assert.equal(b.ownerOf(pa + 5 * PAGE), "page_frag");
  assert.equal(b.putPage(pa), true);
  assert.equal(b.ownerOf(pa), null);
  assert.equal(b.buddyinfo(), before);
  assert.throws(() => b.putPage(pa), /buddy.*0x[0-9a-f]+.*free/);

  const q = b.allocPages(gfp(GFP_KERNEL, __GFP_COMP), 3, "page_frag") as number;
  b.setPageCount(q, 5);
  assert.equal(b.pageRefSubAndTest(q, 5), true);
  assert.equal(b.ownerOf(q), "page_frag", "sub_and_test does not free by itself");
  b.freePages(q, 3); // free_the_page on a frozen block
  assert.equal(b.buddyinfo(), before);
  // __free_pages with other references only drops the caller's.
  const r = b.allocPages(GFP_KERNEL, 0, "x") as number;
  b.getPage(r);
  b.freePages(r, 0);
  assert.equal(b.ownerOf(r), "x");
  b.freePages(r, 0);
  assert.equal(b.buddyinfo(), before);
  b.checkInvariants();
});

test("bad input throws a RangeError naming the buddy, the address and the problem; state unchanged", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  const pa = b.allocPages(GFP_KERNEL, 2, "t") as number;
  const info = b.buddyinfo();
  const lists = freeLists(b);
  const hex = (x: number): string => "0x" + x.toString(16);
  assert.throws(
    () => b.allocPages(GFP_KERNEL, 11, "t"),
    (e: unknown) => e instanceof RangeError && /buddy/.test(e.message) && /order 11/.test(e.message),
  );
  assert.throws(
    () => b.freePages(pa, 11),
    (e: unknown) => e instanceof RangeError && e.message.includes("buddy") && e.message.includes(hex(pa)) && /order 11/.test(e.message),
  );
  assert.throws(
    () => b.freePages(0x1000, 0),
    (e: unknown) => e instanceof RangeError && e.message.includes("buddy") && e.message.includes("0x1000") && /unknown/.test(e.message),
  );
  assert.throws(
    () => b.freePages(pa, 1),
    (e: unknown) => e instanceof RangeError && e.message.includes(hex(pa)) && /wrong order.*2/.test(e.message),
  );
  assert.throws(
    () => b.freePages(pa + PAGE, 0),
    (e: unknown) => e instanceof RangeError && /not its head/.test(e.message),
  );
  assert.throws(
    () => b.freePages(pa + 8, 2),
    (e: unknown) => e instanceof RangeError && /page-aligned/.test(e.message),
  );
  assert.throws(() => b.allocPages(gfp(GFP_DMA, GFP_DMA32), 0, "t"), RangeError);
  assert.equal(b.buddyinfo(), info);
  assert.deepEqual(freeLists(b), lists);
  b.freePages(pa, 2);
  const freed = b.buddyinfo();
  assert.throws(
    () => b.freePages(pa, 2),
    (e: unknown) => e instanceof RangeError && e.message.includes("buddy") && e.message.includes(hex(pa)) && /double free/.test(e.message),
  );
  assert.equal(b.buddyinfo(), freed);
  b.checkInvariants();
});

test("accounting: bytes per owner per zone, ownerOf on every page of a block", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  const a = b.allocPages(GFP_KERNEL, 3, "slab:io-pgtable_armv7s_l2") as number;
  const c = b.allocPages(GFP_DMA32, 0, "slab:io-pgtable_armv7s_l2") as number;
  b.allocPages(GFP_DMA32, 1, "page_frag");
  assert.deepEqual(Object.fromEntries(b.usageByOwner()), {
    "slab:io-pgtable_armv7s_l2": { NORMAL: 8 * PAGE, DMA32: PAGE },
    page_frag: { DMA32: 2 * PAGE },
  });
  for (let k = 0; k < 8; k++) assert.equal(b.ownerOf(a + k * PAGE), "slab:io-pgtable_armv7s_l2");
  assert.equal(b.ownerOf(a + 8 * PAGE), null);
  assert.deepEqual(b.blockOf(a + 5 * PAGE), { head: a, order: 3 });
  assert.equal(b.zoneOf(0x1000), null);
  assert.equal(b.usageOf("page_frag").heldBytes, 2 * PAGE);
  b.freePages(a, 3);
  b.freePages(c, 0);
  assert.deepEqual(Object.fromEntries(b.usageByOwner()), { page_frag: { DMA32: 2 * PAGE } });
});

test("__GFP_ZERO zeroes the block through PhysMemory", () => {
  const b = buddyFor("mt8173-elm-4g", "v4.19");
  const pa = b.allocPages(GFP_KERNEL, 1, "t") as number;
  b.phys.write32(pa + 4096 + 12, 0xdeadbeef);
  b.freePages(pa, 1);
  const again = b.allocPages(gfp(GFP_KERNEL, __GFP_ZERO), 1, "t") as number;
  assert.equal(again, pa);
  assert.equal(b.phys.read32(pa + 4096 + 12), 0);
});

test("watermarks in other eras and platforms", () => {
  const v66 = buddyFor("mt8173-elm-4g", "v6.6");
  assert.deepEqual(
    v66.zoneStates().map((z) => [z.name, z.min, z.low, z.high, z.lowmemReserve]),
    [
      ["DMA", 1536, 2322, 3108, [0, 0, 1024]],
      ["DMA32", 0, 0, 0, [0, 0, 0]],
      ["NORMAL", 512, 774, 1036, [0, 0, 0]],
    ],
  );
  // 8 GiB: min_free_kbytes = int_sqrt(8 GiB in KiB * 16) = 11585, 2896 pages split 1:3.
  const big = buddyFor("arm64-8g", "v4.19");
  assert.deepEqual(
    big.zoneStates().map((z) => [z.min, z.low, z.high, z.lowmemReserve]),
    [
      [724, 724 + 524, 724 + 1048, [0, 1572864 / 256]],
      [2172, 2172 + 1572, 2172 + 3144, [0, 0]],
    ],
  );
  const tuned = buddyFor("mt8173-elm-4g", "v4.19", { minFreeKbytes: 65536 });
  assert.equal(tuned.zoneState("NORMAL").min, 4096);
});

test("blockCountsByOwner counts the blocks a walk of every page with blockOf/ownerOf finds", () => {
  // Two banks with a hole and a reservation; mixed orders and owners, some freed again.
  const b = smallBuddy(
    [
      { start: 0xfe00_0000, end: 0xff00_0000 },
      { start: 0xff40_0000, end: 0x1_0080_0000 },
    ],
    "v4.19",
    { reserved: [{ start: 0xff80_0000, end: 0xff90_0000 }] },
  );
  const owners = ["pool", "frag", "other"];
  const live: [number, number][] = [];
  for (let i = 0; i < 600; i++) {
    const order = (i * 7) % 5;
    const pa = b.allocPages(i % 3 === 0 ? GFP_DMA32 : GFP_KERNEL, order, owners[i % 3] as string);
    if (pa !== null) live.push([pa, order]);
    if (i % 4 === 1) {
      const [fpa, fo] = live.splice((i * 13) % live.length, 1)[0] as [number, number];
      b.freePages(fpa, fo);
    }
  }
  const walk = new Map<string, number>();
  for (const z of b.zones) {
    for (let pa = z.startPfn * PAGE; pa < z.endPfn * PAGE; ) {
      const blk = b.phys.isRam(pa) ? b.blockOf(pa) : null;
      if (blk === null) {
        pa += PAGE;
        continue;
      }
      const owner = b.ownerOf(blk.head) as string;
      if (owner !== "other") walk.set(owner, (walk.get(owner) ?? 0) + 1);
      pa = blk.head + PAGE * 2 ** blk.order;
    }
  }
  const counts = b.blockCountsByOwner(new Set(["pool", "frag", "absent"]));
  assert.deepEqual([...counts].sort(), [...walk].sort());
  assert.ok((counts.get("pool") ?? 0) > 50 && (counts.get("frag") ?? 0) > 50);
});
