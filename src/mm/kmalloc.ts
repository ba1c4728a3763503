// SPDX-License-Identifier: GPL-2.0-only
/**
 * kmalloc (mm/slab_common.c, mm/slub.c) over SlabCache: the kmalloc-N caches, the dma-kmalloc-N caches
 * for GFP_DMA where the era has CONFIG_ZONE_DMA (Era.mm.kmallocDmaCaches; elsewhere GFP_DMA kmalloc uses
 * kmalloc-N and the bit never reaches the page allocator), and the page-allocator path for sizes above KMALLOC_MAX_CACHE_SIZE (2 pages in SLUB).
 *
 * There are NO DMA32 kmalloc caches, as in the kernel: 6d6ea1e967a2 added SLAB_CACHE_DMA32 for
 * kmem_cache_create only. kmalloc(…, GFP_DMA32) is served by the plain kmalloc-N cache, and when that
 * needs a new slab page, new_slab reports "Unexpected gfp" and clears the bit: the memory may come from
 * anywhere GFP_KERNEL may.
 *
 * `dma32Caches` switches on the one hypothetical: a dma32-kmalloc-N array (SLAB_CACHE_DMA32) selected by
 * GFP_DMA32, the premise of Robin Murphy's kzalloc(SZ_1K, gfp | GFP_DMA32) suggestion (the kzalloc-dma32
 * strategy). GFP_DMA32 is then a cache selector, not a page zone bit, so it raises no "Unexpected gfp".
 *
 * kmalloc(0) returns ZERO_SIZE_PTR (16), as the kernel does; kfree of NULL or ZERO_SIZE_PTR is a no-op.
 * The smallest cache follows arm64's ARCH_KMALLOC_MINALIGN per era (`era.mm.kmallocMinAlign`): kmalloc-128 up to v6.4,
 * kmalloc-8 after. dma-kmalloc-N caches are created on first use (the kernel creates them at boot;
 * an empty cache holds no pages, so nothing observable differs).
 */
import { getOrder, isPowerOfTwo, PAGE_SIZE } from "../core/bits.ts";
import type { Era } from "../core/era.ts";
import { hex } from "../core/format.ts";
import { __GFP_COMP, __GFP_NOWARN, __GFP_ZERO, fixSlabGfp, GFP_DMA, GFP_DMA32, NO_GFP, type Gfp } from "./gfp.ts";
import { type PageSource, type Usage, ZoneBytes } from "./page-source.ts";
import { SLAB_CACHE_DMA, SLAB_CACHE_DMA32, SlabCache } from "./slub.ts";

/** include/linux/slab.h: ((void *)16). */
export const ZERO_SIZE_PTR = 16;
/** SLUB: KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1. */
export const KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE;
const LARGE_OWNER = "kmalloc-large";

export interface KmallocOptions {
  readonly pages: PageSource;
  readonly cpus: number;
  readonly era: Era;
  /** ARCH_KMALLOC_MINALIGN; defaults to arm64's for the era. */
  readonly minAlign?: number;
  /** Hypothetical DMA32 kmalloc caches, which no kernel has (see the file comment). Default false. */
  readonly dma32Caches?: boolean;
}

export class Kmalloc {
  private readonly pages: PageSource;
  private readonly cpus: number;
  private readonly era: Era;
  /** Cache object sizes, ascending: kmalloc-{minSize, [96], [192], …, 8k}. */
  readonly sizes: readonly number[];
  private readonly minAlign: number;
  private readonly normal = new Map<number, SlabCache>();
  private readonly dma = new Map<number, SlabCache>();
  private readonly dma32: Map<number, SlabCache> | null;
  private readonly byOwner = new Map<string, SlabCache>();
  private readonly large = new Map<number, number>();
  private largeHeld = 0;
  private largeInUse = 0;
  private readonly largeZone = new ZoneBytes();
  private messages: string[] = [];

  constructor(opts: KmallocOptions) {
    this.pages = opts.pages;
    this.cpus = opts.cpus;
    this.era = opts.era;
    const minAlign = opts.minAlign ?? opts.era.mm.kmallocMinAlign;
    if (!isPowerOfTwo(minAlign) || minAlign < 8 || minAlign > 256) {
      throw new RangeError(`kmalloc: ARCH_KMALLOC_MINALIGN ${minAlign} is not a power of two in 8..256`);
    }
    this.minAlign = minAlign;
    this.dma32 = opts.dma32Caches === true ? new Map() : null;
    const sizes: number[] = [];
    for (let s = minAlign; s <= KMALLOC_MAX_CACHE_SIZE; s *= 2) sizes.push(s);
    // kmalloc-96 and kmalloc-192 exist only when the minimum size leaves room for them.
    if (minAlign <= 32) sizes.push(96);
    if (minAlign <= 64) sizes.push(192);
    this.sizes = sizes.sort((a, b) => a - b);
    for (const s of this.sizes) this.normal.set(s, this.makeCache(`kmalloc-${sizeName(s)}`, s, 0));
  }

  /** The cache kmalloc would use for `size` bytes (kmalloc_index), or null above KMALLOC_MAX_CACHE_SIZE. */
  cacheSizeFor(size: number): number | null {
    if (size > KMALLOC_MAX_CACHE_SIZE) return null;
    for (const s of this.sizes) if (size <= s) return s;
    return null;
  }

  /** kmalloc: a physical address, ZERO_SIZE_PTR for size 0, or null. */
  kmalloc(size: number, gfp: Gfp = NO_GFP): number | null {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`kmalloc: size ${size} is not a non-negative integer`);
    if (size === 0) return ZERO_SIZE_PTR;
    const cache = this.cacheFor(size, gfp);
    if (cache === null) return this.kmallocLarge(size, gfp);
    // A DMA32 cache takes GFP_DMA32 as its selector; its SLAB_CACHE_DMA32 allocflags pick the zone.
    return cache.alloc((cache.flags & SLAB_CACHE_DMA32) !== 0 ? ((gfp & ~GFP_DMA32) as Gfp) : gfp);
  }

  /**
   * kmalloc_slab: the cache kmalloc(size, gfp) uses, created on first use for the DMA arrays; null above
   * KMALLOC_MAX_CACHE_SIZE (the page-allocator path). GFP_DMA wins over GFP_DMA32, as __GFP_DMA does in
   * kmalloc_type.
   */
  cacheFor(size: number, gfp: Gfp = NO_GFP): SlabCache | null {
    const cs = this.cacheSizeFor(size);
    if (cs === null) return null;
    // No dma-kmalloc caches where CONFIG_ZONE_DMA is off (4.16-5.4 arm64): GFP_DMA kmalloc uses kmalloc-N.
    if ((gfp & GFP_DMA) !== 0 && this.era.mm.kmallocDmaCaches) return this.arrayCache(this.dma, "dma-kmalloc", cs, SLAB_CACHE_DMA);
    if (this.dma32 !== null && (gfp & GFP_DMA32) !== 0) return this.arrayCache(this.dma32, "dma32-kmalloc", cs, SLAB_CACHE_DMA32);
    return this.normal.get(cs) as SlabCache;
  }

  /** kzalloc. */
  kzalloc(size: number, gfp: Gfp = NO_GFP): number | null {
    return this.kmalloc(size, (gfp | __GFP_ZERO) as Gfp);
  }

  /** kfree: finds the cache from the page's owner (page->slab_cache). Throws RangeError for a foreign address. */
  kfree(pa: number | null): void {
    if (pa === null || pa <= ZERO_SIZE_PTR) return;
    const owner = this.pages.ownerOf(pa);
    const cache = owner === null ? undefined : this.byOwner.get(owner);
    if (cache !== undefined) {
      cache.free(pa);
      return;
    }
    const order = this.large.get(pa);
    if (owner === LARGE_OWNER && order !== undefined) {
      this.large.delete(pa);
      const bytes = PAGE_SIZE * 2 ** order;
      this.largeHeld -= bytes;
      this.largeInUse -= bytes;
      this.largeZone.add(this.pages.zoneOf(pa), -bytes);
      this.pages.freePages(pa, order);
      return;
    }
    throw new RangeError(`kfree(${hex(pa)}): not a live kmalloc allocation (page owner ${owner ?? "none (free)"})`);
  }

  /** Every cache created so far (kmalloc-N, then dma-kmalloc-N, then any dma32-kmalloc-N). */
  caches(): SlabCache[] {
    return [...this.normal.values(), ...this.dma.values(), ...(this.dma32?.values() ?? [])];
  }

  usage(): Usage {
    let held = this.largeHeld;
    let inUse = this.largeInUse;
    const heldByZone = new ZoneBytes();
    heldByZone.addAll(this.largeZone.toRecord());
    for (const c of this.caches()) {
      const u = c.usage();
      held += u.heldBytes;
      inUse += u.inUseBytes;
      heldByZone.addAll(u.heldByZone);
    }
    return { heldBytes: held, inUseBytes: inUse, heldByZone: heldByZone.toRecord() };
  }

  drainMessages(): string[] {
    const out = this.messages;
    this.messages = [];
    for (const c of this.caches()) out.push(...c.drainMessages());
    return out;
  }

  /** kmem_cache_shrink on every kmalloc cache; the number of slabs freed. */
  shrinkAll(): number {
    let n = 0;
    for (const c of this.caches()) n += c.shrink();
    return n;
  }

  /**
   * kmem_cache_destroy of every cache, for a Kmalloc private to one user (the kernel's kmalloc caches
   * live forever). Throws RangeError, tearing nothing down, while any allocation is live.
   */
  destroy(): void {
    const busy = this.caches().find((c) => c.usage().inUseBytes > 0);
    if (busy !== undefined) busy.destroy();
    const [large] = this.large.keys();
    if (large !== undefined) throw new RangeError(`kmalloc: destroy with the large allocation at ${hex(large)} still live`);
    for (const c of this.caches()) c.destroy();
  }

  private arrayCache(array: Map<number, SlabCache>, prefix: string, size: number, flags: number): SlabCache {
    let c = array.get(size);
    if (c === undefined) {
      c = this.makeCache(`${prefix}-${sizeName(size)}`, size, flags);
      array.set(size, c);
    }
    return c;
  }

  private makeCache(name: string, size: number, flags: number): SlabCache {
    const c = new SlabCache(name, size, this.minAlign, flags, { pages: this.pages, cpus: this.cpus, era: this.era });
    this.byOwner.set(`slab:${name}`, c);
    return c;
  }

  /** kmalloc_large: whole compound pages straight from the page allocator. */
  private kmallocLarge(size: number, gfp: Gfp): number | null {
    let flags: number = gfp;
    // kmalloc_order checks the mask too since v5.9 (kmalloc_fix_flags); 4.19 passed it through.
    const fix = fixSlabGfp(gfp);
    if (fix !== null) {
      flags = fix.fixed;
      this.messages.push(fix.warning);
    }
    const order = getOrder(size);
    if (order >= this.era.buddyOrders) {
      // __alloc_pages refuses order >= MAX_ORDER with a one-time warning unless __GFP_NOWARN.
      if ((gfp & __GFP_NOWARN) === 0)
        this.messages.push(`kmalloc: order ${order} (${size} bytes) >= MAX_ORDER ${this.era.buddyOrders}: WARNING in __alloc_pages`);
      return null;
    }
    const pa = this.pages.allocPages((flags | __GFP_COMP) as Gfp, order, LARGE_OWNER);
    if (pa === null) return null;
    const bytes = PAGE_SIZE * 2 ** order;
    this.large.set(pa, order);
    this.largeHeld += bytes;
    this.largeInUse += bytes;
    this.largeZone.add(this.pages.zoneOf(pa), bytes);
    return pa;
  }
}

function sizeName(size: number): string {
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024}k` : String(size);
}
