// SPDX-License-Identifier: GPL-2.0-only
/**
 * The TLB with per-MiB counts (O(1) range flushes that meet no entry) against the full-scan TLB it
 * replaced, copied here as the reference: after every operation of a random sequence the two hold the
 * same entries in the same LRU order and agree on every return value and counter.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import { TLB_PAGE_SIZES, Tlb } from "../../src/iommu/tlb.ts";
import type { Leaf } from "../../src/iommu/walker.ts";
import { elm4g, mtkSection, mtkSmall, setL1, setL2, tableDesc } from "./fixtures.ts";

// --- the previous implementation (reference) -------------------------------------------------------
class OldTlb {
  hits = 0;
  misses = 0;
  fills = 0;
  evictions = 0;
  invalidated = 0;
  private readonly map = new Map<number, Leaf>();
  private readonly perClass = [0, 0, 0, 0];
  private foundKey = 0;
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  lookup(iova: number): Leaf | undefined {
    const leaf = this.find(iova);
    if (leaf === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(this.foundKey);
    this.map.set(this.foundKey, leaf);
    return leaf;
  }
  peek(iova: number): Leaf | undefined {
    return this.find(iova);
  }
  fill(leaf: Leaf): void {
    const cls = oldSizeClass(leaf.pageSize);
    const key = cls + 4 * Math.floor(leaf.iovaBase / leaf.pageSize);
    if (this.map.has(key)) {
      this.map.delete(key);
    } else {
      if (this.map.size >= this.capacity) this.evictLru();
      this.perClass[cls] = (this.perClass[cls] as number) + 1;
    }
    this.map.set(key, leaf);
    this.fills++;
  }
  invalidateRange(start: number, end: number): number {
    let dropped = 0;
    for (const [key, leaf] of this.map) {
      if (leaf.iovaBase <= end && leaf.iovaBase + leaf.pageSize - 1 >= start) {
        this.map.delete(key);
        this.perClass[oldSizeClass(leaf.pageSize)] = (this.perClass[oldSizeClass(leaf.pageSize)] as number) - 1;
        dropped++;
      }
    }
    this.invalidated += dropped;
    return dropped;
  }
  invalidateAll(): number {
    const dropped = this.map.size;
    this.map.clear();
    this.perClass.fill(0);
    this.invalidated += dropped;
    return dropped;
  }
  entries(): Leaf[] {
    return [...this.map.values()];
  }
  private find(iova: number): Leaf | undefined {
    for (let cls = 0; cls < 4; cls++) {
      if (this.perClass[cls] === 0) continue;
      const size = TLB_PAGE_SIZES[cls] as number;
      const key = cls + 4 * Math.floor(iova / size);
      const leaf = this.map.get(key);
      if (leaf !== undefined) {
        this.foundKey = key;
        return leaf;
      }
    }
    return undefined;
  }
  private evictLru(): void {
    const first = this.map.keys().next();
    if (first.done === true) return;
    const key = first.value;
    const leaf = this.map.get(key) as Leaf;
    this.map.delete(key);
    this.perClass[oldSizeClass(leaf.pageSize)] = (this.perClass[oldSizeClass(leaf.pageSize)] as number) - 1;
    this.evictions++;
  }
}
function oldSizeClass(pageSize: number): number {
  return TLB_PAGE_SIZES.indexOf(pageSize as (typeof TLB_PAGE_SIZES)[number]);
}
// ---------------------------------------------------------------------------------------------------

type Op =
  | { op: "fill"; cls: number; page: number; pa: number; misaligned: boolean }
  | { op: "lookup" | "peek"; iova: number }
  | { op: "range"; start: number; len: number }
  | { op: "pages"; first: number; pages: number }
  | { op: "all" };

/** IOVAs in a small window (so entries meet and overlap) or anywhere below 2^34. */
const WINDOW = 0x3000_0000;
const iova = fc.oneof(fc.integer({ min: WINDOW, max: WINDOW + 0x0400_0000 - 1 }), fc.integer({ min: 0, max: 2 ** 34 - 1 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("fill" as const),
      cls: fc.integer({ min: 0, max: 3 }),
      page: iova,
      pa: fc.nat(0xfffff),
      // A base that is not a multiple of the size: the walker never fills one, the key lookup must not trust it.
      misaligned: fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom("lookup" as const, "peek" as const), iova }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("range" as const),
      start: iova,
      len: fc.oneof(fc.integer({ min: 0, max: 0x2_0000 }), fc.integer({ min: 0, max: 0x0200_0000 }), fc.integer({ min: -0x2000, max: -1 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("pages" as const),
      first: iova.map((a) => Math.floor(a / 4096)),
      pages: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 0x2000 }), fc.integer({ min: -3, max: 0 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "all" as const }) },
);

function leafOf(cls: number, at: number, pa: number, misaligned = false): Leaf {
  const pageSize = TLB_PAGE_SIZES[cls] as number;
  const iovaBase = misaligned ? at - (at % 4096) + 4096 * (1 + (at % 3)) : at - (at % pageSize);
  return { iovaBase, pageSize, paBase: pa * 4096, busPaBase: pa * 4096, writable: true, level: cls < 2 ? 2 : 1, descriptorPa: 0, descriptor: 0 };
}

function counters(t: Tlb | OldTlb): number[] {
  return [t.hits, t.misses, t.fills, t.evictions, t.invalidated];
}

describe("TLB with per-MiB counts and key lookups equals the full-scan TLB", () => {
  it("same entries, LRU order, return values and counters after every operation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
        const now = new Tlb(capacity);
        const old = new OldTlb(capacity);
        for (const o of ops) {
          switch (o.op) {
            case "fill": {
              const leaf = leafOf(o.cls, o.page, o.pa, o.misaligned && o.cls > 0);
              now.fill(leaf);
              old.fill(leaf);
              break;
            }
            case "lookup":
              assert.equal(now.lookup(o.iova), old.lookup(o.iova));
              break;
            case "peek":
              assert.equal(now.peek(o.iova), old.peek(o.iova));
              break;
            case "range":
              assert.equal(now.invalidateRange(o.start, o.start + o.len), old.invalidateRange(o.start, o.start + o.len));
              break;
            case "pages": {
              // invalidatePages(first, last) is the range from the first page to the last page's end.
              const last = o.first + o.pages - 1;
              assert.equal(now.invalidatePages(o.first, last), old.invalidateRange(o.first * 4096, last * 4096 + 0xfff));
              break;
            }
            case "all":
              assert.equal(now.invalidateAll(), old.invalidateAll());
              break;
          }
          assert.deepEqual(now.entries(), old.entries());
          assert.equal(now.size, old.entries().length);
          assert.deepEqual(counters(now), counters(old));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("a range with a fractional end past a page's last byte meets only what the scan meets", () => {
    const now = new Tlb(32);
    const old = new OldTlb(32);
    for (const t of [now, old]) for (let i = 0; i < 4; i++) t.fill(leafOf(0, 0x1000_0000 + i * 0x1000, i));
    assert.equal(now.invalidateRange(0x1000_0fff + 0.8, 0x1000_1000 + 0.5), old.invalidateRange(0x1000_0fff + 0.8, 0x1000_1000 + 0.5));
    assert.deepEqual(now.entries(), old.entries());
    assert.equal(now.size, 3);
  });

  it("an entry filled at a base that is not a multiple of its size is still found by a flush of its upper half", () => {
    for (const flush of [(t: Tlb | OldTlb) => t.invalidateRange(0x1001_0000, 0x1001_0fff), (t: Tlb) => t.invalidatePages(0x1_0010, 0x1_0010)]) {
      const now = new Tlb(32);
      const old = new OldTlb(32);
      for (const t of [now, old]) {
        for (let i = 0; i < 8; i++) t.fill(leafOf(0, 0x2000_0000 + i * 0x1000, i));
        // 64 KiB at 0x1000_8000: its key names the large page at 0x1000_0000, its span reaches 0x1001_7fff.
        t.fill({ ...leafOf(1, 0x1000_0000, 9), iovaBase: 0x1000_8000 });
      }
      assert.equal(flush(now), 1);
      assert.equal(old.invalidateRange(0x1001_0000, 0x1001_0fff), 1);
      assert.deepEqual(now.entries(), old.entries());
    }
  });

  it("a flush that meets no entry leaves a full TLB as it was; one that meets a section drops it", () => {
    const t = new Tlb(32);
    for (let i = 0; i < 31; i++) t.fill(leafOf(0, 0x1000_0000 + i * 0x10_0000, i));
    t.fill(leafOf(3, 0x4000_0000, 99));
    const before = t.entries();
    assert.equal(t.invalidateRange(0x2000_0000, 0x2000_0fff), 0);
    assert.deepEqual(t.entries(), before);
    // Inside the 16 MiB supersection, 15 MiB above its base: the per-MiB count sees it.
    assert.equal(t.invalidateRange(0x40f0_0000, 0x40f0_0fff), 1);
    assert.equal(t.size, 31);
    assert.equal(t.invalidated, 1);
  });

  it("the M4U counts a range flush with an empty TLB and drops entries once filled", () => {
    const phys = elm4g();
    const m4u = new M4u(phys, mt8173Config(true));
    const L1 = 0x4000_4000;
    const L2 = 0x4010_0400;
    m4u.writePtBase(L1);
    setL1(phys, L1, 0x1000_0000, tableDesc(L2));
    setL2(phys, L2, 0x1000_0000, mtkSmall(0x1_5000_0000));
    setL1(phys, L1, 0x2000_0000, mtkSection(0x1_6000_0000));
    m4u.flushRange(0x1000_0000, 0x1000_0fff);
    assert.equal(m4u.counters().rangeFlushes, 1);
    assert.throws(() => m4u.flushRange(2 ** 32, 2 ** 32), RangeError, "the register checks still run with an empty TLB");
    m4u.translate(0x1000_0000, "read");
    m4u.translate(0x2000_0000, "read");
    m4u.flushRange(0x2000_0000, 0x2000_0fff);
    assert.deepEqual(
      m4u.tlbEntries().map((l) => l.iovaBase),
      [0x1000_0000],
    );
    assert.deepEqual([m4u.counters().rangeFlushes, m4u.counters().tlbInvalidated], [2, 1]);
  });
});
