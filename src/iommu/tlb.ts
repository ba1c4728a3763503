// SPDX-License-Identifier: GPL-2.0-only
/**
 * The M4U's TLB and an optional walk cache.
 *
 * TLB: fully associative, `capacity` entries, LRU replacement. It caches leaf translations only, one entry
 * per mapping (a 16-copy large page or supersection is one entry), tagged with its size (4K, 64K, 1M,
 * 16M), so a lookup probes the four size classes. mtk_iommu documents neither the M4U's TLB geometry nor
 * its replacement policy: the capacity is a model parameter (default 32) and LRU a stated choice.
 * Range invalidation drops every entry whose page intersects [start, end]; the range comes from the
 * START/END register pair as MTK_IOMMU_TLB_ADDR encodes it (page address | IOVA bits 34:32 in bits 2:0),
 * and END names the last page, so the range runs to that page's last byte.
 *
 * Range invalidation is O(1) when no entry is in range, which is most flushes (the driver flushes after
 * every map, and trace replay never fills the TLB): a count of entries per MiB of IOVA says whether any
 * entry can meet a small range, so the full scan runs only when one does (or the range spans more MiB
 * than there are entries). What the scan drops, and the LRU order of the rest, are unchanged.
 *
 * Walk cache (off unless `walkCacheEntries` > 0): L1 table descriptors by L1 index, LRU. Nothing in
 * mtk_iommu says the M4U has one; it is modelled so that a skipped tlb_flush_walk has a consequence
 * (a stale table pointer into a freed L2). Range and full invalidation drop it as they drop the TLB.
 */
import { SZ_16M, SZ_1M, SZ_4G, SZ_4K, SZ_64K, upper32 } from "../core/u32.ts";
import type { Leaf, TableWalkCache } from "./walker.ts";

export const TLB_PAGE_SIZES = [SZ_4K, SZ_64K, SZ_1M, SZ_16M] as const;
export const DEFAULT_TLB_ENTRIES = 32;
/** MiB slots the per-MiB counts cover: the whole 35-bit address space (IOVAs are at most 34 bits). */
const MIB_SLOTS = 1 << (35 - 20);
const PAGES_PER_MIB = 256;
/** 4 KiB pages per entry of each size class. */
const TLB_CLASS_PAGES = [1, 16, 256, 4096] as const;

/** MTK_IOMMU_TLB_ADDR(a): bits 31:12 of the address, with address bits 34:32 in bits 2:0. */
export function tlbAddrRegister(iova: number): number {
  // `>>> 0` is the low word of a non-negative integer; the division only runs above 4 GiB.
  const low = ((iova >>> 0) & 0xfffff000) >>> 0;
  return iova < SZ_4G ? low : low + (upper32(iova) & 7);
}

/** The page address a START/END register value names. */
export function tlbAddrDecode(reg: number): number {
  return ((reg & 0xfffff000) >>> 0) + (reg & 7) * SZ_4G;
}

/** tlbAddrDecode(reg) / 4 KiB: a page frame number, small enough to stay a small integer. */
export function tlbAddrDecodePfn(reg: number): number {
  return (reg >>> 12) + (reg & 7) * 0x10_0000;
}

/** tlbAddrDecodePfn(tlbAddrRegister(iova)) without the register value (above 2^31 a heap number). */
export function tlbAddrPfn(iova: number): number {
  return iova < 0x1_0000_0000 ? iova >>> 12 : (iova >>> 12) + (upper32(iova) & 7) * 0x10_0000;
}

export class Tlb {
  readonly capacity: number;
  hits = 0;
  misses = 0;
  fills = 0;
  evictions = 0;
  /** Entries dropped by range or full invalidation. */
  invalidated = 0;
  /** Key = size class + 4 * page number at that size; Map order is LRU first. */
  private readonly map = new Map<number, Leaf>();
  private readonly perClass = [0, 0, 0, 0];
  /** Entries whose page meets each MiB of IOVA (a 16 MiB supersection counts in 16). */
  private readonly perMiB = new Int32Array(MIB_SLOTS);
  private foundKey = 0;
  /** Some entry was filled with a base that is not a multiple of its size (only tests do that): scan. */
  private misaligned = false;

  constructor(capacity = DEFAULT_TLB_ENTRIES) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 65536) {
      throw new RangeError(`TLB capacity ${capacity}: must be an integer in [1, 65536]`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.map.size;
  }

  /** Architectural lookup: counts a hit or a miss and makes a hit most recently used. */
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

  /** Lookup without side effects (no counters, no LRU update). */
  peek(iova: number): Leaf | undefined {
    return this.find(iova);
  }

  fill(leaf: Leaf): void {
    const cls = sizeClass(leaf.pageSize);
    if (!(leaf.iovaBase >= 0 && leaf.iovaBase + leaf.pageSize <= MIB_SLOTS * SZ_1M)) {
      throw new RangeError(`TLB fill: IOVA 0x${leaf.iovaBase.toString(16)} is outside the 35-bit space`);
    }
    const key = cls + 4 * Math.floor(leaf.iovaBase / leaf.pageSize);
    if (leaf.iovaBase % leaf.pageSize !== 0) this.misaligned = true;
    if (this.map.has(key)) {
      // The same key is the same page at the same size: the per-MiB counts stay as they are.
      this.map.delete(key);
    } else {
      if (this.map.size >= this.capacity) this.evictLru();
      this.perClass[cls] = (this.perClass[cls] as number) + 1;
      this.countMiB(leaf, 1);
    }
    this.map.set(key, leaf);
    this.fills++;
  }

  /** Drops every entry whose page intersects [start, end] (inclusive); returns how many. */
  invalidateRange(start: number, end: number): number {
    if (this.map.size === 0) return 0;
    // An inverted range meets the entries that hold both ends: only the scan answers that.
    if (end < start) return this.counted(this.dropByScan(start, end));
    if (!this.mayMeet(Math.floor(start / SZ_1M), Math.floor(end / SZ_1M))) return 0;
    // Every entry covers whole 4 KiB pages, so it meets an integer range [start, end] exactly when it
    // meets the range's pages.
    if (!this.misaligned && Number.isInteger(start) && Number.isInteger(end)) {
      return this.counted(this.dropPages(Math.floor(start / SZ_4K), Math.floor(end / SZ_4K)));
    }
    return this.counted(this.dropByScan(start, end));
  }

  /**
   * invalidateRange(firstPfn * 4 KiB, lastPfn * 4 KiB + 0xfff), in page frames: what a START/END register
   * pair names, without the addresses above 2^31 that would be heap numbers at every call.
   */
  invalidatePages(firstPfn: number, lastPfn: number): number {
    if (this.map.size === 0) return 0;
    if (lastPfn < firstPfn) return this.counted(this.dropByScan(firstPfn * SZ_4K, lastPfn * SZ_4K + 0xfff));
    if (!this.mayMeet(Math.floor(firstPfn / PAGES_PER_MIB), Math.floor(lastPfn / PAGES_PER_MIB))) return 0;
    if (!this.misaligned) return this.counted(this.dropPages(firstPfn, lastPfn));
    return this.counted(this.dropByScan(firstPfn * SZ_4K, lastPfn * SZ_4K + 0xfff));
  }

  private counted(dropped: number): number {
    this.invalidated += dropped;
    return dropped;
  }

  /**
   * The entries meeting pages [first, last]: looked up by key when the range names fewer keys than the
   * TLB holds (per size class in use, the pages of that size it touches; an aligned entry meets the range
   * exactly when its key is one of them), else found by the scan.
   */
  private dropPages(first: number, last: number): number {
    let candidates = 0;
    for (let cls = 0; cls < 4; cls++) {
      if (this.perClass[cls] === 0) continue;
      const pages = TLB_CLASS_PAGES[cls] as number;
      candidates += Math.floor(last / pages) - Math.floor(first / pages) + 1;
    }
    if (candidates > this.map.size) return this.dropByScan(first * SZ_4K, last * SZ_4K + 0xfff);
    let dropped = 0;
    for (let cls = 0; cls < 4; cls++) {
      if (this.perClass[cls] === 0) continue;
      const pages = TLB_CLASS_PAGES[cls] as number;
      const to = Math.floor(last / pages);
      for (let page = Math.floor(first / pages); page <= to; page++) {
        const key = cls + 4 * page;
        const leaf = this.map.get(key);
        if (leaf === undefined) continue;
        this.map.delete(key);
        this.drop(leaf);
        dropped++;
      }
    }
    return dropped;
  }

  /** Every entry tested against [start, end]. */
  private dropByScan(start: number, end: number): number {
    let dropped = 0;
    // Keys, then each value: a Map's [key, value] iteration allocates a pair per entry.
    for (const key of this.map.keys()) {
      const leaf = this.map.get(key) as Leaf;
      if (leaf.iovaBase <= end && leaf.iovaBase + leaf.pageSize - 1 >= start) {
        this.map.delete(key);
        this.drop(leaf);
        dropped++;
      }
    }
    return dropped;
  }

  invalidateAll(): number {
    const dropped = this.map.size;
    this.map.clear();
    this.perClass.fill(0);
    this.perMiB.fill(0);
    this.invalidated += dropped;
    return dropped;
  }

  /** Entries, least recently used first. */
  entries(): Leaf[] {
    return [...this.map.values()];
  }

  /** Sets `foundKey` on a hit (no result object: this runs on every device access). */
  private find(iova: number): Leaf | undefined {
    // Smallest size first: after a missed invalidation two sizes can overlap and the finer one wins.
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
    this.drop(leaf);
    this.evictions++;
  }

  /** Bookkeeping for an entry that left the map. */
  private drop(leaf: Leaf): void {
    const cls = sizeClass(leaf.pageSize);
    this.perClass[cls] = (this.perClass[cls] as number) - 1;
    this.countMiB(leaf, -1);
  }

  private countMiB(leaf: Leaf, delta: number): void {
    const first = Math.floor(leaf.iovaBase / SZ_1M);
    const last = Math.floor((leaf.iovaBase + leaf.pageSize - 1) / SZ_1M);
    for (let mb = first; mb <= last; mb++) this.perMiB[mb] = (this.perMiB[mb] as number) + delta;
  }

  /**
   * False only when no entry meets MiB [first, last] of IOVA. A range over more MiB than there are
   * entries is answered "maybe" at once (the scan is then no dearer than the counts).
   */
  private mayMeet(first: number, lastMiB: number): boolean {
    const last = Math.min(lastMiB, MIB_SLOTS - 1);
    if (last - first >= this.map.size) return true;
    for (let mb = first; mb <= last; mb++) if (this.perMiB[mb] !== 0) return true;
    return false;
  }
}

function sizeClass(pageSize: number): number {
  switch (pageSize) {
    case SZ_4K:
      return 0;
    case SZ_64K:
      return 1;
    case SZ_1M:
      return 2;
    case SZ_16M:
      return 3;
    default:
      throw new RangeError(`TLB page size ${pageSize}: must be 4K, 64K, 1M or 16M`);
  }
}

/** L1 table descriptors by L1 index (each covers 1 MiB of IOVA), LRU. */
export class WalkCache implements TableWalkCache {
  readonly capacity: number;
  hits = 0;
  misses = 0;
  private readonly map = new Map<number, number>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`walk cache capacity ${capacity}: must be a positive integer`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.map.size;
  }

  get(l1Index: number): number | undefined {
    const d = this.map.get(l1Index);
    if (d === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(l1Index);
    this.map.set(l1Index, d);
    return d;
  }

  set(l1Index: number, descriptor: number): void {
    this.map.delete(l1Index);
    if (this.map.size >= this.capacity) {
      const first = this.map.keys().next();
      if (first.done !== true) this.map.delete(first.value);
    }
    this.map.set(l1Index, descriptor);
  }

  /** Drops the L1 indices whose 1 MiB intersects [start, end]; `l1Entries` wraps indices as the walker does. */
  invalidateRange(start: number, end: number, l1Entries: number): void {
    const first = Math.floor(start / SZ_1M);
    const last = Math.floor(end / SZ_1M);
    if (last - first + 1 >= l1Entries || last - first + 1 >= this.map.size) {
      for (const idx of [...this.map.keys()]) {
        const covered = inWrappedRange(idx, first, last, l1Entries);
        if (covered) this.map.delete(idx);
      }
      return;
    }
    for (let mb = first; mb <= last; mb++) this.map.delete(mb % l1Entries);
  }

  invalidateAll(): void {
    this.map.clear();
  }

  entries(): [number, number][] {
    return [...this.map.entries()];
  }
}

function inWrappedRange(idx: number, first: number, last: number, entries: number): boolean {
  if (last - first + 1 >= entries) return true;
  const a = first % entries;
  const b = last % entries;
  return a <= b ? idx >= a && idx <= b : idx >= a || idx <= b;
}
