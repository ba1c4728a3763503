// SPDX-License-Identifier: GPL-2.0-only
/**
 * The IOVA allocator of drivers/iommu/iova.c as iommu-dma uses it: 4 KiB granule, ranges handed out
 * top-down below the limit, each start aligned to the next power of two >= its size, and per-CPU
 * magazine caches ("rcache") in front for 1..32-page sizes.
 *
 * The kernel keeps ranges in an rb-tree and walks it backwards (rb_prev) from a cached node. Here the
 * live ranges sit in a blocked list in descending pfn_lo order (range-list.ts); a cached node is
 * remembered by its pfn_lo (unique) and found again by binary search. The walk visits the ranges the
 * kernel's walk visits, so the chosen pfns, the cached-node moves and the failures are the kernel's.
 */
import { fls } from "../core/bits.ts";
import type { DmaEraFeatures, Era } from "../core/era.ts";
import { ANCHOR as ANCHOR_NODE, DescendingRanges, END } from "./range-list.ts";

export const IOVA_SHIFT = 12;
export const IOVA_GRANULE = 1 << IOVA_SHIFT;
/** log2 of the largest cached range + 1: ranges of 1, 2, 4, 8, 16, 32 pages are cached. */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;
/** The rb-tree's anchor node sits above every usable pfn (pfn_lo = pfn_hi = ~0UL). */
const ANCHOR = Number.POSITIVE_INFINITY;
/** dma_32bit_pfn for a 4 KiB granule: 1 << (32 - 12). */
export const DMA_32BIT_PFN = 2 ** (32 - IOVA_SHIFT);

export interface IovaRange {
  readonly pfnLo: number;
  readonly pfnHi: number;
}

export interface IovaStats {
  /** alloc_iova_fast calls that the rcache satisfied. */
  rcacheHits: number;
  /** Allocations served by the tree walk. */
  treeAllocs: number;
  /** Ranges visited by tree walks (the kernel's rb_prev steps), summed. */
  walkSteps: number;
  /** Walks that failed below start_pfn and were retried from the top. */
  retries: number;
  /** alloc_iova_fast flushes of every CPU's rcache after a failed walk. */
  rcacheFlushes: number;
  /** Requests refused at once by max32_alloc_size. */
  max32FailFast: number;
  /** alloc_iova_fast returned 0. */
  failures: number;
}

export interface IovaDomainOptions {
  readonly era: Era;
  /** iovad->start_pfn: iommu-dma passes max(1, aperture_start >> 12), so page 0 is never handed out. */
  readonly startPfn: number;
  /** Possible CPUs, each with its own loaded/prev magazines. */
  readonly cpus: number;
}

/** order_base_2: ceil(log2(n)), 0 for n <= 1. */
export function orderBase2(n: number): number {
  return n <= 1 ? 0 : fls(n - 1);
}

export function roundupPowOfTwo(n: number): number {
  return pow2(orderBase2(n));
}

/** 2^k for an integer k >= 0; a shift below 2^31 (`2 **` is a pow() call on this engine). */
function pow2(k: number): number {
  return k < 31 ? 1 << k : 2 ** k;
}

interface Magazine {
  pfns: number[];
}

interface CpuRcache {
  loaded: Magazine;
  prev: Magazine;
}

interface Rcache {
  readonly cpu: CpuRcache[];
  readonly depot: Magazine[];
}

/** iova_cache_get + init_iova_domain + iova_domain_init_rcaches: one per iommu-dma cookie. */
export class IovaDomain {
  readonly era: Era;
  readonly startPfn: number;
  readonly cpus: number;
  readonly granule = IOVA_GRANULE;
  readonly dma32BitPfn = DMA_32BIT_PFN;
  readonly magazineSize: number;
  readonly stats: IovaStats = {
    rcacheHits: 0,
    treeAllocs: 0,
    walkSteps: 0,
    retries: 0,
    rcacheFlushes: 0,
    max32FailFast: 0,
    failures: 0,
  };

  private readonly features: DmaEraFeatures;
  private readonly tree = new DescendingRanges();
  /** pfn_lo of the cached nodes, ANCHOR for the anchor. */
  private cachedKey = ANCHOR;
  private cached32Key = ANCHOR;
  private max32AllocSize: number;
  private readonly rcaches: Rcache[] = [];
  /** pfns currently parked in a magazine, to refuse double frees (the kernel would corrupt silently). */
  private readonly parked = new Set<number>();

  constructor(opts: IovaDomainOptions) {
    if (!Number.isSafeInteger(opts.startPfn) || opts.startPfn < 1) {
      throw new RangeError(`IovaDomain: startPfn ${opts.startPfn} must be an integer >= 1 (page 0 is never used)`);
    }
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > 1024) {
      throw new RangeError(`IovaDomain: cpus ${opts.cpus} must be an integer in [1, 1024]`);
    }
    this.era = opts.era;
    this.startPfn = opts.startPfn;
    this.cpus = opts.cpus;
    this.features = opts.era.dma;
    this.magazineSize = opts.era.iovaRcacheMagazineSize;
    this.max32AllocSize = DMA_32BIT_PFN;
    for (let order = 0; order < IOVA_RANGE_CACHE_MAX_SIZE; order++) {
      const cpu: CpuRcache[] = [];
      for (let c = 0; c < opts.cpus; c++) cpu.push({ loaded: { pfns: [] }, prev: { pfns: [] } });
      this.rcaches.push({ cpu, depot: [] });
    }
  }

  /** iommu_dma_init_domain: the granule is the smallest IOMMU page and start_pfn skips IOVA page 0. */
  static forAperture(era: Era, apertureStart: number, cpus: number): IovaDomain {
    return new IovaDomain({ era, startPfn: Math.max(1, Math.floor(apertureStart / IOVA_GRANULE)), cpus });
  }

  /** Number of ranges in the tree (allocated, or freed into a magazine and not yet returned). */
  get liveRanges(): number {
    return this.tree.size;
  }

  /** Ranges parked in magazines (per-CPU and depot). */
  get cachedRanges(): number {
    return this.parked.size;
  }

  /** Depot magazines per size class (index = order). */
  depotSizes(): number[] {
    return this.rcaches.map((r) => r.depot.length);
  }

  /** The range containing `pfn`, or null (find_iova). */
  findIova(pfn: number): IovaRange | null {
    const c = this.tree.containing(pfn);
    return c === END ? null : { pfnLo: this.tree.lo(c), pfnHi: this.tree.hi(c) };
  }

  /** Ranges in ascending order, for reports and tests. */
  *ranges(): IterableIterator<IovaRange> {
    yield* this.tree.ascending();
  }

  /**
   * alloc_iova_fast(iovad, pages, limitPfn, flush_rcache = true): the first pfn of a new range of
   * `pages` (rounded up to a power of two below 32 pages) ending at or below `limitPfn` (inclusive),
   * or 0 when there is none, as the kernel returns.
   */
  allocIova(pages: number, limitPfn: number, cpu = 0): number {
    this.checkPages("allocIova", pages);
    this.checkCpu(cpu);
    if (!Number.isSafeInteger(limitPfn) || limitPfn < 0) throw new RangeError(`allocIova: limitPfn ${limitPfn} is not a pfn`);
    // Non-power-of-two sizes freed into a magazine would come back for the wrong class; rounding
    // keeps the class of the unrounded size (iommu_dma_alloc_iova, later alloc_iova_fast).
    const size = pages < 1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1) ? roundupPowOfTwo(pages) : pages;
    const cached = this.rcacheGet(size, limitPfn + 1, cpu);
    if (cached !== 0) {
      this.stats.rcacheHits++;
      return cached;
    }
    let r = this.allocRange(size, limitPfn + 1);
    if (r === null) {
      this.stats.rcacheFlushes++;
      for (let c = 0; c < this.cpus; c++) this.freeCpuCached(c);
      if (this.features.iovaFlushDepotOnRetry) this.freeGlobalCached();
      r = this.allocRange(size, limitPfn + 1);
    }
    if (r === null) {
      this.stats.failures++;
      return 0;
    }
    this.stats.treeAllocs++;
    return r;
  }

  /** free_iova_fast(iovad, pfn, pages): into the CPU's magazine when the class is cached, else back to the tree. */
  freeIova(pfn: number, pages: number, cpu = 0): void {
    this.checkPages("freeIova", pages);
    this.checkCpu(cpu);
    const c = this.tree.find(pfn);
    if (c === END || this.parked.has(pfn)) {
      throw new RangeError(`freeIova: pfn 0x${pfn.toString(16)} is not the start of an allocated IOVA range`);
    }
    const rangePages = this.tree.hi(c) - pfn + 1;
    if (orderBase2(pages) !== orderBase2(rangePages)) {
      throw new RangeError(`freeIova: ${pages} pages at pfn 0x${pfn.toString(16)} is not the size class of the allocated ${rangePages} pages`);
    }
    if (this.rcacheInsert(pfn, pages, cpu)) return;
    this.removeAt(this.tree.find(pfn));
  }

  /** alloc_iova(iovad, size, limitPfn, size_aligned = true) without rounding or rcache: a pfn or 0. */
  allocIovaRange(pages: number, limitPfn: number): number {
    this.checkPages("allocIovaRange", pages);
    return this.allocRange(pages, limitPfn + 1) ?? 0;
  }

  /** free_iova(iovad, pfn): the range containing `pfn` goes straight back to the tree, bypassing the rcache. */
  freeIovaRange(pfn: number): void {
    const c = this.tree.containing(pfn);
    if (c === END || this.parked.has(this.tree.lo(c))) {
      throw new RangeError(`freeIovaRange: pfn 0x${pfn.toString(16)} is not inside an allocated IOVA range`);
    }
    this.removeAt(c);
  }

  // --- the tree ----------------------------------------------------------------------------------

  /** __alloc_and_insert_iova_range with an exclusive limit: the new pfn_lo, or null. */
  private allocRange(size: number, limit: number): number | null {
    const f = this.features;
    const alignShift = fls(size - 1);
    const alignUnit = pow2(alignShift);
    if (f.iovaMax32FailFast && limit <= this.dma32BitPfn && size >= this.max32AllocSize) {
      this.stats.max32FailFast++;
      return null;
    }
    const tree = this.tree;
    let curr = this.nodeOf(limit <= this.dma32BitPfn ? this.cached32Key : this.cachedKey);
    const retryPfn = curr === ANCHOR_NODE ? ANCHOR : tree.hi(curr);
    let high = limit;
    let low = this.startPfn;
    let newPfn = 0;
    for (;;) {
      // Walk backwards from `curr` until the aligned slot under `high` clears the range below it.
      tree.walkDown(curr, high, size, alignUnit, low, f.iovaRetryFromTop);
      high = tree.walkHigh;
      newPfn = tree.walkNewPfn;
      this.stats.walkSteps += tree.walkSteps;
      if (high < size || newPfn < low) {
        if (f.iovaRetryFromTop && low === this.startPfn && retryPfn < limit) {
          this.stats.retries++;
          high = limit;
          low = retryPfn + 1;
          curr = this.findLimit(limit);
          continue;
        }
        if (f.iovaMax32FailFast) this.max32AllocSize = size;
        return null;
      }
      break;
    }
    tree.insert(newPfn, newPfn + size - 1);
    if (newPfn + size - 1 < this.dma32BitPfn) this.cached32Key = newPfn;
    else this.cachedKey = newPfn;
    return newPfn;
  }

  /**
   * iova_find_limit: where a retry starts walking. The kernel descends the tree to the lowest node at
   * or above the limit; starting one node higher visits the same gaps, so the lowest node whose pfn_lo
   * is >= limit (or the anchor) gives the same allocation.
   */
  private findLimit(limit: number): number {
    return limit > this.dma32BitPfn ? ANCHOR_NODE : this.tree.lowestAtOrAbove(limit);
  }

  /** remove_iova: the cached nodes move to rb_next of the freed range when it was at or above them. */
  private removeAt(c: number): void {
    const tree = this.tree;
    const freeLo = tree.lo(c);
    const freeHi = tree.hi(c);
    const up = tree.up(c);
    const nextKey = up === ANCHOR_NODE ? ANCHOR : tree.lo(up);
    if (freeLo === this.cached32Key || (freeHi < this.dma32BitPfn && freeLo >= this.cached32Key)) {
      this.cached32Key = nextKey;
    }
    if (this.features.iovaMax32FailFast && freeLo < this.dma32BitPfn) this.max32AllocSize = this.dma32BitPfn;
    if (freeLo >= this.cachedKey) this.cachedKey = nextKey;
    tree.remove(c);
  }

  /** The node a cached key names: the anchor, or the range starting there. */
  private nodeOf(key: number): number {
    if (key === ANCHOR) return ANCHOR_NODE;
    const c = this.tree.find(key);
    if (c === END) throw new Error(`IovaDomain: cached node 0x${key.toString(16)} is not in the tree (model bug)`);
    return c;
  }

  // --- the rcache ---------------------------------------------------------------------------------

  /** iova_rcache_get: a cached pfn whose range ends below `limit` (exclusive), or 0. */
  private rcacheGet(size: number, limit: number, cpu: number): number {
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return 0;
    const rc = this.rcaches[order] as Rcache;
    const c = rc.cpu[cpu] as CpuRcache;
    if (c.loaded.pfns.length === 0) {
      if (c.prev.pfns.length !== 0) {
        const t = c.loaded;
        c.loaded = c.prev;
        c.prev = t;
      } else {
        const full = rc.depot.pop();
        if (full === undefined) return 0;
        c.loaded = full;
      }
    }
    // iova_magazine_pop: the newest pfn that fits, swapped out with the last one.
    const pfns = c.loaded.pfns;
    const max = limit - size;
    let i = pfns.length - 1;
    while ((pfns[i] as number) > max) {
      if (i === 0) return 0;
      i--;
    }
    const pfn = pfns[i] as number;
    pfns[i] = pfns[pfns.length - 1] as number;
    pfns.pop();
    this.parked.delete(pfn);
    return pfn;
  }

  /** iova_rcache_insert: false when the class is not cached (or the depot is full and no magazine frees). */
  private rcacheInsert(pfn: number, pages: number, cpu: number): boolean {
    const order = orderBase2(pages);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
    const rc = this.rcaches[order] as Rcache;
    const c = rc.cpu[cpu] as CpuRcache;
    if (c.loaded.pfns.length === this.magazineSize) {
      if (c.prev.pfns.length !== this.magazineSize) {
        const t = c.loaded;
        c.loaded = c.prev;
        c.prev = t;
      } else {
        const limit = this.features.iovaDepotLimit;
        if (limit === null || rc.depot.length < limit) {
          rc.depot.push(c.loaded);
        } else {
          // 4.19 .. v6.6: a full depot means the loaded magazine's ranges go back to the tree.
          this.freeMagazine(c.loaded);
        }
        c.loaded = { pfns: [] };
      }
    }
    c.loaded.pfns.push(pfn);
    this.parked.add(pfn);
    return true;
  }

  /** iova_magazine_free_pfns. */
  private freeMagazine(mag: Magazine): void {
    for (const pfn of mag.pfns) {
      this.parked.delete(pfn);
      const c = this.tree.find(pfn);
      if (c !== END) this.removeAt(c);
    }
    mag.pfns = [];
  }

  /** free_cpu_cached_iovas. */
  private freeCpuCached(cpu: number): void {
    for (const rc of this.rcaches) {
      const c = rc.cpu[cpu] as CpuRcache;
      this.freeMagazine(c.loaded);
      this.freeMagazine(c.prev);
    }
  }

  /** free_global_cached_iovas. */
  private freeGlobalCached(): void {
    for (const rc of this.rcaches) {
      for (let m = rc.depot.pop(); m !== undefined; m = rc.depot.pop()) this.freeMagazine(m);
    }
  }

  private checkPages(where: string, pages: number): void {
    if (!Number.isSafeInteger(pages) || pages < 1) throw new RangeError(`${where}: pages ${pages} must be a positive integer`);
  }

  private checkCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) {
      throw new RangeError(`IovaDomain: cpu ${cpu} is outside [0, ${this.cpus})`);
    }
  }
}
