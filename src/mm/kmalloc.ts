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
 * kmalloc(0) returns ZERO_SIZE_PTR (16), as the kernel does; kfree of NULL or ZERO_SIZE_PTR is a no-op.
 * The smallest cache follows arm64's ARCH_KMALLOC_MINALIGN per era (era-mm.ts): kmalloc-128 up to v6.4,
 * kmalloc-8 after. dma-kmalloc-N caches are created on first use (the kernel creates them at boot;
 * an empty cache holds no pages, so nothing observable differs).
 */
import type { Era } from "../core/era.ts";
import { hex } from "../core/u32.ts";
import { __GFP_COMP, __GFP_NOWARN, __GFP_ZERO, GFP_DMA, GFP_SLAB_BUG_MASK, gfpNames, NO_GFP, type Gfp } from "./gfp.ts";
import type { PageSource, Usage, ZoneName } from "./page-source.ts";
import { PAGE_SIZE, SLAB_CACHE_DMA, SlabCache } from "./slub.ts";

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
  private readonly byOwner = new Map<string, SlabCache>();
  private readonly large = new Map<number, number>();
  private largeHeld = 0;
  private largeInUse = 0;
  private readonly largeZone: Partial<Record<ZoneName, number>> = {};
  private messages: string[] = [];

  constructor(opts: KmallocOptions) {
    this.pages = opts.pages;
    this.cpus = opts.cpus;
    this.era = opts.era;
    const minAlign = opts.minAlign ?? opts.era.mm.kmallocMinAlign;
    if (!Number.isInteger(minAlign) || minAlign < 8 || (minAlign & (minAlign - 1)) !== 0 || minAlign > 256) {
      throw new RangeError(`kmalloc: ARCH_KMALLOC_MINALIGN ${minAlign} is not a power of two in 8..256`);
    }
    this.minAlign = minAlign;
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
    const cs = this.cacheSizeFor(size);
    if (cs === null) return this.kmallocLarge(size, gfp);
    const cache = (gfp & GFP_DMA) !== 0 && this.era.mm.kmallocDmaCaches ? this.dmaCache(cs) : (this.normal.get(cs) as SlabCache);
    return cache.alloc(gfp);
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
      const z = this.pages.zoneOf(pa);
      if (z !== null) this.largeZone[z] = (this.largeZone[z] ?? 0) - bytes;
      this.pages.freePages(pa, order);
      return;
    }
    throw new RangeError(`kfree(${hex(pa)}): not a live kmalloc allocation (page owner ${owner ?? "none (free)"})`);
  }

  /** Every cache created so far (kmalloc-N, then dma-kmalloc-N). */
  caches(): SlabCache[] {
    return [...this.normal.values(), ...this.dma.values()];
  }

  usage(): Usage {
    let held = this.largeHeld;
    let inUse = this.largeInUse;
    const heldByZone: Partial<Record<ZoneName, number>> = {};
    const add = (z: ZoneName, b: number): void => {
      if (b !== 0) heldByZone[z] = (heldByZone[z] ?? 0) + b;
    };
    for (const [z, b] of Object.entries(this.largeZone) as [ZoneName, number][]) add(z, b);
    for (const c of this.caches()) {
      const u = c.usage();
      held += u.heldBytes;
      inUse += u.inUseBytes;
      for (const [z, b] of Object.entries(u.heldByZone) as [ZoneName, number][]) add(z, b);
    }
    return { heldBytes: held, inUseBytes: inUse, heldByZone };
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

  private dmaCache(size: number): SlabCache {
    let c = this.dma.get(size);
    if (c === undefined) {
      c = this.makeCache(`dma-kmalloc-${sizeName(size)}`, size, SLAB_CACHE_DMA);
      this.dma.set(size, c);
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
    if ((flags & GFP_SLAB_BUG_MASK) !== 0) {
      // kmalloc_order checks the mask too since v5.9 (kmalloc_fix_flags); 4.19 passed it through.
      const invalid = (flags & GFP_SLAB_BUG_MASK) as Gfp;
      flags &= ~GFP_SLAB_BUG_MASK;
      this.messages.push(`Unexpected gfp: ${gfpNames(invalid)}. Fixing up to gfp: ${gfpNames(flags as Gfp)}. Fix your code!`);
    }
    let order = 0;
    while (PAGE_SIZE * 2 ** order < size) order++;
    if (order >= this.era.buddyOrders) {
      // __alloc_pages refuses order >= MAX_ORDER with a one-time warning unless __GFP_NOWARN.
      if ((gfp & __GFP_NOWARN) === 0) this.messages.push(`kmalloc: order ${order} (${size} bytes) >= MAX_ORDER ${this.era.buddyOrders}: WARNING in __alloc_pages`);
      return null;
    }
    const pa = this.pages.allocPages((flags | __GFP_COMP) as Gfp, order, LARGE_OWNER);
    if (pa === null) return null;
    const bytes = PAGE_SIZE * 2 ** order;
    this.large.set(pa, order);
    this.largeHeld += bytes;
    this.largeInUse += bytes;
    const z = this.pages.zoneOf(pa);
    if (z !== null) this.largeZone[z] = (this.largeZone[z] ?? 0) + bytes;
    return pa;
  }
}

function sizeName(size: number): string {
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024}k` : String(size);
}
