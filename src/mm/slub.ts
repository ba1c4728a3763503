// SPDX-License-Identifier: GPL-2.0-only
/**
 * A SLUB kmem_cache (mm/slub.c) over a PageSource, as one CPU (cpu 0) sees it.
 *
 * Modelled: object size and alignment (calculate_sizes / calculate_alignment, no debug metadata);
 * calculate_order with the CPU count as an input and the order-0 (get_order(size)) fallback; slab-page
 * gfp = caller gfp | allocflags (__GFP_COMP, GFP_DMA for SLAB_CACHE_DMA, GFP_DMA32 for SLAB_CACHE_DMA32),
 * first attempt with __GFP_NOWARN|__GFP_NORETRY; the cpu slab with its lockless freelist, the per-CPU
 * partial list (objects form before v5.16, slabs form after: `era.mm.slubCpuPartialForm`), the node partial list
 * (get_partial_node from the head, adds at the tail except a deactivated cpu slab, which goes to the
 * head), min_partial retention of empty slabs, kmem_cache_shrink with its fullness sort, the "Unexpected
 * gfp" fix-up in new_slab, the allocation-failure warning and /proc/slabinfo.
 *
 * CPU model: every operation runs on cpu 0, so there are no remote frees (a free to the cpu slab always
 * goes to the cpu freelist, page->freelist of a frozen slab stays empty) and one cpu slab and one per-CPU
 * partial list exist. `cpus` only feeds calculate_order's min_objects, as num_present_cpus() does.
 * One NUMA node (the "node -1" of the messages is NUMA_NO_NODE, the node argument of kmem_cache_alloc).
 * Not modelled: debugging (red zones, poisoning, tracking), cache merging/aliasing, memcg, sheaves (2025+).
 *
 * State lives in typed arrays indexed by slab id and by object slot (slab id × objects-per-slab + index),
 * so the fast path is a handful of typed-array operations and one Map lookup (pfn → slab) on free.
 */
import { fls, getOrder, isPowerOfTwo, PAGE_SIZE } from "../core/bits.ts";
import type { Era } from "../core/era.ts";
import { hex } from "../core/format.ts";
import {
  __GFP_ATOMIC,
  __GFP_COMP,
  __GFP_FS,
  __GFP_HIGH,
  __GFP_IO,
  __GFP_RETRY_MAYFAIL,
  __GFP_DIRECT_RECLAIM,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_ZERO,
  GFP_DMA,
  GFP_DMA32,
  fixSlabGfp,
  gfpNames,
  NO_GFP,
  type Gfp,
} from "./gfp.ts";
import { type PageSource, type Usage, ZoneBytes, type ZoneName } from "./page-source.ts";
import type { SlabinfoRow } from "../core/slabinfo.ts";
export type { SlabinfoRow } from "../core/slabinfo.ts";

/** include/linux/slab.h values. SLAB_CACHE_DMA32 is 6d6ea1e967a2 (v5.1, backported to 4.19-stable). */
export const SLAB_HWCACHE_ALIGN = 0x0000_2000;
export const SLAB_CACHE_DMA = 0x0000_4000;
export const SLAB_CACHE_DMA32 = 0x0000_8000;
export const SLAB_RECLAIM_ACCOUNT = 0x0002_0000;
/** include/linux/gfp.h GFP_RECLAIM_MASK, in the bits the model has. */
const GFP_RECLAIM_MASK =
  __GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_ATOMIC;
const KNOWN_FLAGS = SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_RECLAIM_ACCOUNT;

/** PAGE_ALLOC_COSTLY_ORDER: slub_max_order's default. */
const SLUB_MAX_ORDER = 3;
const MIN_PARTIAL = 5;
const MAX_PARTIAL = 10;
const MAX_OBJS_PER_PAGE = 32767;
/** ARCH_SLAB_MINALIGN on arm64 (__alignof__(unsigned long long)) and sizeof(void *). */
const ARCH_SLAB_MINALIGN = 8;
const CACHE_LINE = 64;
const SHRINK_PROMOTE_MAX = 32;

// Slab states.
const S_UNUSED = 0;
const S_CPU = 1;
const S_CPU_PARTIAL = 2;
const S_NODE_PARTIAL = 3;
const S_FULL = 4;

const NIL = -1;

export interface CacheEnv {
  readonly pages: PageSource;
  /** Present CPUs: calculate_order's input (num_present_cpus()). */
  readonly cpus: number;
  readonly era: Era;
}

export interface SlabGeometry {
  /** s->object_size: what the caller asked for. */
  readonly objectSize: number;
  /** s->size: the object stride in a slab. */
  readonly size: number;
  readonly align: number;
  /** oo_order(s->oo) and oo_objects(s->oo): the preferred slab. */
  readonly order: number;
  readonly objects: number;
  /** s->min: the fallback slab (order get_order(size)). */
  readonly minOrder: number;
  readonly minObjects: number;
  readonly minPartial: number;
  /** s->cpu_partial in objects; `cpuPartialSlabs` is used instead from v5.16 (`era.mm.slubCpuPartialForm`). */
  readonly cpuPartial: number;
  readonly cpuPartialSlabs: number;
  readonly cpuPartialForm: "objects" | "slabs";
  /** Bits of s->allocflags added to every slab-page allocation. */
  readonly allocflags: Gfp;
}

export interface SlabStats {
  readonly allocs: number;
  readonly frees: number;
  readonly allocFastpath: number;
  readonly allocSlowpath: number;
  readonly freeFastpath: number;
  readonly slabsAllocated: number;
  readonly slabsFreed: number;
  readonly orderFallback: number;
  readonly allocFailures: number;
  readonly cpuPartialFree: number;
  readonly cpuPartialDrain: number;
  readonly allocFromPartial: number;
  readonly unexpectedGfp: number;
}

export interface SlabCounts {
  readonly slabs: number;
  readonly objects: number;
  readonly liveObjects: number;
  readonly nodePartial: number;
  readonly cpuPartial: number;
  readonly cpuSlab: boolean;
  readonly emptySlabs: number;
}

/** calculate_order: the smallest order holding min_objects whose leftover is small enough. */
export function calculateOrder(size: number, cpus: number): number {
  let minObjects = 4 * (fls(cpus) + 1);
  const maxObjects = Math.floor((PAGE_SIZE << SLUB_MAX_ORDER) / size);
  minObjects = Math.min(minObjects, maxObjects);
  while (minObjects > 1) {
    for (let fraction = 16; fraction >= 4; fraction /= 2) {
      const order = slabOrder(size, minObjects, SLUB_MAX_ORDER, fraction);
      if (order <= SLUB_MAX_ORDER) return order;
    }
    minObjects--;
  }
  let order = slabOrder(size, 1, SLUB_MAX_ORDER, 1);
  if (order <= SLUB_MAX_ORDER) return order;
  order = slabOrder(size, 1, 10, 1);
  return order;
}

function slabOrder(size: number, minObjects: number, maxOrder: number, fraction: number): number {
  if (Math.floor(PAGE_SIZE / size) > MAX_OBJS_PER_PAGE) return getOrder(size * MAX_OBJS_PER_PAGE) - 1;
  let order = getOrder(minObjects * size);
  for (; order <= maxOrder; order++) {
    const slabSize = PAGE_SIZE * 2 ** order;
    if (slabSize % size <= slabSize / fraction) break;
  }
  return order;
}

/** kmem_cache_create. Throws RangeError for a size, alignment or flag the kernel would refuse. */
export function kmemCacheCreate(name: string, size: number, align: number, flags: number, env: CacheEnv): SlabCache {
  return new SlabCache(name, size, align, flags, env);
}

export class SlabCache {
  readonly name: string;
  readonly flags: number;
  readonly geometry: SlabGeometry;
  private readonly pages: PageSource;
  private readonly owner: string;
  private readonly objectSize: number;
  private readonly size: number;
  private readonly maxObjects: number;

  // Per slab id.
  private cap = 0;
  private slabBase = new Float64Array(0);
  private slabOrder = new Uint8Array(0);
  private slabObjects = new Uint16Array(0);
  private slabLive = new Uint16Array(0);
  private slabFree = new Int32Array(0);
  private slabState = new Uint8Array(0);
  private slabNext = new Int32Array(0);
  private slabPrev = new Int32Array(0);
  private slabZone = new Uint8Array(0);
  /** pobjects / pages (or slabs) snapshot the kernel keeps in the head of the per-CPU partial list. */
  private slabPobjects = new Int32Array(0);
  private slabPslabs = new Int32Array(0);
  private readonly unusedIds: number[] = [];
  private nextId = 0;

  // Per object slot.
  private objNext = new Int32Array(0);
  private objLive = new Uint8Array(0);

  /** Page frame number of every page of every slab → slab id (virt_to_slab). */
  private readonly pfnToSlab = new Map<number, number>();

  private cpuSlab = NIL;
  private cpuFree = NIL;
  /** Address range of the cpu slab's objects (span 0 when there is no cpu slab). */
  private cpuBase = 0;
  private cpuSpan = 0;
  private cpuPartialHead = NIL;
  private nodeHead = NIL;
  private nodeTail = NIL;
  private nrPartial = 0;

  private liveObjects = 0;
  private heldBytes = 0;
  private readonly heldZone = new Float64Array(ZONES.length);
  private destroyed = false;
  private messages: string[] = [];

  private st = {
    allocs: 0,
    frees: 0,
    allocFastpath: 0,
    allocSlowpath: 0,
    freeFastpath: 0,
    slabsAllocated: 0,
    slabsFreed: 0,
    orderFallback: 0,
    allocFailures: 0,
    cpuPartialFree: 0,
    cpuPartialDrain: 0,
    allocFromPartial: 0,
    unexpectedGfp: 0,
  };

  constructor(name: string, objectSize: number, align: number, flags: number, env: CacheEnv) {
    if (name.length === 0) throw new RangeError("kmem_cache_create: empty cache name");
    if (!Number.isInteger(objectSize) || objectSize < 1 || objectSize > PAGE_SIZE * 2 ** (env.era.buddyOrders - 1)) {
      throw new RangeError(`kmem_cache_create(${name}): object size ${objectSize} is outside 1..${PAGE_SIZE * 2 ** (env.era.buddyOrders - 1)}`);
    }
    if (align !== 0 && (!isPowerOfTwo(align) || align > PAGE_SIZE)) {
      throw new RangeError(`kmem_cache_create(${name}): alignment ${align} is not 0 or a power of two up to ${PAGE_SIZE}`);
    }
    if ((flags & ~KNOWN_FLAGS) !== 0) {
      throw new RangeError(`kmem_cache_create(${name}): unknown flags ${hex(flags & ~KNOWN_FLAGS)}`);
    }
    if ((flags & SLAB_CACHE_DMA) !== 0 && (flags & SLAB_CACHE_DMA32) !== 0) {
      throw new RangeError(`kmem_cache_create(${name}): SLAB_CACHE_DMA and SLAB_CACHE_DMA32 together`);
    }
    if (!Number.isInteger(env.cpus) || env.cpus < 1) throw new RangeError(`kmem_cache_create(${name}): cpus ${env.cpus} must be >= 1`);
    this.name = name;
    this.flags = flags;
    this.pages = env.pages;
    this.owner = `slab:${name}`;

    // calculate_alignment, then calculate_sizes (free pointer inside the object: no metadata).
    let a = align;
    if ((flags & SLAB_HWCACHE_ALIGN) !== 0) {
      let ralign = CACHE_LINE;
      while (objectSize <= ralign / 2) ralign /= 2;
      a = Math.max(a, ralign);
    }
    a = Math.max(a, ARCH_SLAB_MINALIGN);
    const size = Math.ceil(objectSize / a) * a;
    const order = calculateOrder(size, env.cpus);
    const minOrder = getOrder(size);
    const objects = Math.floor((PAGE_SIZE * 2 ** order) / size);
    const minObjects = Math.floor((PAGE_SIZE * 2 ** minOrder) / size);
    // Older kernels add __GFP_COMP only for order > 0 (newer always); the order-0 fallback is unaffected.
    let allocflags = order > 0 ? __GFP_COMP : 0;
    if ((flags & SLAB_CACHE_DMA) !== 0) allocflags |= GFP_DMA;
    if ((flags & SLAB_CACHE_DMA32) !== 0) allocflags |= GFP_DMA32;
    if ((flags & SLAB_RECLAIM_ACCOUNT) !== 0) allocflags |= __GFP_RECLAIMABLE;
    // set_cpu_partial (4.19) / slub_set_cpu_partial (v5.16+), with the era's default object counts.
    const [cpPage, cp1k, cp256, cpSmall] = env.era.mm.slubCpuPartialObjects;
    const cpuPartial = size >= PAGE_SIZE ? cpPage : size >= 1024 ? cp1k : size >= 256 ? cp256 : cpSmall;
    this.objectSize = objectSize;
    this.size = size;
    this.maxObjects = objects;
    this.geometry = {
      objectSize,
      size,
      align: a,
      order,
      objects,
      minOrder,
      minObjects,
      minPartial: Math.min(MAX_PARTIAL, Math.max(MIN_PARTIAL, Math.floor((fls(size) - 1) / 2))),
      cpuPartial,
      cpuPartialSlabs: Math.ceil((cpuPartial * 2) / objects),
      cpuPartialForm: env.era.mm.slubCpuPartialForm,
      allocflags: allocflags as Gfp,
    };
    this.grow(8);
  }

  // ---- allocation ------------------------------------------------------------------------------

  /** kmem_cache_alloc: the object's physical address, or null (the kernel's NULL). Zeroed iff __GFP_ZERO. */
  alloc(gfp: Gfp = NO_GFP): number | null {
    let slot = this.cpuFree;
    if (slot !== NIL) {
      this.cpuFree = this.objNext[slot] as number;
      this.st.allocFastpath++;
    } else {
      this.checkLive("alloc");
      slot = this.slowAlloc(gfp);
      if (slot === NIL) return null;
    }
    const slab = this.cpuSlab;
    this.objLive[slot] = 1;
    this.slabLive[slab] = (this.slabLive[slab] as number) + 1;
    this.liveObjects++;
    this.st.allocs++;
    const pa = (this.slabBase[slab] as number) + (slot - slab * this.maxObjects) * this.size;
    if ((gfp & __GFP_ZERO) !== 0) this.pages.phys.zero(pa, this.objectSize);
    return pa;
  }

  /** kmem_cache_zalloc. */
  zalloc(gfp: Gfp = NO_GFP): number | null {
    return this.alloc((gfp | __GFP_ZERO) as Gfp);
  }

  /** kmem_cache_free. Throws RangeError for an address that is not a live object of this cache. */
  free(pa: number): void {
    // The cpu slab's range is checked first so the common free skips the pfn lookup (virt_to_slab).
    let off = pa - this.cpuBase;
    let slab: number;
    if (off >= 0 && off < this.cpuSpan) {
      slab = this.cpuSlab;
    } else {
      const s = this.pfnToSlab.get(Math.floor(pa / PAGE_SIZE));
      if (s === undefined) {
        throw new RangeError(`kmem_cache_free(${this.name}, ${fmt(pa)}): not an object of this cache`);
      }
      slab = s;
      off = pa - (this.slabBase[slab] as number);
    }
    const idx = off / this.size;
    if (!Number.isInteger(idx) || idx >= (this.slabObjects[slab] as number)) {
      throw new RangeError(`kmem_cache_free(${this.name}, ${fmt(pa)}): not the start of an object (stride ${this.size})`);
    }
    const slot = slab * this.maxObjects + idx;
    if (this.objLive[slot] !== 1) {
      throw new RangeError(`kmem_cache_free(${this.name}, ${fmt(pa)}): double free (the object is already free)`);
    }
    this.objLive[slot] = 0;
    this.slabLive[slab] = (this.slabLive[slab] as number) - 1;
    this.liveObjects--;
    this.st.frees++;
    if (slab === this.cpuSlab) {
      this.objNext[slot] = this.cpuFree;
      this.cpuFree = slot;
      this.st.freeFastpath++;
      return;
    }
    // __slab_free.
    this.objNext[slot] = this.slabFree[slab] as number;
    this.slabFree[slab] = slot;
    const state = this.slabState[slab];
    if (state === S_FULL) {
      this.st.cpuPartialFree++;
      this.putCpuPartial(slab, true);
    } else if (state === S_NODE_PARTIAL && this.slabLive[slab] === 0 && this.nrPartial >= this.geometry.minPartial) {
      this.removePartial(slab);
      this.discardSlab(slab);
    }
  }

  /** ___slab_alloc: refills the cpu slab and takes one object from it; NIL on failure. */
  private slowAlloc(gfp: Gfp): number {
    this.st.allocSlowpath++;
    if (this.cpuSlab !== NIL) {
      // The cpu slab's freelist is exhausted and no remote frees exist: drop it, it stays full off-list.
      this.slabState[this.cpuSlab] = S_FULL;
      this.cpuSlab = NIL;
      this.cpuSpan = 0;
    }
    if (this.cpuPartialHead !== NIL) {
      const slab = this.cpuPartialHead;
      this.cpuPartialHead = this.slabNext[slab] as number;
      this.makeCpuSlab(slab);
    } else if (this.nodeHead !== NIL) {
      this.getPartialNode();
    } else {
      const slab = this.newSlab(gfp);
      if (slab === NIL) {
        this.st.allocFailures++;
        if ((gfp & __GFP_NOWARN) === 0) this.slabOutOfMemory(gfp);
        return NIL;
      }
      this.makeCpuSlab(slab);
    }
    const slot = this.cpuFree;
    this.cpuFree = this.objNext[slot] as number;
    return slot;
  }

  private makeCpuSlab(slab: number): void {
    this.slabState[slab] = S_CPU;
    this.cpuSlab = slab;
    this.cpuBase = this.slabBase[slab] as number;
    this.cpuSpan = (this.slabObjects[slab] as number) * this.size;
    this.cpuFree = this.slabFree[slab] as number;
    this.slabFree[slab] = NIL;
  }

  /** get_partial_node: the head slab becomes the cpu slab; more go to the per-CPU partial list. */
  private getPartialNode(): void {
    const first = this.nodeHead;
    this.removePartial(first);
    this.makeCpuSlab(first);
    this.st.allocFromPartial++;
    let available = (this.slabObjects[first] as number) - (this.slabLive[first] as number);
    let partialSlabs = 0;
    const g = this.geometry;
    for (;;) {
      if (g.cpuPartialForm === "objects" ? available > g.cpuPartial / 2 : partialSlabs > Math.floor(g.cpuPartialSlabs / 2)) break;
      const slab = this.nodeHead;
      if (slab === NIL) break;
      this.removePartial(slab);
      available += (this.slabObjects[slab] as number) - (this.slabLive[slab] as number);
      this.putCpuPartial(slab, false);
      partialSlabs++;
    }
  }

  /** put_cpu_partial: push on the per-CPU partial list, first unfreezing it when it is over its limit. */
  private putCpuPartial(slab: number, drain: boolean): void {
    const g = this.geometry;
    let head = this.cpuPartialHead;
    let pobjects = 0;
    let pslabs = 0;
    if (head !== NIL) {
      pobjects = this.slabPobjects[head] as number;
      pslabs = this.slabPslabs[head] as number;
      const over = g.cpuPartialForm === "objects" ? pobjects > g.cpuPartial : pslabs >= g.cpuPartialSlabs;
      if (drain && over) {
        this.st.cpuPartialDrain++;
        // 4.19 unfreezes before pushing; v5.16+ pushes onto an empty list and unfreezes the old one after.
        this.cpuPartialHead = NIL;
        this.unfreezePartials(head);
        head = NIL;
        pobjects = 0;
        pslabs = 0;
      }
    }
    this.slabPobjects[slab] = pobjects + (this.slabObjects[slab] as number) - (this.slabLive[slab] as number);
    this.slabPslabs[slab] = pslabs + 1;
    this.slabNext[slab] = head;
    this.slabState[slab] = S_CPU_PARTIAL;
    this.cpuPartialHead = slab;
  }

  /** unfreeze_partials: every listed slab goes to the node partial tail, or is discarded when empty. */
  private unfreezePartials(head: number): void {
    for (let slab = head; slab !== NIL; ) {
      const next = this.slabNext[slab] as number;
      if (this.slabLive[slab] === 0 && this.nrPartial >= this.geometry.minPartial) this.discardSlab(slab);
      else this.addPartial(slab, true);
      slab = next;
    }
  }

  /** deactivate_slab for the cpu slab: its cpu freelist goes back to the slab (reversed, as one by one). */
  private deactivateCpuSlab(): void {
    const slab = this.cpuSlab;
    if (slab === NIL) return;
    for (let slot = this.cpuFree; slot !== NIL; ) {
      const next = this.objNext[slot] as number;
      this.objNext[slot] = this.slabFree[slab] as number;
      this.slabFree[slab] = slot;
      slot = next;
    }
    this.cpuSlab = NIL;
    this.cpuFree = NIL;
    this.cpuSpan = 0;
    if (this.slabLive[slab] === 0 && this.nrPartial >= this.geometry.minPartial) this.discardSlab(slab);
    else if (this.slabFree[slab] !== NIL) this.addPartial(slab, false);
    else this.slabState[slab] = S_FULL;
  }

  /** flush_all (one CPU): deactivate the cpu slab, then unfreeze the per-CPU partials. */
  private flushAll(): void {
    this.deactivateCpuSlab();
    const head = this.cpuPartialHead;
    this.cpuPartialHead = NIL;
    this.unfreezePartials(head);
  }

  // ---- slab pages ------------------------------------------------------------------------------

  /** new_slab / allocate_slab: NIL when even the fallback order fails. */
  private newSlab(callerGfp: Gfp): number {
    let flags: number = callerGfp;
    // new_slab (4.19) / kmalloc_fix_flags (5.x+): warn with a stack dump, clear the bits, carry on.
    const fix = fixSlabGfp(callerGfp);
    if (fix !== null) {
      flags = fix.fixed;
      this.st.unexpectedGfp++;
      this.messages.push(fix.warning);
    }
    // Only reclaim-behaviour bits of the caller's gfp reach the page allocator (GFP_RECLAIM_MASK |
    // GFP_CONSTRAINT_MASK): its zone bits and __GFP_ZERO do not; the cache's allocflags choose the zone.
    flags = (flags & GFP_RECLAIM_MASK) | this.geometry.allocflags;
    const g = this.geometry;
    // Let the preferred order fail fast under pressure; a reclaiming caller loses reclaim for it.
    let first = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
    if ((first & __GFP_DIRECT_RECLAIM) !== 0 && g.order > g.minOrder) {
      first = (first | __GFP_NOMEMALLOC) & ~(__GFP_RECLAIM | __GFP_NOFAIL);
    }
    let order = g.order;
    let pa = this.pages.allocPages(first as Gfp, order, this.owner);
    if (pa === null) {
      order = g.minOrder;
      pa = this.pages.allocPages(flags as Gfp, order, this.owner);
      if (pa === null) return NIL;
      this.st.orderFallback++;
    }
    return this.setupSlab(pa, order);
  }

  private setupSlab(pa: number, order: number): number {
    let slab = this.unusedIds.pop();
    if (slab === undefined) {
      slab = this.nextId++;
      if (slab >= this.cap) this.grow(this.cap * 2);
    }
    const objects = Math.floor((PAGE_SIZE * 2 ** order) / this.size);
    this.slabBase[slab] = pa;
    this.slabOrder[slab] = order;
    this.slabObjects[slab] = objects;
    this.slabLive[slab] = 0;
    this.slabNext[slab] = NIL;
    this.slabPrev[slab] = NIL;
    // The freelist runs in address order (no CONFIG_SLAB_FREELIST_RANDOM).
    const base = slab * this.maxObjects;
    for (let i = 0; i < objects; i++) {
      this.objNext[base + i] = i + 1 < objects ? base + i + 1 : NIL;
      this.objLive[base + i] = 0;
    }
    this.slabFree[slab] = base;
    const pfn = Math.floor(pa / PAGE_SIZE);
    for (let i = 0; i < 2 ** order; i++) this.pfnToSlab.set(pfn + i, slab);
    const bytes = PAGE_SIZE * 2 ** order;
    const z = zoneIndex(this.pages.zoneOf(pa));
    this.slabZone[slab] = z;
    this.heldZone[z] = (this.heldZone[z] as number) + bytes;
    this.heldBytes += bytes;
    this.st.slabsAllocated++;
    return slab;
  }

  private discardSlab(slab: number): void {
    const order = this.slabOrder[slab] as number;
    const pa = this.slabBase[slab] as number;
    const pfn = Math.floor(pa / PAGE_SIZE);
    for (let i = 0; i < 2 ** order; i++) this.pfnToSlab.delete(pfn + i);
    const bytes = PAGE_SIZE * 2 ** order;
    const z = this.slabZone[slab] as number;
    this.heldZone[z] = (this.heldZone[z] as number) - bytes;
    this.heldBytes -= bytes;
    this.slabState[slab] = S_UNUSED;
    this.unusedIds.push(slab);
    this.st.slabsFreed++;
    this.pages.freePages(pa, order);
  }

  private addPartial(slab: number, tail: boolean): void {
    this.slabState[slab] = S_NODE_PARTIAL;
    if (this.nodeHead === NIL) {
      this.slabNext[slab] = NIL;
      this.slabPrev[slab] = NIL;
      this.nodeHead = this.nodeTail = slab;
    } else if (tail) {
      this.slabPrev[slab] = this.nodeTail;
      this.slabNext[slab] = NIL;
      this.slabNext[this.nodeTail] = slab;
      this.nodeTail = slab;
    } else {
      this.slabNext[slab] = this.nodeHead;
      this.slabPrev[slab] = NIL;
      this.slabPrev[this.nodeHead] = slab;
      this.nodeHead = slab;
    }
    this.nrPartial++;
  }

  private removePartial(slab: number): void {
    const prev = this.slabPrev[slab] as number;
    const next = this.slabNext[slab] as number;
    if (prev === NIL) this.nodeHead = next;
    else this.slabNext[prev] = next;
    if (next === NIL) this.nodeTail = prev;
    else this.slabPrev[next] = prev;
    this.slabNext[slab] = NIL;
    this.slabPrev[slab] = NIL;
    this.nrPartial--;
  }

  private grow(cap: number): void {
    const copy = <T extends Float64Array | Uint8Array | Uint16Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const n = make(cap);
      n.set(old as never);
      return n;
    };
    this.slabBase = copy(this.slabBase, (n) => new Float64Array(n));
    this.slabOrder = copy(this.slabOrder, (n) => new Uint8Array(n));
    this.slabObjects = copy(this.slabObjects, (n) => new Uint16Array(n));
    this.slabLive = copy(this.slabLive, (n) => new Uint16Array(n));
    this.slabFree = copy(this.slabFree, (n) => new Int32Array(n));
    this.slabState = copy(this.slabState, (n) => new Uint8Array(n));
    this.slabNext = copy(this.slabNext, (n) => new Int32Array(n));
    this.slabPrev = copy(this.slabPrev, (n) => new Int32Array(n));
    this.slabZone = copy(this.slabZone, (n) => new Uint8Array(n));
    this.slabPobjects = copy(this.slabPobjects, (n) => new Int32Array(n));
    this.slabPslabs = copy(this.slabPslabs, (n) => new Int32Array(n));
    const slots = cap * this.maxObjects;
    const objNext = new Int32Array(slots);
    objNext.set(this.objNext);
    this.objNext = objNext;
    const objLive = new Uint8Array(slots);
    objLive.set(this.objLive);
    this.objLive = objLive;
    this.cap = cap;
  }

  // ---- shrink, destroy, reporting ----------------------------------------------------------------

  /**
   * kmem_cache_shrink: flush the cpu slab and per-CPU partials, free every empty slab on the node partial
   * list whatever min_partial says, and sort the rest fullest first. Returns the number of slabs freed.
   */
  shrink(): number {
    this.checkLive("shrink");
    const before = this.st.slabsFreed;
    this.flushAll();
    const promote: number[][] = Array.from({ length: SHRINK_PROMOTE_MAX }, () => []);
    const rest: number[] = [];
    for (let slab = this.nodeHead; slab !== NIL; slab = this.slabNext[slab] as number) {
      const free = (this.slabObjects[slab] as number) - (this.slabLive[slab] as number);
      if (free === this.slabObjects[slab]) continue;
      // list_move adds at the head of each promote list, so equal-fullness slabs come out reversed.
      if (free <= SHRINK_PROMOTE_MAX) (promote[free - 1] as number[]).unshift(slab);
      else rest.push(slab);
    }
    const empties: number[] = [];
    for (let slab = this.nodeHead; slab !== NIL; slab = this.slabNext[slab] as number) {
      if (this.slabLive[slab] === 0) empties.push(slab);
    }
    this.nodeHead = this.nodeTail = NIL;
    this.nrPartial = 0;
    for (const list of promote) for (const slab of list) this.addPartial(slab, true);
    for (const slab of rest) this.addPartial(slab, true);
    for (const slab of empties) this.discardSlab(slab);
    return this.st.slabsFreed - before;
  }

  /**
   * kmem_cache_destroy. __kmem_cache_shutdown first runs flush_all and free_partial, which discards every
   * EMPTY slab on the node partial list (collected with list_add, so in reverse list order) and reports
   * the others; with objects left it fails, kmem_cache_destroy prints "kmem_cache_destroy %s: Slab cache
   * still has objects" and the cache stays usable (nojick/test419 968c1392:mm/slub.c free_partial,
   * __kmem_cache_shutdown; mm/slab_common.c kmem_cache_destroy). Here that failure is a RangeError naming
   * the cache and one live object, thrown after the empty slabs went back to the page allocator.
   */
  destroy(): void {
    this.checkLive("destroy");
    this.flushAll();
    if (this.liveObjects > 0) {
      const discard: number[] = [];
      for (let slab = this.nodeHead; slab !== NIL; slab = this.slabNext[slab] as number) {
        if (this.slabLive[slab] === 0) discard.unshift(slab);
      }
      for (const slab of discard) {
        this.removePartial(slab);
        this.discardSlab(slab);
      }
      const pa = this.firstLiveObject();
      throw new RangeError(`kmem_cache_destroy ${this.name}: Slab cache still has objects (${this.liveObjects} remaining, e.g. ${fmt(pa)})`);
    }
    for (let slab = this.nodeHead; slab !== NIL; ) {
      const next = this.slabNext[slab] as number;
      this.discardSlab(slab);
      slab = next;
    }
    this.nodeHead = this.nodeTail = NIL;
    this.nrPartial = 0;
    this.destroyed = true;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Bytes of slab pages held from the page allocator versus bytes of live objects (object_size each). */
  usage(): Usage {
    const heldByZone = new ZoneBytes();
    ZONES.forEach((z, i) => heldByZone.add(z, this.heldZone[i] as number));
    return { heldBytes: this.heldBytes, inUseBytes: this.liveObjects * this.objectSize, heldByZone: heldByZone.toRecord() };
  }

  counts(): SlabCounts {
    let slabs = 0;
    let objects = 0;
    let empty = 0;
    let cpuPartial = 0;
    for (let s = 0; s < this.nextId; s++) {
      const st = this.slabState[s];
      if (st === S_UNUSED) continue;
      slabs++;
      objects += this.slabObjects[s] as number;
      if (this.slabLive[s] === 0) empty++;
      if (st === S_CPU_PARTIAL) cpuPartial++;
    }
    return {
      slabs,
      objects,
      liveObjects: this.liveObjects,
      nodePartial: this.nrPartial,
      cpuPartial,
      cpuSlab: this.cpuSlab !== NIL,
      emptySlabs: empty,
    };
  }

  stats(): SlabStats {
    return { ...this.st };
  }

  /**
   * One /proc/slabinfo line as SLUB's get_slabinfo fills it: free objects are counted on the node
   * partial list only, so free objects in the cpu slab and per-CPU partials show as active.
   */
  slabinfo(): string {
    const r = this.slabinfoRow();
    const pad = (n: number, w: number): string => String(n).padStart(w);
    return (
      `${r.name.padEnd(17)} ${pad(r.activeObjs, 6)} ${pad(r.numObjs, 6)} ${pad(r.objSize, 6)} ${pad(r.objPerSlab, 4)} ${pad(r.pagesPerSlab, 4)}` +
      ` : tunables ${pad(0, 4)} ${pad(0, 4)} ${pad(0, 4)} : slabdata ${pad(r.activeSlabs, 6)} ${pad(r.numSlabs, 6)} ${pad(0, 6)}`
    );
  }

  /** The /proc/slabinfo columns as numbers (what `slabinfo()` prints). */
  slabinfoRow(): SlabinfoRow {
    let numSlabs = 0;
    let numObjs = 0;
    for (let s = 0; s < this.nextId; s++) {
      if (this.slabState[s] === S_UNUSED) continue;
      numSlabs++;
      numObjs += this.slabObjects[s] as number;
    }
    let nodeFree = 0;
    for (let s = this.nodeHead; s !== NIL; s = this.slabNext[s] as number) {
      nodeFree += (this.slabObjects[s] as number) - (this.slabLive[s] as number);
    }
    const g = this.geometry;
    // SLUB's get_slabinfo counts node-partial free objects only, so cpu slab free objects show as active.
    return {
      name: this.name,
      activeObjs: numObjs - nodeFree,
      numObjs,
      objSize: g.size,
      objPerSlab: g.objects,
      pagesPerSlab: 2 ** g.order,
      activeSlabs: numSlabs,
      numSlabs,
    };
  }

  /** Kernel messages logged since the last call. */
  drainMessages(): string[] {
    const m = this.messages;
    this.messages = [];
    return m;
  }

  /** Physical addresses of the live objects, lowest first (for "whose memory" questions and tests). */
  liveObjectAddresses(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.nextId; s++) {
      if (this.slabState[s] === S_UNUSED) continue;
      const base = s * this.maxObjects;
      for (let i = 0; i < (this.slabObjects[s] as number); i++) {
        if (this.objLive[base + i] === 1) out.push((this.slabBase[s] as number) + i * this.size);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** The slab (base and order) holding `pa`, or null. */
  slabOf(pa: number): { readonly base: number; readonly order: number; readonly objects: number; readonly live: number } | null {
    const s = this.pfnToSlab.get(Math.floor(pa / PAGE_SIZE));
    if (s === undefined) return null;
    return { base: this.slabBase[s] as number, order: this.slabOrder[s] as number, objects: this.slabObjects[s] as number, live: this.slabLive[s] as number };
  }

  private firstLiveObject(): number {
    return this.liveObjectAddresses()[0] ?? 0;
  }

  private slabOutOfMemory(gfp: Gfp): void {
    const g = this.geometry;
    const c = this.counts();
    let nodeFree = 0;
    for (let s = this.nodeHead; s !== NIL; s = this.slabNext[s] as number) {
      nodeFree += (this.slabObjects[s] as number) - (this.slabLive[s] as number);
    }
    this.messages.push(
      `SLUB: Unable to allocate memory on node -1, gfp=${gfpNames(gfp)}`,
      `  cache: ${this.name}, object size: ${g.objectSize}, buffer size: ${g.size}, default order: ${g.order}, min order: ${g.minOrder}`,
      `  node 0: slabs: ${c.slabs}, objs: ${c.objects}, free: ${nodeFree}`,
    );
  }

  private checkLive(op: string): void {
    if (this.destroyed) throw new RangeError(`kmem_cache ${this.name}: ${op} after kmem_cache_destroy`);
  }
}

const ZONES: readonly ZoneName[] = ["DMA", "DMA32", "NORMAL"];

function zoneIndex(z: ZoneName | null): number {
  return z === "DMA" ? 0 : z === "DMA32" ? 1 : 2;
}

function fmt(pa: number): string {
  return Number.isFinite(pa) ? hex(pa) : String(pa);
}
