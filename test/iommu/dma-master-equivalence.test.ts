// SPDX-License-Identifier: GPL-2.0-only
/**
 * The DMA master's one-loop transfer against the closure-per-word version it replaced, copied here as
 * the reference and run on a twin machine: random reads and writes (numbers and offset patterns) over
 * mapped, unmapped and non-RAM pages give the same reports, memory, bus errors and M4U state.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SZ_4K } from "../../src/core/u32.ts";
import { DmaMaster, type DmaPattern, type DmaReadReport, type DmaReport } from "../../src/iommu/dma-master.ts";
import { armV7sConfig, M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import type { Access, Fault, IommuHardware } from "../../src/iommu/types.ts";
import type { PhysMemory } from "../../src/phys/memory.ts";
import { elm4g, mtkSmall, setL1, setL2, tableDesc } from "./fixtures.ts";

// --- the previous implementation (reference), b0f46f0 src/iommu/dma-master.ts -----------------------------
class OldDmaMaster {
  readonly name: string;
  private readonly iommu: IommuHardware;
  private readonly phys: PhysMemory;
  constructor(name: string, iommu: IommuHardware, phys: PhysMemory) {
    this.name = name;
    this.iommu = iommu;
    this.phys = phys;
  }
  write(iova: number, bytes: number, pattern: DmaPattern): DmaReport {
    const value = typeof pattern === "number" ? () => pattern >>> 0 : (off: number) => pattern(off) >>> 0;
    return this.transfer("write", iova, bytes, (pa, off) => (this.phys.write32(pa, value(off)) ? 1 : 0));
  }
  read(iova: number, bytes: number): DmaReadReport {
    const words = new Uint32Array(bytes / 4);
    const report = this.transfer("read", iova, bytes, (pa, off) => {
      if (!this.phys.isRam(pa, 4)) {
        this.phys.read32(pa);
        return 0;
      }
      words[off / 4] = this.phys.read32(pa);
      return 1;
    });
    return { ...report, words };
  }
  private transfer(access: Access, iova: number, bytes: number, word: (pa: number, off: number) => number): DmaReport {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova % 4 !== 0) {
      throw new RangeError(`DMA ${access} by ${this.name}: IOVA ${iova} is not a 4-byte aligned non-negative integer`);
    }
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 4 !== 0) {
      throw new RangeError(`DMA ${access} by ${this.name}: length ${bytes} is not a positive multiple of 4`);
    }
    const faults: Fault[] = [];
    const chunks: { iova: number; bytes: number; pa: number | null; busErrors: number }[] = [];
    const ranges: { pa: number; bytes: number }[] = [];
    let transferred = 0;
    let busErrors = 0;
    for (let at = iova, end = iova + bytes; at < end; ) {
      const next = Math.min(end, at - (at % SZ_4K) + SZ_4K);
      const len = next - at;
      const t = this.iommu.translate(at, access);
      if (!t.ok) {
        faults.push(t.fault);
        chunks.push({ iova: at, bytes: len, pa: null, busErrors: 0 });
      } else {
        let ok = 0;
        for (let off = 0; off < len; off += 4) ok += word(t.pa + off, at - iova + off);
        const errs = len / 4 - ok;
        busErrors += errs;
        transferred += ok * 4;
        chunks.push({ iova: at, bytes: len, pa: t.pa, busErrors: errs });
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last.pa + last.bytes === t.pa) last.bytes += len;
        else ranges.push({ pa: t.pa, bytes: len });
      }
      at = next;
    }
    return { device: this.name, access, iova, bytes, bytesTransferred: transferred, faults, busErrors, ranges, chunks };
  }
}
// ---------------------------------------------------------------------------------------------------

const L1 = 0x4000_4000;
const L2 = 0x4010_0400;
const BASE = 0x1000_0000;
/** CPU PAs of the 16 IOVA pages at BASE: RAM (low, high, adjacent pairs), not RAM (0x2000_0000), or unmapped. */
const TARGETS: readonly (number | null)[] = [0x5000_0000, 0x5000_1000, null, 0x1_2000_0000, 0x2000_0000, 0x5000_3000, 0x5000_4000, null];

/**
 * Not in 4GB mode: a PTE's PA is the CPU PA, so 0x2000_0000 (below elm's RAM) is a bus error. With
 * `perms` a plain ARM walker, and odd layout values make the page read-only (AP2, bit 9): writes fault
 * with "permission", from the walk and from a TLB hit.
 */
function machine(layout: readonly number[], perms = false) {
  const phys = elm4g();
  const m4u = new M4u(phys, perms ? armV7sConfig({ tlbEntries: 4 }) : mt8173Config(false, { tlbEntries: 4 }));
  m4u.writePtBase(L1);
  setL1(phys, L1, BASE, tableDesc(L2));
  layout.forEach((t, i) => {
    const pa = TARGETS[t % TARGETS.length] ?? null;
    const ro = perms && t >= TARGETS.length ? 0x200 : 0;
    if (pa !== null && pa < 0x1_0000_0000) setL2(phys, L2, BASE + i * SZ_4K, (mtkSmall(pa) | ro) >>> 0);
    else if (pa !== null && !perms) setL2(phys, L2, BASE + i * SZ_4K, mtkSmall(pa));
  });
  return { phys, m4u };
}

type Op = { read: boolean; word: number; words: number; pattern: number | "offset" | "xor" };
const op: fc.Arbitrary<Op> = fc.record({
  read: fc.boolean(),
  word: fc.integer({ min: 0, max: (16 * SZ_4K) / 4 - 1 }),
  words: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 * 1024 })),
  pattern: fc.oneof(fc.nat(0xffff_ffff), fc.constant("offset" as const), fc.constant("xor" as const), fc.constant(-1)),
});

function patternOf(p: Op["pattern"]): DmaPattern {
  if (typeof p === "number") return p;
  return p === "offset" ? (off) => off : (off) => (off ^ 0xdead_beef) * 3;
}

describe("DmaMaster's one-loop transfer equals the closure-per-word version", () => {
  for (const perms of [false, true]) {
    it(`same reports, memory, bus errors and M4U state on random transfers${perms ? " (permission faults)" : ""}`, () => {
      fc.assert(
        fc.property(fc.array(fc.nat(2 * TARGETS.length - 1), { minLength: 16, maxLength: 16 }), fc.array(op, { maxLength: 30 }), (layout, ops) => {
          const a = machine(layout, perms);
          const b = machine(layout, perms);
          const now = new DmaMaster("vdec", a.m4u, a.phys);
          const old = new OldDmaMaster("vdec", b.m4u, b.phys);
          for (const o of ops) {
            const iova = BASE + o.word * 4;
            const bytes = Math.min(o.words, (16 * SZ_4K - o.word * 4) / 4) * 4;
            if (o.read) assert.deepEqual(now.read(iova, bytes), old.read(iova, bytes));
            else assert.deepEqual(now.write(iova, bytes, patternOf(o.pattern)), old.write(iova, bytes, patternOf(o.pattern)));
            assert.deepEqual(a.m4u.counters(), b.m4u.counters());
            assert.deepEqual(a.m4u.tlbEntries(), b.m4u.tlbEntries());
            assert.deepEqual(a.m4u.faults, b.m4u.faults);
            assert.deepEqual(a.phys.busErrors, b.phys.busErrors);
            assert.equal(a.phys.busErrorCount, b.phys.busErrorCount);
          }
          if (ops.length === 30) assert.ok(a.m4u.counters().tlbHits > 0);
          for (const pa of [0x5000_0000, 0x5000_1000, 0x1_2000_0000, 0x5000_3000, 0x5000_4000]) {
            assert.deepEqual(a.phys.words(pa, 1024), b.phys.words(pa, 1024));
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it("rejects the same bad arguments with the same errors", () => {
    const a = machine([0]);
    const now = new DmaMaster("vdec", a.m4u, a.phys);
    const old = new OldDmaMaster("vdec", a.m4u, a.phys);
    for (const [iova, bytes] of [
      [BASE + 2, 4],
      [-4, 4],
      [BASE, 6],
      [BASE, 0],
      [BASE, -4],
      [BASE + 0.5, 4],
    ] as const) {
      for (const read of [true, false]) {
        const run = (m: DmaMaster | OldDmaMaster) => () => (read ? m.read(iova, bytes) : m.write(iova, bytes, 1));
        let want: unknown = null;
        try {
          run(old)();
        } catch (e) {
          want = e;
        }
        assert.ok(want instanceof Error, `old accepts ${iova} ${bytes}`);
        assert.throws(run(now), { name: want.name, message: want.message });
      }
    }
  });
});
