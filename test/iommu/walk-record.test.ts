// SPDX-License-Identifier: GPL-2.0-only
/**
 * The allocation-free walk (walkInto into a reused WalkRecord, M4u.probeInto) against the object-building
 * walker it replaced, copied here as the reference: random descriptors in random memory, every walker
 * config, with and without a walk cache, reads with and without side effects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SZ_16M, SZ_1M, SZ_4G, SZ_4K, SZ_64K } from "../../src/core/u32.ts";
import { M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import { WalkCache } from "../../src/iommu/tlb.ts";
import type { Access, FaultType, WalkStep } from "../../src/iommu/types.ts";
import {
  WalkRecord,
  fourGbBusToCpu,
  fourGbBusToCpuOrSelf,
  walk,
  walkInto,
  walkPageInto,
  walkResultOf,
  type Leaf,
  type WalkConfig,
  type WalkResult,
} from "../../src/iommu/walker.ts";
import type { TableWalkCache } from "../../src/iommu/walker.ts";
import type { PhysMemory } from "../../src/phys/memory.ts";
import { ATTR_AP2_RDONLY, L1_CONT_MASK, L1_MASK, L2_CONT_MASK, L2_MASK, TABLE_MASK, attrShift, l1Kind, l2Kind, mtkHighBits } from "../../src/pgtable/format.ts";
import { arm64_8g, elm4g, setL1, tableDesc } from "./fixtures.ts";

// --- the previous implementation (reference) -------------------------------------------------------
const AP2_L1 = ATTR_AP2_RDONLY << attrShift(1);
const AP2_L2 = ATTR_AP2_RDONLY << attrShift(2);
function oldWalk(
  phys: PhysMemory,
  cfg: WalkConfig,
  l1Base: number,
  iova: number,
  access: Access,
  sideEffects: boolean,
  walkCache: TableWalkCache | null,
): WalkResult {
  const steps: WalkStep[] = [];
  let reads = 0;
  const idx1 = Math.floor(iova / SZ_1M) % (1 << (cfg.ias - 20));
  const l1Pa = l1Base + 4 * idx1;
  let d1 = walkCache?.get(idx1);
  if (d1 !== undefined) {
    steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: "table", cached: true });
  } else {
    if (!phys.isRam(l1Pa, 4)) {
      if (sideEffects) phys.read32(l1Pa);
      steps.push({ level: 1, descriptorPa: l1Pa, descriptor: 0, kind: "bus-error" });
      return oldFault("walk-bus-error", iova, access, 1, l1Pa, 0, steps, null, reads);
    }
    d1 = phys.read32(l1Pa);
    reads++;
    const k1 = l1Kind(d1);
    if (k1 === "invalid") {
      steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: k1 });
      return oldFault("translation", iova, access, 1, l1Pa, d1, steps, null, reads);
    }
    if (k1 !== "table") {
      steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: k1 });
      const superS = k1 === "supersection";
      return oldLeaf(cfg, iova, access, 1, l1Pa, d1, superS ? SZ_16M : SZ_1M, superS ? L1_CONT_MASK : L1_MASK, steps, reads);
    }
    steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: "table" });
    walkCache?.set(idx1, d1);
  }
  let l2Base = (d1 & TABLE_MASK) >>> 0;
  if (cfg.mtkTtbrExt) l2Base += mtkHighBits(d1) * SZ_4G;
  const l2Pa = l2Base + 4 * (Math.floor(iova / SZ_4K) & 0xff);
  if (!phys.isRam(l2Pa, 4)) {
    if (sideEffects) phys.read32(l2Pa);
    steps.push({ level: 2, descriptorPa: l2Pa, descriptor: 0, kind: "bus-error" });
    return oldFault("walk-bus-error", iova, access, 2, l2Pa, 0, steps, null, reads);
  }
  const d2 = phys.read32(l2Pa);
  reads++;
  const k2 = l2Kind(d2);
  steps.push({ level: 2, descriptorPa: l2Pa, descriptor: d2, kind: k2 });
  if (k2 === "invalid") return oldFault("translation", iova, access, 2, l2Pa, d2, steps, null, reads);
  const small = k2 === "small";
  return oldLeaf(cfg, iova, access, 2, l2Pa, d2, small ? SZ_4K : SZ_64K, small ? L2_MASK : L2_CONT_MASK, steps, reads);
}
function oldLeaf(
  cfg: WalkConfig,
  iova: number,
  access: Access,
  level: 1 | 2,
  descriptorPa: number,
  descriptor: number,
  pageSize: number,
  addrMask: number,
  steps: WalkStep[],
  reads: number,
): WalkResult {
  const field = (descriptor & addrMask) >>> 0;
  const busPaBase = cfg.mtkExt ? field + mtkHighBits(descriptor) * SZ_4G : field;
  const iovaBase = iova - (iova % pageSize);
  const offset = iova - iovaBase;
  let paBase = busPaBase;
  if (cfg.fourGbMode) {
    const cpu = fourGbBusToCpu(busPaBase);
    if (cpu === null) return oldFault("invalid-pa", iova, access, level, descriptorPa, descriptor, steps, null, reads);
    paBase = cpu;
  }
  const writable = cfg.noPerms || (descriptor & (level === 1 ? AP2_L1 : AP2_L2)) === 0;
  const leaf: Leaf = { iovaBase, pageSize, paBase, busPaBase, writable, level, descriptorPa, descriptor };
  if (access === "write" && !writable) return oldFault("permission", iova, access, level, descriptorPa, descriptor, steps, leaf, reads);
  return { translation: { ok: true, iova, pa: paBase + offset, busPa: busPaBase + offset, pageSize, writable, fromTlb: false, steps }, leaf, reads };
}
function oldFault(
  type: FaultType,
  iova: number,
  access: Access,
  level: 1 | 2,
  descriptorPa: number,
  descriptor: number,
  steps: WalkStep[],
  leaf: Leaf | null,
  reads: number,
): WalkResult {
  return { translation: { ok: false, fault: { type, iova, access, level, descriptorPa, descriptor }, steps }, leaf, reads };
}
// ---------------------------------------------------------------------------------------------------

const configs: WalkConfig[] = [
  { ias: 32, mtkExt: true, mtkTtbrExt: false, fourGbMode: true, noPerms: true },
  { ias: 32, mtkExt: true, mtkTtbrExt: false, fourGbMode: false, noPerms: true },
  { ias: 34, mtkExt: true, mtkTtbrExt: true, fourGbMode: false, noPerms: true },
  { ias: 32, mtkExt: false, mtkTtbrExt: false, fourGbMode: false, noPerms: false },
];

/** A descriptor word: random, or shaped as a table/section/page pointing into (or beside) RAM. */
const word = fc.oneof(
  fc.nat(0xffff_ffff),
  fc.constant(0),
  fc.integer({ min: 0x4000_0, max: 0xffff_f }).map((k) => ((k << 12) | 0x1 | ((k & 7) << 4)) >>> 0),
  fc.integer({ min: 0, max: 0xfff }).map((k) => ((k << 20) | 0x2 | ((k & 3) << 18) | ((k & 1) << 9) | ((k & 2) << 14)) >>> 0),
  fc.integer({ min: 0, max: 0xfffff }).map((k) => ((k << 12) | 0x2 | ((k & 1) << 9) | ((k & 6) << 3)) >>> 0),
  fc.integer({ min: 0, max: 0xffff }).map((k) => ((k << 16) | 0x1 | ((k & 1) << 9)) >>> 0),
);

describe("walkInto / probeInto equal the object-building walk", () => {
  it("same translation, leaf, steps and reads on random tables, configs, caches and accesses", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: configs.length - 1 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 34 - 1 }), word, word), { minLength: 1, maxLength: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 34 - 1 }), fc.constantFrom<Access>("read", "write"), fc.boolean()), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(0x4000_0000, 0x8000_0000, 0x2_7fff_c000, 0x1_0000_0000),
        (ci, cached, tables, walks, l1Base) => {
          const cfg = configs[ci] as WalkConfig;
          const phys = cfg.ias === 34 ? arm64_8g() : elm4g();
          const shadow = cfg.ias === 34 ? arm64_8g() : elm4g();
          for (const p of [phys, shadow]) {
            for (const [iova, d1, d2] of tables) {
              const l1Pa = l1Base + 4 * (Math.floor(iova / SZ_1M) % (1 << (cfg.ias - 20)));
              if (p.isRam(l1Pa, 4)) p.write32(l1Pa, d1);
              // An L2 word where a table descriptor would point (if that is RAM).
              let l2 = (d1 & TABLE_MASK) >>> 0;
              if (cfg.mtkTtbrExt) l2 += mtkHighBits(d1) * SZ_4G;
              const l2Pa = l2 + 4 * (Math.floor(iova / SZ_4K) & 0xff);
              if (p.isRam(l2Pa, 4)) p.write32(l2Pa, d2);
            }
          }
          const cacheNew = cached ? new WalkCache(4) : null;
          const cacheOld = cached ? new WalkCache(4) : null;
          const rec = new WalkRecord();
          for (const [iova0, access, side] of walks) {
            const iova = iova0 % 2 ** cfg.ias;
            const want = oldWalk(shadow, cfg, l1Base, iova, access, side, cacheOld);
            // One record reused for every walk: nothing may leak from the previous one.
            const okNow = walkInto(rec, phys, cfg, l1Base, iova, access, side, cacheNew);
            assert.equal(okNow, want.translation.ok);
            assert.deepEqual(walkResultOf(rec, iova, access), want);
            const plain = oldWalk(shadow, cfg, l1Base, iova, access, false, null);
            assert.deepEqual(walk(phys, cfg, l1Base, iova, access, false, null), plain);
            // The page-frame entry point is the same walk.
            const byPage = new WalkRecord();
            walkPageInto(byPage, phys, cfg, l1Base, Math.floor(iova / SZ_4K), iova % SZ_4K, access, false, null);
            assert.deepEqual(walkResultOf(byPage, iova, access), plain);
            if (byPage.leaf) assert.equal(byPage.leafPfn * SZ_4K, byPage.iovaBase);
            assert.equal(phys.busErrorCount, shadow.busErrorCount);
            assert.deepEqual(cacheNew?.entries(), cacheOld?.entries());
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("probeInto reuses one record, allocates nothing visible, and matches probe()", () => {
    const phys = elm4g();
    const m4u = new M4u(phys, mt8173Config(true));
    const L1 = 0x4000_4000;
    m4u.writePtBase(L1);
    setL1(phys, L1, 0x1000_0000, tableDesc(0x4010_0400));
    phys.write32(0x4010_0400 + 4 * 3, 0x4000_3c42 | (1 << 9));
    setL1(phys, L1, 0x2000_0000, 0x6000_0000 | 0xb1002 | (1 << 9));
    const rec = new WalkRecord();
    for (const iova of [0x1000_3004, 0x2000_1234, 0x1000_4000, 0x3000_0000, 0x1000_3ff8]) {
      m4u.probeInto(rec, iova);
      assert.deepEqual(walkResultOf(rec, iova, "read").translation, m4u.probe(iova));
    }
    assert.ok(m4u.probeInto(rec, 0x1000_3004));
    assert.deepEqual([rec.pa, rec.pageSize, rec.level], [0x4000_3004, SZ_4K, 2]);
    assert.equal(m4u.probeInto(rec, 0x1000_5000), false);
    assert.deepEqual([rec.fault, rec.level], ["translation", 2]);
    assert.throws(() => m4u.probeInto(rec, 2 ** 32), RangeError);
    assert.ok(m4u.probePageInto(rec, 0x1_0003, 4));
    assert.deepEqual([rec.pa, rec.leafPfn], [0x4000_3004, 0x1_0003]);
    assert.ok(m4u.probePageInto(rec, 0x2_0001, 0x234));
    assert.deepEqual([rec.pa, rec.pageSize, rec.leafPfn], [0x6000_1234, SZ_1M, 0x2_0000]);
    assert.throws(() => m4u.probePageInto(rec, 2 ** 20, 0), RangeError);
    assert.throws(() => m4u.probePageInto(rec, 0, 4096), RangeError);
    assert.equal(m4u.counters().descriptorReads, 0, "a probe counts nothing");
  });

  it("a table above 4 GiB behind a 32-bit pointer: probeInto follows the truncated pointer, as the M4U does", () => {
    // arm64-8g: the L2 at 0x2_0000_0400 is installed as a 32-bit pointer 0x0000_0400 (not RAM) on a
    // walker without TTBR_EXT, so the walk faults; with TTBR_EXT it reaches the real table.
    const cfgs = [
      { ext: false, want: "walk-bus-error" },
      { ext: true, want: "ok" },
    ] as const;
    for (const { ext, want } of cfgs) {
      const phys = arm64_8g();
      const cfg: WalkConfig = { ias: 32, mtkExt: true, mtkTtbrExt: ext, fourGbMode: false, noPerms: true };
      const l2 = 0x2_0000_0400;
      const desc = (tableDesc(l2) | (1 << 4)) >>> 0; // PA bit 33 in PTE bit 4 (MTK TTBR_EXT layout)
      setL1(phys, 0x8000_0000, 0x1000_0000, desc);
      phys.write32(l2, 0x9000_0c42);
      const rec = new WalkRecord();
      walkInto(rec, phys, cfg, 0x8000_0000, 0x1000_0000, "read", false, null);
      assert.equal(rec.ok ? "ok" : rec.fault, want);
      if (rec.ok) assert.equal(rec.pa, 0x9000_0000);
    }
  });
});

describe("probeRun: every leaf of a run, as one probe per leaf would see it", () => {
  it("visits the leaves the per-leaf loop visits, each record equal to its own walk (random tables)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xa00 }), word, word), { maxLength: 30 }),
        fc.integer({ min: 0x1000_0000 / 4096, max: 0x1040_0000 / 4096 }),
        fc.integer({ min: 0, max: 4095 }),
        fc.integer({ min: 1, max: 0x60_0000 }),
        (ci, words, pfn, offset, bytes) => {
          const cfg = configs[ci] as WalkConfig;
          const phys = cfg.ias === 34 ? arm64_8g() : elm4g();
          const m4u = new M4u(phys, { ...cfg, tlbEntries: 4, walkCacheEntries: 0 });
          const l1 = cfg.ias === 34 ? 0x8000_0000 : 0x4000_0000;
          m4u.writePtBase(l1);
          // Well-formed tables first (MiB 0x100: 4K and 64K pages; 0x101: a section; 0x102: a table
          // with holes), then random words for IOVAs in and around the run.
          const ext = cfg.mtkExt ? 1 << 9 : 0;
          const l2a = l1 + 0x10_0000;
          setL1(phys, l1, 0x1000_0000, tableDesc(l2a), cfg.ias);
          for (let i = 0; i < 256; i++) phys.write32(l2a + 4 * i, i < 16 ? (0x4000_0000 + i * 4096) | 0x2 | ext : (0x4100_0000 | 0x1 | ext) >>> 0);
          setL1(phys, l1, 0x1010_0000, (0x6000_0000 | 0x2 | ext) >>> 0, cfg.ias);
          const l2b = l1 + 0x10_0400;
          setL1(phys, l1, 0x1020_0000, tableDesc(l2b), cfg.ias);
          for (let i = 0; i < 256; i += 3) phys.write32(l2b + 4 * i, (0x4200_0000 + i * 4096) | 0x2 | ext);
          for (const [page, d1, d2] of words) {
            const iova = 0x1000_0000 + page * 4096 - 0x20_0000;
            const l1Pa = l1 + 4 * (Math.floor(iova / SZ_1M) % (1 << (cfg.ias - 20)));
            phys.write32(l1Pa, d1);
            let l2 = (d1 & TABLE_MASK) >>> 0;
            if (cfg.mtkTtbrExt) l2 += mtkHighBits(d1) * SZ_4G;
            const l2Pa = l2 + 4 * (Math.floor(iova / SZ_4K) & 0xff);
            if (phys.isRam(l2Pa, 4)) phys.write32(l2Pa, d2);
          }
          // Reference: the session's loop, one probePageInto per leaf.
          const want: string[] = [];
          const one = new WalkRecord();
          const end = pfn * SZ_4K + offset + bytes;
          for (let at = pfn, off = offset; at * SZ_4K < end; off = 0) {
            const ok = m4u.probePageInto(one, at, off);
            want.push(JSON.stringify([at, off, walkResultOf(one, at * SZ_4K + off, "read")]));
            at = ok ? one.leafPfn + one.pageSize / SZ_4K : at + 1;
          }
          const got: string[] = [];
          m4u.probeRun(new WalkRecord(), pfn, offset, bytes, (rec, at, off) =>
            got.push(JSON.stringify([at, off, walkResultOf(rec, at * SZ_4K + off, "read")])),
          );
          assert.deepEqual(got, want);
          assert.equal(phys.busErrorCount, 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("an empty run visits nothing; a run past the IOVA space is refused", () => {
    const m4u = new M4u(elm4g(), mt8173Config(true));
    let n = 0;
    m4u.probeRun(new WalkRecord(), 5, 0, 0, () => n++);
    assert.equal(n, 0);
    assert.throws(() => m4u.probeRun(new WalkRecord(), 2 ** 20 - 1, 0, 0x2000, () => n++), RangeError);
  });
});

describe("PhysMemory.peek32 (the walker's read)", () => {
  it("reads what write32 wrote across chunks, 0 for untouched RAM, -1 outside RAM, and records nothing", () => {
    const phys = elm4g();
    phys.write32(0x4000_0000, 0xdead_beef);
    phys.write32(0x4001_0004, 0x1234_5678);
    assert.equal(phys.peek32(0x4000_0000), 0xdead_beef);
    assert.equal(phys.peek32(0x4001_0004), 0x1234_5678);
    assert.equal(phys.peek32(0x4002_0000), 0, "untouched chunk");
    assert.equal(phys.peek32(0x4000_0000), 0xdead_beef, "back to the first chunk");
    // Written after the chunk was remembered: the same array, so the new word shows.
    phys.write32(0x4000_0008, 7);
    assert.equal(phys.peek32(0x4000_0008), 7);
    // A chunk that materialises after a peek of it read 0.
    phys.write32(0x4002_0000, 9);
    assert.equal(phys.peek32(0x4002_0000), 9);
    assert.equal(phys.peek32(0x1000), -1, "below RAM");
    assert.equal(phys.busErrorCount, 0);
  });
});

describe("fourGbBusToCpuOrSelf (the verification's number-only form)", () => {
  it("equals fourGbBusToCpu(bus) ?? bus on random 35-bit addresses and at the window's edges", () => {
    const edges = [0, 0xffff_ffff, SZ_4G - 1, SZ_4G, 0x1_3fff_ffff, 0x1_4000_0000, 2 * SZ_4G - 1, 2 * SZ_4G, 2 ** 35 - 1];
    for (const bus of edges) assert.equal(fourGbBusToCpuOrSelf(bus), fourGbBusToCpu(bus) ?? bus, `bus 0x${bus.toString(16)}`);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 35 - 1 }), (bus) => fourGbBusToCpuOrSelf(bus) === (fourGbBusToCpu(bus) ?? bus)),
      { numRuns: 5000 },
    );
  });
});
