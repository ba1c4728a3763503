// SPDX-License-Identifier: GPL-2.0-only
/**
 * The zoned buddy page allocator (mm/page_alloc.c) over the platform's RAM.
 *
 * Modelled: per-zone free lists per order; __rmqueue_smallest with expand() (lower half kept, upper
 * halves at the head of the lower-order lists); __free_one_page merging with the "buddy likely to merge"
 * tail insertion; gfp_zone and the zonelist walked downwards from the requested zone; watermarks and
 * lowmem_reserve (see watermarks.ts); the fast path at the low watermark and the slow path at min with
 * ALLOC_HIGH/ALLOC_HARDER; compound pages with a head refcount; per-owner accounting.
 *
 * Not modelled, on purpose:
 * - reclaim of its own, compaction and the OOM killer: the slow path only calls `kswapd` (set by the
 *   background load, background.ts, which reclaims its own pages as 4.19 balance_pgdat would), then tries
 *   the min watermark once; an allocation that still fails returns null, where the kernel would go on to
 *   direct reclaim, compaction or the OOM killer;
 * - ALLOC_NOFRAGMENT (5.0+: the first attempt of an allocation whose preferred zone is NORMAL avoids
 *   fragmenting pageblocks, so unmovable requests may take DMA32 first), which matters for v5.10+
 *   placement details only;
 * - per-CPU (pcp) lists: every order-0 page goes straight to and from the zone free lists, so the
 *   recently-freed-is-reused-first LIFO of the pcp lists shows up only through the buddy head insertion;
 * - migratetypes and pageblock stealing (one free list per order), highatomic reserves, CMA, NUMA.
 *
 * State lives in pfn-indexed typed arrays and intrusive doubly-linked lists (offsets from the lowest
 * zone pfn), so millions of order-0 alloc/free pairs per second are possible.
 */
import { ffs, PAGE_SHIFT, PAGE_SIZE } from "../../src/core/bits.ts";
import type { Era } from "../../src/core/era.ts";
import type { PhysMemory } from "../../src/phys/memory.ts";
import type { Zone, ZoneName } from "../../src/phys/zones.ts";
import {
  __GFP_ATOMIC,
  __GFP_COMP,
  __GFP_KSWAPD_RECLAIM,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGH,
  __GFP_NOMEMALLOC,
  __GFP_ZERO,
  type Gfp,
} from "../../src/mm/gfp.ts";
import { type PageSource, type Usage, ZoneBytes } from "../../src/mm/page-source.ts";
import { computeWatermarks, type ZoneWatermarks } from "../../src/mm/watermarks.ts";

export interface BuddyOptions {
  /** Overrides the computed min_free_kbytes (the sysctl), which moves every watermark. */
  readonly minFreeKbytes?: number;
  /**
   * memblock.reserved at memblock_free_all: page-aligned physical ranges [start, end) the buddy never
   * receives. They stay in their zone's span but not in its managed pages (zone_managed_pages), so the
   * watermarks and lowmem_reserve are computed without them, as the kernel does.
   */
  readonly reserved?: readonly { readonly start: number; readonly end: number }[];
}

/**
 * What the slow path does after the fast path failed: wake_all_kswapds(order, gfp, ac) with the
 * request's highest zone (ac->high_zoneidx) as the class zone.
 */
export type KswapdWake = (order: number, classZone: number) => void;

export interface ZoneState {
  readonly name: ZoneName;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly managedPages: number;
  readonly freePages: number;
  readonly min: number;
  readonly low: number;
  readonly high: number;
  /** Indexed by the requested zone's position in `zones` (lowest first). */
  readonly lowmemReserve: readonly number[];
}

const NONE = -1;
const KERNEL_ZONE_NAMES: Readonly<Record<ZoneName, string>> = { DMA: "DMA", DMA32: "DMA32", NORMAL: "Normal" };
// Module-local copies, read on every allocation: V8 does not constant-fold imported bindings (with or
// without tsx), and a local const is about 3x faster in a tight bit-test loop.
const F_DMA: number = __GFP_DMA;
const F_DMA32: number = __GFP_DMA32;
const F_HIGH: number = __GFP_HIGH;
const F_ATOMIC: number = __GFP_ATOMIC;
const F_NOMEMALLOC: number = __GFP_NOMEMALLOC;
const F_COMP: number = __GFP_COMP;
const F_ZERO: number = __GFP_ZERO;
const F_KSWAPD: number = __GFP_KSWAPD_RECLAIM;

export class ReferenceBuddy implements PageSource {
  readonly phys: PhysMemory;
  readonly zones: readonly Zone[];
  readonly era: Era;
  /** Number of orders (MAX_ORDER): blocks of 2^0 .. 2^(orders-1) pages. */
  readonly orders: number;
  readonly watermarks: readonly ZoneWatermarks[];

  private readonly basePfn: number;
  private readonly span: number;
  /** Zone index per page, NONE outside RAM. */
  private readonly zoneIdx: Int8Array;
  /** Order of the free block headed by this page, NONE when it heads none. */
  private readonly freeOrder: Int8Array;
  /** Order of the allocated block headed by this page, NONE when it heads none. */
  private readonly allocOrder: Int8Array;
  private readonly ownerId: Int32Array;
  private readonly refs: Int32Array;
  private readonly compound: Uint8Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** List heads/tails and counts, indexed zone * orders + order. */
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  private readonly nrFree: Int32Array;
  private readonly zoneFree: number[];
  private readonly managed: number[];
  private readonly idxDma: number;
  private readonly idxDma32: number;
  private readonly idxNormal: number;
  private readonly owners: string[] = [];
  private readonly ownerIds = new Map<string, number>();
  /** Pages held per owner per zone: heldPages[owner][zone]. */
  private readonly heldPages: number[][] = [];
  /** Allocations served by the fast path, by the slow path (kswapd would be woken), and failed. */
  readonly stats = { fastPath: 0, slowPath: 0, failed: 0 };
  private lastOwner = "";
  private lastOwnerId = -1;
  /** Called from the slow path for requests with __GFP_KSWAPD_RECLAIM; set by whoever plays kswapd. */
  kswapd: KswapdWake | null = null;
  /**
   * Told of every successful allocation with the zone gfp_zone() chose for it, where the zonelist walk
   * began (the boot's device-probe step records what probing allocated, and whether it fell back).
   */
  onAlloc: ((pa: number, order: number, owner: string, requestedZone: ZoneName) => void) | null = null;

  constructor(phys: PhysMemory, zones: readonly Zone[], era: Era, opts: BuddyOptions = {}) {
    if (zones.length === 0) throw new RangeError("buddy: no zones");
    if (!Number.isInteger(era.buddyOrders) || era.buddyOrders < 1 || era.buddyOrders > 20) {
      throw new RangeError(`buddy: era ${era.name} buddyOrders ${era.buddyOrders} is not in 1..20`);
    }
    this.phys = phys;
    this.zones = zones;
    this.era = era;
    this.orders = era.buddyOrders;
    for (let i = 1; i < zones.length; i++) {
      if ((zones[i] as Zone).startPfn < (zones[i - 1] as Zone).endPfn) {
        throw new RangeError(`buddy: zone ${(zones[i] as Zone).name} overlaps ${(zones[i - 1] as Zone).name}`);
      }
    }
    this.basePfn = (zones[0] as Zone).startPfn;
    this.span = (zones[zones.length - 1] as Zone).endPfn - this.basePfn;
    const n = this.span;
    this.zoneIdx = new Int8Array(n).fill(NONE);
    this.freeOrder = new Int8Array(n).fill(NONE);
    this.allocOrder = new Int8Array(n).fill(NONE);
    this.ownerId = new Int32Array(n);
    this.refs = new Int32Array(n);
    this.compound = new Uint8Array(n);
    this.next = new Int32Array(n).fill(NONE);
    this.prev = new Int32Array(n).fill(NONE);
    const lists = zones.length * this.orders;
    this.heads = new Int32Array(lists).fill(NONE);
    this.tails = new Int32Array(lists).fill(NONE);
    this.nrFree = new Int32Array(lists);
    this.zoneFree = zones.map(() => 0);
    const reserved = [...(opts.reserved ?? [])].sort((a, b) => a.start - b.start);
    for (const r of reserved) {
      if (!(r.start % PAGE_SIZE === 0 && r.end % PAGE_SIZE === 0 && r.start < r.end)) {
        throw new RangeError(`buddy: reserved range [${fmtPa(r.start)}, ${fmtPa(r.end)}) is empty or not page aligned`);
      }
    }
    // Managed = present minus the reserved pages inside the zone.
    this.managed = zones.map((z) => {
      let n = z.presentPages;
      for (const r of reserved) n -= Math.max(0, Math.min(z.endPfn, r.end / PAGE_SIZE) - Math.max(z.startPfn, r.start / PAGE_SIZE));
      return n;
    });
    this.idxDma = zones.findIndex((z) => z.name === "DMA");
    this.idxDma32 = zones.findIndex((z) => z.name === "DMA32");
    this.idxNormal = zones.findIndex((z) => z.name === "NORMAL");
    if (this.idxNormal < 0) throw new RangeError("buddy: the zones have no NORMAL zone");
    this.watermarks = computeWatermarks(
      zones.map((z, i) => ({ name: z.name, managed: this.managed[i] as number })),
      opts.minFreeKbytes,
    );

    const toTail = era.mm.bootFreeToTail;
    const banks = phys.platform.ram;
    // memblock_free_all: the free memblock ranges lowest address first (for_each_free_mem_range skips
    // memblock.reserved), each in the largest aligned blocks that fit.
    zones.forEach((zone, z) => {
      for (const bank of banks) {
        const s = Math.max(zone.startPfn, Math.floor(bank.start / PAGE_SIZE));
        const e = Math.min(zone.endPfn, Math.floor(bank.end / PAGE_SIZE));
        for (let p = s; p < e; p++) this.zoneIdx[p - this.basePfn] = z;
        let from = s;
        for (const r of [...reserved, { start: e * PAGE_SIZE, end: e * PAGE_SIZE }]) {
          const rs = Math.min(e, Math.max(from, r.start / PAGE_SIZE));
          this.seedFree(from, rs, z, toTail);
          from = Math.max(from, Math.min(e, r.end / PAGE_SIZE));
        }
      }
    });
  }

  private seedFree(s: number, e: number, z: number, toTail: boolean): void {
    let pfn = s;
    while (pfn < e) {
      let order = pfn === 0 ? this.orders - 1 : Math.min(this.orders - 1, ffs(pfn));
      while (pfn + (1 << order) > e) order--;
      this.zoneFree[z] = (this.zoneFree[z] as number) + (1 << order);
      this.freeBlock(pfn - this.basePfn, order, z, toTail);
      pfn += 1 << order;
    }
  }

  // ---- PageSource -------------------------------------------------------------------------------

  allocPages(gfp: Gfp, order: number, owner: string): number | null {
    if (!(order >= 0 && order < this.orders && Number.isInteger(order))) this.checkOrder(order, `allocPages(${owner})`);
    const req = this.gfpZoneIndex(gfp);
    // Fast path (get_page_from_freelist with ALLOC_WMARK_LOW).
    let off = this.tryZones(req, order, 0);
    if (off === NONE) {
      if ((gfp & F_KSWAPD) !== 0 && this.kswapd !== null) this.kswapd(order, req);
      // Slow path after waking kswapd: ALLOC_WMARK_MIN, plus ALLOC_HIGH for __GFP_HIGH and ALLOC_HARDER
      // for __GFP_ATOMIC without __GFP_NOMEMALLOC (4.19 gfp_to_alloc_flags; v6.3+ ALLOC_MIN_RESERVE and
      // ALLOC_NON_BLOCK give GFP_ATOMIC the same 3/8 of min). No reclaim, compaction or OOM follows.
      let flags = ALLOC_WMARK_MIN;
      if ((gfp & F_HIGH) !== 0) flags |= ALLOC_HIGH;
      if ((gfp & F_ATOMIC) !== 0 && (gfp & F_NOMEMALLOC) === 0) flags |= ALLOC_HARDER;
      off = this.tryZones(req, order, flags);
      if (off === NONE) {
        this.stats.failed++;
        return null;
      }
      this.stats.slowPath++;
    } else {
      this.stats.fastPath++;
    }
    const z = this.zoneIdx[off] as number;
    const id = this.ownerIndex(owner);
    this.allocOrder[off] = order;
    this.ownerId[off] = id;
    this.refs[off] = 1;
    this.compound[off] = (gfp & F_COMP) !== 0 ? 1 : 0;
    const row = this.heldPages[id] as number[];
    row[z] = (row[z] as number) + (1 << order);
    const pa = (this.basePfn + off) * PAGE_SIZE;
    if ((gfp & F_ZERO) !== 0) this.phys.zero(pa, PAGE_SIZE << order);
    if (this.onAlloc !== null) this.onAlloc(pa, order, owner, (this.zones[req] as Zone).name);
    return pa;
  }

  /**
   * __free_pages: drops the caller's reference and frees the block when it was the last one. A block
   * whose count pageRefSubAndTest already brought to zero is freed directly (free_the_page).
   */
  freePages(pa: number, order: number): void {
    if (!(order >= 0 && order < this.orders && Number.isInteger(order))) this.checkOrder(order, `freePages(${fmtPa(pa)}, ${order})`);
    const off = this.headOffset(pa, "freePages");
    const actual = this.allocOrder[off] as number;
    if (actual !== order) {
      throw new RangeError(`buddy: freePages(${fmtPa(pa)}, ${order}): wrong order, the block was allocated with order ${actual}`);
    }
    const r = this.refs[off] as number;
    if (r > 1) {
      this.refs[off] = r - 1;
      return;
    }
    this.release(off);
  }

  zoneOf(pa: number): ZoneName | null {
    const off = this.offsetOf(pa);
    if (off === NONE) return null;
    const z = this.zoneIdx[off] as number;
    return z === NONE ? null : (this.zones[z] as Zone).name;
  }

  ownerOf(pa: number): string | null {
    const off = this.offsetOf(pa);
    if (off === NONE) return null;
    const head = this.allocatedHead(off);
    return head === NONE ? null : (this.owners[this.ownerId[head] as number] as string);
  }

  // ---- compound pages and refcounts ------------------------------------------------------------
  // The count lives on the head page of the block (compound_head), for compound and plain blocks alike.

  /** get_page: one more reference to the block holding `pa`. */
  getPage(pa: number): void {
    const head = this.liveHead(pa, "getPage");
    this.refs[head] = (this.refs[head] as number) + 1;
  }

  /** put_page: drops one reference; true when the count hit zero and the block was freed. */
  putPage(pa: number): boolean {
    const head = this.liveHead(pa, "putPage");
    const r = (this.refs[head] as number) - 1;
    if (r < 0) throw new RangeError(`buddy: putPage(${fmtPa(pa)}): the page count is already 0`);
    this.refs[head] = r;
    if (r > 0) return false;
    this.release(head);
    return true;
  }

  /** page_ref_add. */
  pageRefAdd(pa: number, n: number): void {
    const head = this.liveHead(pa, "pageRefAdd");
    checkCount(n, "pageRefAdd", pa);
    this.refs[head] = (this.refs[head] as number) + n;
  }

  /** page_ref_sub_and_test: true when the count reaches zero (the caller then frees the block). */
  pageRefSubAndTest(pa: number, n: number): boolean {
    const head = this.liveHead(pa, "pageRefSubAndTest");
    checkCount(n, "pageRefSubAndTest", pa);
    const r = (this.refs[head] as number) - n;
    if (r < 0) throw new RangeError(`buddy: pageRefSubAndTest(${fmtPa(pa)}, ${n}): the page count ${this.refs[head]} would go negative`);
    this.refs[head] = r;
    return r === 0;
  }

  /** page_count. */
  pageCount(pa: number): number {
    return this.refs[this.liveHead(pa, "pageCount")] as number;
  }

  /** set_page_count. */
  setPageCount(pa: number, n: number): void {
    const head = this.liveHead(pa, "setPageCount");
    checkCount(n, "setPageCount", pa);
    this.refs[head] = n;
  }

  /** Whether the block holding `pa` was allocated with F_COMP. */
  isCompound(pa: number): boolean {
    return this.compound[this.liveHead(pa, "isCompound")] === 1;
  }

  /** Head address and order of the allocated block holding `pa`, or null when `pa` is not allocated. */
  blockOf(pa: number): { readonly head: number; readonly order: number } | null {
    const off = this.offsetOf(pa);
    if (off === NONE) return null;
    const head = this.allocatedHead(off);
    return head === NONE ? null : { head: (this.basePfn + head) * PAGE_SIZE, order: this.allocOrder[head] as number };
  }

  // ---- accounting and views --------------------------------------------------------------------

  /** Bytes held per owner per zone (zones with nothing held are left out; owners holding nothing too). */
  usageByOwner(): Map<string, Partial<Record<ZoneName, number>>> {
    const out = new Map<string, Partial<Record<ZoneName, number>>>();
    this.owners.forEach((name, id) => {
      const row = this.heldPages[id] as number[];
      const byZone = new ZoneBytes();
      row.forEach((pages, z) => byZone.add((this.zones[z] as Zone).name, pages * PAGE_SIZE));
      const record = byZone.toRecord();
      if (Object.keys(record).length > 0) out.set(name, record);
    });
    return out;
  }

  /** One owner's holding as a `Usage` (the buddy cannot see sub-page use, so inUse = held). */
  usageOf(owner: string): Usage {
    const id = this.ownerIds.get(owner);
    const heldByZone = new ZoneBytes();
    let held = 0;
    if (id !== undefined) {
      (this.heldPages[id] as number[]).forEach((pages, z) => {
        heldByZone.add((this.zones[z] as Zone).name, pages * PAGE_SIZE);
        held += pages * PAGE_SIZE;
      });
    }
    return { heldBytes: held, inUseBytes: held, heldByZone: heldByZone.toRecord() };
  }

  /** The zone gfp_zone() picks for `gfp` in this era (GFP_DMA is NORMAL where the era has no ZONE_DMA). */
  gfpZone(gfp: Gfp): ZoneName {
    return (this.zones[this.gfpZoneIndex(gfp)] as Zone).name;
  }

  zoneState(name: ZoneName): ZoneState {
    const z = this.zoneIndexOf(name);
    const zone = this.zones[z] as Zone;
    const wm = this.watermarks[z] as ZoneWatermarks;
    return {
      name,
      startPfn: zone.startPfn,
      endPfn: zone.endPfn,
      managedPages: this.managed[z] as number,
      freePages: this.zoneFree[z] as number,
      min: wm.min,
      low: wm.low,
      high: wm.high,
      lowmemReserve: wm.lowmemReserve,
    };
  }

  /** Every zone's state, lowest zone first. */
  zoneStates(): ZoneState[] {
    return this.zones.map((z) => this.zoneState(z.name));
  }

  /**
   * zone_watermark_ok_safe(zone, order, mark, classZone): free pages above `mark` plus the zone's
   * lowmem_reserve for requests whose highest zone is `classZone`, with a free block of `order` or larger.
   */
  zoneWatermarkOk(zone: number, order: number, mark: number, classZone: number): boolean {
    const wm = this.watermarks[zone] as ZoneWatermarks;
    return this.watermarkOk(zone, order, mark, 0, wm.lowmemReserve[classZone] as number);
  }

  /** Managed pages of the zone at index `zone` (present minus memblock reservations). */
  managedPagesAt(zone: number): number {
    return this.managed[zone] as number;
  }

  /** Free pages of a zone (NR_FREE_PAGES). */
  freePagesIn(name: ZoneName): number {
    return this.zoneFree[this.zoneIndexOf(name)] as number;
  }

  /** Free blocks per order in a zone, as /proc/buddyinfo counts them. */
  freeCounts(name: ZoneName): number[] {
    const z = this.zoneIndexOf(name);
    return Array.from(this.nrFree.subarray(z * this.orders, (z + 1) * this.orders));
  }

  /** The physical addresses on one free list, head first. */
  freeList(name: ZoneName, order: number): number[] {
    this.checkOrder(order, "freeList");
    const z = this.zoneIndexOf(name);
    const out: number[] = [];
    for (let off = this.heads[z * this.orders + order] as number; off !== NONE; off = this.next[off] as number) {
      out.push((this.basePfn + off) * PAGE_SIZE);
    }
    return out;
  }

  /**
   * /proc/buddyinfo: populated zones only, "Node 0, zone %8s " with the kernel's zone_names ("DMA",
   * "DMA32", "Normal": nojick/test419 968c1392:mm/page_alloc.c zone_names), then "%6lu " per order.
   */
  buddyinfo(): string {
    let s = "";
    this.zones.forEach((zone, z) => {
      if ((this.managed[z] as number) === 0) return;
      s += `Node 0, zone ${KERNEL_ZONE_NAMES[zone.name].padStart(8)} `;
      for (let o = 0; o < this.orders; o++) s += `${String(this.nrFree[z * this.orders + o]).padStart(6)} `;
      s += "\n";
    });
    return s;
  }

  /**
   * Throws an Error naming the first broken invariant: list links, block alignment and zone, free and
   * allocated blocks disjoint, no free buddy pair left unmerged, counters equal to what the lists hold.
   */
  checkInvariants(): void {
    const covered = new Uint8Array(this.span);
    const fail = (what: string): never => {
      throw new Error(`buddy invariant: ${what}`);
    };
    const mark = (off: number, order: number, what: string): void => {
      for (let i = off; i < off + (1 << order); i++) {
        if (i >= this.span || this.zoneIdx[i] !== this.zoneIdx[off])
          fail(`${what} at pfn 0x${(this.basePfn + off).toString(16)} order ${order} leaves its zone`);
        if (covered[i] !== 0) fail(`${what} at pfn 0x${(this.basePfn + off).toString(16)} overlaps another block`);
        covered[i] = 1;
      }
    };
    const freeByZone = this.zones.map(() => 0);
    for (let z = 0; z < this.zones.length; z++) {
      for (let o = 0; o < this.orders; o++) {
        const li = z * this.orders + o;
        let count = 0;
        let prev = NONE;
        for (let off = this.heads[li] as number; off !== NONE; off = this.next[off] as number) {
          const pfn = this.basePfn + off;
          if (this.prev[off] !== prev) fail(`prev link of pfn 0x${pfn.toString(16)} on zone ${z} order ${o}`);
          if (this.freeOrder[off] !== o) fail(`pfn 0x${pfn.toString(16)} on the order-${o} list has order ${this.freeOrder[off]}`);
          if (this.zoneIdx[off] !== z) fail(`pfn 0x${pfn.toString(16)} on zone ${z}'s list is in zone ${this.zoneIdx[off]}`);
          if (pfn % (1 << o) !== 0) fail(`pfn 0x${pfn.toString(16)} is not aligned to order ${o}`);
          mark(off, o, "free block");
          if (o < this.orders - 1) {
            const b = (pfn ^ (1 << o)) - this.basePfn;
            if (b >= 0 && b < this.span && this.freeOrder[b] === o && this.zoneIdx[b] === z) {
              fail(`free buddies pfn 0x${pfn.toString(16)} and 0x${(this.basePfn + b).toString(16)} at order ${o} were not merged`);
            }
          }
          count++;
          freeByZone[z] = (freeByZone[z] as number) + (1 << o);
          prev = off;
          if (count > this.span) fail(`cycle on zone ${z} order ${o}`);
        }
        if (this.tails[li] !== prev) fail(`tail of zone ${z} order ${o}`);
        if (this.nrFree[li] !== count) fail(`nr_free of zone ${z} order ${o} is ${this.nrFree[li]}, the list holds ${count}`);
      }
      if (this.zoneFree[z] !== freeByZone[z]) fail(`zone ${z} counts ${this.zoneFree[z]} free pages, its lists hold ${freeByZone[z]}`);
    }
    const allocByZone = this.zones.map(() => 0);
    for (let off = 0; off < this.span; off++) {
      const o = this.allocOrder[off] as number;
      if (o === NONE) continue;
      if (this.freeOrder[off] !== NONE) fail(`pfn 0x${(this.basePfn + off).toString(16)} heads both a free and an allocated block`);
      mark(off, o, "allocated block");
      const z = this.zoneIdx[off] as number;
      allocByZone[z] = (allocByZone[z] as number) + (1 << o);
    }
    for (let z = 0; z < this.zones.length; z++) {
      const held = this.heldPages.reduce((n, row) => n + (row[z] as number), 0);
      if (held !== allocByZone[z]) fail(`zone ${z}: owners hold ${held} pages, allocated blocks cover ${allocByZone[z]}`);
      if ((allocByZone[z] as number) + (freeByZone[z] as number) !== this.managed[z]) {
        fail(`zone ${z}: ${allocByZone[z]} allocated + ${freeByZone[z]} free != ${this.managed[z]} managed`);
      }
    }
    for (const row of this.heldPages) for (const v of row) if (v < 0) fail("an owner holds a negative page count");
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The zonelist walk from the requested zone down to ZONE_DMA; returns the block offset or NONE. */
  private tryZones(req: number, order: number, flags: number): number {
    for (let z = req; z >= 0; z--) {
      if ((this.managed[z] as number) === 0) continue;
      const wm = this.watermarks[z] as ZoneWatermarks;
      const mark = (flags & ALLOC_WMARK_MIN) !== 0 ? wm.min : wm.low;
      if (!this.watermarkOk(z, order, mark, flags, wm.lowmemReserve[req] as number)) continue;
      const off = this.rmqueueSmallest(z, order);
      if (off !== NONE) return off;
    }
    return NONE;
  }

  /** __zone_watermark_ok (4.19 arithmetic; C division truncates, all values are non-negative). */
  private watermarkOk(z: number, order: number, mark: number, flags: number, reserve: number): boolean {
    const free = (this.zoneFree[z] as number) - ((1 << order) - 1);
    let min = mark;
    if ((flags & ALLOC_HIGH) !== 0) min -= Math.floor(min / 2);
    if ((flags & ALLOC_HARDER) !== 0) min -= Math.floor(min / 4);
    if (free <= min + reserve) return false;
    if (order === 0) return true;
    for (let o = order; o < this.orders; o++) if ((this.nrFree[z * this.orders + o] as number) > 0) return true;
    return false;
  }

  /** __rmqueue_smallest + expand(). */
  private rmqueueSmallest(z: number, order: number): number {
    const base = z * this.orders;
    for (let o = order; o < this.orders; o++) {
      const off = this.heads[base + o] as number;
      if (off === NONE) continue;
      this.listDel(off, base + o);
      this.freeOrder[off] = NONE;
      let size = 1 << o;
      let cur = o;
      while (cur > order) {
        cur--;
        size >>= 1;
        this.freeOrder[off + size] = cur;
        this.listAddHead(off + size, base + cur);
      }
      this.zoneFree[z] = (this.zoneFree[z] as number) - (1 << order);
      return off;
    }
    return NONE;
  }

  private release(off: number): void {
    const order = this.allocOrder[off] as number;
    const z = this.zoneIdx[off] as number;
    const row = this.heldPages[this.ownerId[off] as number] as number[];
    row[z] = (row[z] as number) - (1 << order);
    this.allocOrder[off] = NONE;
    this.refs[off] = 0;
    this.compound[off] = 0;
    this.zoneFree[z] = (this.zoneFree[z] as number) + (1 << order);
    this.freeBlock(off, order, z, false);
  }

  /** __free_one_page: merge with free buddies of the same zone, then insert at head or tail. */
  private freeBlock(offIn: number, orderIn: number, z: number, forceTail: boolean): void {
    let pfn = this.basePfn + offIn;
    let order = orderIn;
    const maxMerge = this.orders - 1;
    while (order < maxMerge) {
      const b = (pfn ^ (1 << order)) - this.basePfn;
      if (b < 0 || b >= this.span || this.freeOrder[b] !== order || this.zoneIdx[b] !== z) break;
      this.listDel(b, z * this.orders + order);
      this.freeOrder[b] = NONE;
      pfn &= ~(1 << order);
      order++;
    }
    const off = pfn - this.basePfn;
    this.freeOrder[off] = order;
    let tail = forceTail;
    // buddy_merge_likely: if the next-higher buddy is free, this block will probably merge soon, so
    // park it at the tail where it is allocated last.
    if (!tail && order < this.orders - 2) {
      const combined = pfn & ~(1 << order);
      const hb = (combined ^ (1 << (order + 1))) - this.basePfn;
      if (hb >= 0 && hb < this.span && this.freeOrder[hb] === order + 1 && this.zoneIdx[hb] === z) tail = true;
    }
    if (tail) this.listAddTail(off, z * this.orders + order);
    else this.listAddHead(off, z * this.orders + order);
  }

  private listAddHead(off: number, li: number): void {
    const h = this.heads[li] as number;
    this.prev[off] = NONE;
    this.next[off] = h;
    if (h === NONE) this.tails[li] = off;
    else this.prev[h] = off;
    this.heads[li] = off;
    this.nrFree[li] = (this.nrFree[li] as number) + 1;
  }

  private listAddTail(off: number, li: number): void {
    const t = this.tails[li] as number;
    this.next[off] = NONE;
    this.prev[off] = t;
    if (t === NONE) this.heads[li] = off;
    else this.next[t] = off;
    this.tails[li] = off;
    this.nrFree[li] = (this.nrFree[li] as number) + 1;
  }

  private listDel(off: number, li: number): void {
    const p = this.prev[off] as number;
    const n = this.next[off] as number;
    if (p === NONE) this.heads[li] = n;
    else this.next[p] = n;
    if (n === NONE) this.tails[li] = p;
    else this.prev[n] = p;
    this.next[off] = NONE;
    this.prev[off] = NONE;
    this.nrFree[li] = (this.nrFree[li] as number) - 1;
  }

  private gfpZoneIndex(gfp: Gfp): number {
    const dma = (gfp & F_DMA) !== 0;
    const dma32 = (gfp & F_DMA32) !== 0;
    if (dma && dma32) throw new RangeError(`buddy: gfp 0x${(gfp >>> 0).toString(16)} asks for both __GFP_DMA and __GFP_DMA32 (GFP_ZONE_BAD)`);
    // An unconfigured zone type maps to ZONE_NORMAL (OPT_ZONE_DMA / OPT_ZONE_DMA32).
    if (dma) return this.idxDma >= 0 ? this.idxDma : this.idxNormal;
    if (dma32) return this.idxDma32 >= 0 ? this.idxDma32 : this.idxNormal;
    return this.idxNormal;
  }

  private zoneIndexOf(name: ZoneName): number {
    const z = this.zones.findIndex((x) => x.name === name);
    if (z < 0) throw new RangeError(`buddy: no zone ${name} in era ${this.era.name} (zones: ${this.zones.map((x) => x.name).join(", ")})`);
    return z;
  }

  private ownerIndex(owner: string): number {
    if (owner === this.lastOwner && this.lastOwnerId >= 0) return this.lastOwnerId;
    let id = this.ownerIds.get(owner);
    if (id === undefined) {
      id = this.owners.length;
      this.owners.push(owner);
      this.ownerIds.set(owner, id);
      this.heldPages.push(this.zones.map(() => 0));
    }
    this.lastOwner = owner;
    this.lastOwnerId = id;
    return id;
  }

  private checkOrder(order: number, op: string): void {
    if (!Number.isInteger(order) || order < 0 || order >= this.orders) {
      throw new RangeError(`buddy: ${op}: order ${order} is outside 0..${this.orders - 1} (MAX_ORDER ${this.orders})`);
    }
  }

  /** Page offset of `pa`, or NONE when it is not inside the zones' span. */
  private offsetOf(pa: number): number {
    if (!Number.isSafeInteger(pa) || pa < 0) return NONE;
    const off = Math.floor(pa / PAGE_SIZE) - this.basePfn;
    return off >= 0 && off < this.span ? off : NONE;
  }

  /** The head of the allocated block covering page offset `off`, or NONE. */
  private allocatedHead(off: number): number {
    const pfn = this.basePfn + off;
    for (let o = 0; o < this.orders; o++) {
      const h = pfn - (pfn % (1 << o)) - this.basePfn;
      if (h < 0) break;
      const ao = this.allocOrder[h] as number;
      // The first block head met going down in alignment decides: no other block can contain `pfn`.
      if (ao !== NONE) return ao >= o ? h : NONE;
      if (this.freeOrder[h] !== NONE) return NONE;
    }
    return NONE;
  }

  /** The head offset of the allocated block covering `pa`, or a RangeError naming the problem. */
  private liveHead(pa: number, op: string): number {
    const off = this.offsetOf(pa);
    if (off === NONE || this.zoneIdx[off] === NONE) throw new RangeError(`buddy: ${op}(${fmtPa(pa)}): not a managed RAM page`);
    const head = this.allocatedHead(off);
    if (head === NONE) throw new RangeError(`buddy: ${op}(${fmtPa(pa)}): the page is free`);
    return head;
  }

  /** For frees: `pa` must be the page-aligned head of an allocated block. */
  private headOffset(pa: number, op: string): number {
    if (Number.isSafeInteger(pa) && pa % PAGE_SIZE === 0) {
      const off = this.offsetOf(pa);
      if (off !== NONE && this.allocOrder[off] !== NONE) return off;
    }
    const where = `buddy: ${op}(${fmtPa(pa)})`;
    if (!Number.isSafeInteger(pa) || pa % PAGE_SIZE !== 0) throw new RangeError(`${where}: not a page-aligned address`);
    const off = this.offsetOf(pa);
    if (off === NONE || this.zoneIdx[off] === NONE) throw new RangeError(`${where}: unknown address, not a managed RAM page`);
    const head = this.allocatedHead(off);
    if (head !== NONE) {
      throw new RangeError(`${where}: inside the block at ${fmtPa((this.basePfn + head) * PAGE_SIZE)}, not its head`);
    }
    throw new RangeError(`${where}: double free or unknown address, the page is already free`);
  }
}

const ALLOC_WMARK_MIN = 1;
const ALLOC_HIGH = 2;
const ALLOC_HARDER = 4;

function checkCount(n: number, op: string, pa: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`buddy: ${op}(${fmtPa(pa)}, ${n}): the count must be a non-negative integer`);
}

function fmtPa(pa: number): string {
  return Number.isFinite(pa) && pa >= 0 ? "0x" + pa.toString(16) : String(pa);
}
