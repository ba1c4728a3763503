// SPDX-License-Identifier: GPL-2.0-only
/**
 * page_frag_cache (mm/page_alloc.c page_frag_alloc in ≤ v6.12, mm/page_frag_cache.c from v6.13: the
 * file move 65941f10caf2 was applied on 2024-11-11): carves
 * fragments out of one compound page, counting references in bulk.
 *
 * Refill: an order-3 (PAGE_FRAG_CACHE_MAX_SIZE, 32 KiB) compound page with
 * gfp|__GFP_COMP|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC (newer: minus __GFP_DIRECT_RECLAIM), else an
 * order-0 page with the caller's gfp. The page's refcount is raised in one go and the cache keeps the
 * references it has not handed out in pagecnt_bias; each fragment owns one reference.
 * When a page is used up: if every fragment is already freed (page_ref_sub_and_test(bias) hits 0) the
 * same page is recycled, otherwise the page is abandoned to its fragments and a new one is allocated. A
 * page goes back to the page allocator only when its last reference goes (page_frag_free), so one live
 * 1 KiB fragment pins a whole 32 KiB block, and freed space inside a page is never reused on its own.
 *
 * Direction by era (`era.pageFragDirection`): "down" hands out offsets from the top of the page
 * (offset = size - fragsz first), "up" from 0 with ALIGN for the requested alignment (Yunsheng Lin's
 * refactor). Bias form by era (`era.mm.pageFragBias`): `size` references as released in 4.19, PAGE_FRAG_CACHE_MAX_SIZE
 * + 1 from v5.1 (2c2ade81741c, 8644772637de).
 *
 * Zeroing caveat: __GFP_ZERO reaches the page allocator only on a refill. A recycled page is NOT
 * re-zeroed, so a fragment from it holds whatever the previous fragment's user left there, even when the
 * caller passed __GFP_ZERO (the v3 page_frag RFC for v7s relied on __GFP_ZERO; this is its hazard).
 * pfmemalloc pages (memory reserves) are not modelled.
 */
import { isPowerOfTwo, PAGE_SIZE } from "../core/bits.ts";
import type { Era } from "../core/era.ts";
import { hex } from "../core/format.ts";
import { __GFP_COMP, __GFP_DIRECT_RECLAIM, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, type Gfp } from "./gfp.ts";
import { type PageSource, type Usage, ZoneBytes, type ZoneName } from "./page-source.ts";

export const PAGE_FRAG_CACHE_MAX_ORDER = 3;
export const PAGE_FRAG_CACHE_MAX_SIZE = PAGE_SIZE << PAGE_FRAG_CACHE_MAX_ORDER;

/** What page_frag needs beyond alloc/free: compound-page refcounts on the head page. */
export interface CompoundPageSource extends PageSource {
  /** get_page. */
  getPage(pa: number): void;
  /** put_page: true when the count hit zero and the block was freed. */
  putPage(pa: number): boolean;
  pageRefAdd(pa: number, n: number): void;
  /** page_ref_sub_and_test: true at zero; the caller then reuses or frees the block. */
  pageRefSubAndTest(pa: number, n: number): boolean;
  pageCount(pa: number): number;
  setPageCount(pa: number, n: number): void;
}

export interface PageFragStats {
  readonly refills: number;
  readonly refillsOrder0: number;
  readonly recycles: number;
  readonly abandoned: number;
  readonly blocksFreed: number;
  readonly allocFailures: number;
}

interface Block {
  readonly head: number;
  readonly order: number;
  readonly zone: ZoneName | null;
  /** Fragments handed out from this block and not yet freed (for accounting; the refcount is the truth). */
  live: number;
}

export class PageFragCache {
  private readonly pages: CompoundPageSource;
  private readonly owner: string;
  private readonly down: boolean;
  private readonly biasMaxPlusOne: boolean;
  private readonly noDirectReclaim: boolean;
  /** The current page (nc->va), or null. */
  private cur: Block | null = null;
  private size = 0;
  private offset = 0;
  private pagecntBias = 0;
  /** Every block this cache allocated whose last reference has not gone yet, by head address. */
  private readonly blocks = new Map<number, Block>();
  private liveBytes = 0;
  /** Fragment start → its size, for accounting and misuse checks (the kernel keeps neither). */
  private readonly fragments = new Map<number, number>();
  private st = { refills: 0, refillsOrder0: 0, recycles: 0, abandoned: 0, blocksFreed: 0, allocFailures: 0 };

  constructor(pages: CompoundPageSource, era: Era, owner = "page_frag") {
    this.pages = pages;
    this.owner = owner;
    this.down = era.pageFragDirection === "down";
    this.biasMaxPlusOne = era.mm.pageFragBias === "max+1";
    this.noDirectReclaim = era.mm.pageFragRefillNoDirectReclaim;
  }

  /**
   * page_frag_alloc(_align): a fragment's physical address, or null. `align` (a power of two) applies in
   * the "up" direction only, as __page_frag_alloc_align's align_mask does; "down" rounds the offset down.
   */
  alloc(fragsz: number, gfp: Gfp, align = 1): number | null {
    if (!Number.isInteger(fragsz) || fragsz < 1 || fragsz > PAGE_FRAG_CACHE_MAX_SIZE) {
      throw new RangeError(`page_frag_alloc(${this.owner}): fragment size ${fragsz} is outside 1..${PAGE_FRAG_CACHE_MAX_SIZE}`);
    }
    if (!isPowerOfTwo(align)) {
      throw new RangeError(`page_frag_alloc(${this.owner}): alignment ${align} is not a power of two`);
    }
    if (this.cur === null && !this.refill(gfp)) return null;
    let cur = this.cur as Block;
    let offset: number;
    if (this.down) {
      offset = Math.floor((this.offset - fragsz) / align) * align;
      if (offset < 0) {
        if (!this.pages.pageRefSubAndTest(cur.head, this.pagecntBias)) {
          this.abandon();
          if (!this.refill(gfp)) return null;
          cur = this.cur as Block;
          offset = this.size - fragsz;
        } else {
          this.recycle(cur);
          offset = this.size - fragsz;
        }
      }
    } else {
      offset = Math.ceil(this.offset / align) * align;
      if (offset + fragsz > this.size) {
        if (fragsz > PAGE_SIZE) {
          // The newest code refuses fragments bigger than a page once the current one is exhausted.
          this.st.allocFailures++;
          return null;
        }
        if (!this.pages.pageRefSubAndTest(cur.head, this.pagecntBias)) {
          this.abandon();
          if (!this.refill(gfp)) return null;
          cur = this.cur as Block;
        } else {
          this.recycle(cur);
        }
        offset = 0;
      }
    }
    if (offset < 0 || offset + fragsz > this.size) {
      // An order-0 fallback page smaller than the fragment: the kernel would hand out memory past the
      // page; the model refuses instead.
      throw new RangeError(`page_frag_alloc(${this.owner}): fragment of ${fragsz} bytes does not fit the ${this.size}-byte page`);
    }
    this.pagecntBias--;
    this.offset = this.down ? offset : offset + fragsz;
    const pa = cur.head + offset;
    cur.live++;
    this.fragments.set(pa, fragsz);
    this.liveBytes += fragsz;
    return pa;
  }

  /** page_frag_free: one put on the head page; the block returns to the buddy at its last reference. */
  free(pa: number): void {
    const fragsz = this.fragments.get(pa);
    if (fragsz === undefined) {
      throw new RangeError(`page_frag_free(${this.owner}, ${hex(pa)}): not a live fragment of this cache (double free?)`);
    }
    const block = this.blockOf(pa);
    this.fragments.delete(pa);
    this.liveBytes -= fragsz;
    block.live--;
    if (this.pages.putPage(block.head)) this.forget(block);
  }

  /** page_frag_cache_drain: drop the cache's own (bias) references to the current page. */
  drain(): void {
    const cur = this.cur;
    if (cur === null) return;
    this.cur = null;
    if (this.pages.pageRefSubAndTest(cur.head, this.pagecntBias)) {
      this.pages.freePages(cur.head, cur.order);
      this.forget(cur);
    }
    this.pagecntBias = 0;
  }

  /** Bytes of blocks not yet returned to the page allocator versus bytes of live fragments. */
  usage(): Usage {
    let held = 0;
    const heldByZone = new ZoneBytes();
    for (const b of this.blocks.values()) {
      const bytes = PAGE_SIZE << b.order;
      held += bytes;
      heldByZone.add(b.zone, bytes);
    }
    return { heldBytes: held, inUseBytes: this.liveBytes, heldByZone: heldByZone.toRecord() };
  }

  stats(): PageFragStats {
    return { ...this.st };
  }

  /** The current page, its size, offset and bias (nc->va, nc->size, nc->offset, nc->pagecnt_bias). */
  state(): { readonly page: number | null; readonly size: number; readonly offset: number; readonly pagecntBias: number } {
    return { page: this.cur?.head ?? null, size: this.size, offset: this.offset, pagecntBias: this.pagecntBias };
  }

  /** Blocks held: the current page plus abandoned pages that still have live fragments. */
  heldBlocks(): { readonly head: number; readonly order: number; readonly liveFragments: number; readonly current: boolean }[] {
    return [...this.blocks.values()].map((b) => ({ head: b.head, order: b.order, liveFragments: b.live, current: b === this.cur }));
  }

  private refill(gfp: Gfp): boolean {
    let flags: number = gfp;
    if (this.noDirectReclaim) flags &= ~__GFP_DIRECT_RECLAIM;
    flags |= __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC;
    let order = PAGE_FRAG_CACHE_MAX_ORDER;
    let pa = this.pages.allocPages(flags as Gfp, order, this.owner);
    if (pa === null) {
      order = 0;
      pa = this.pages.allocPages(gfp, 0, this.owner);
      if (pa === null) {
        this.st.allocFailures++;
        return false;
      }
      this.st.refillsOrder0++;
    }
    this.st.refills++;
    const block: Block = { head: pa, order, zone: this.pages.zoneOf(pa), live: 0 };
    this.blocks.set(pa, block);
    this.cur = block;
    this.size = PAGE_SIZE << order;
    if (this.biasMaxPlusOne) {
      this.pages.pageRefAdd(pa, PAGE_FRAG_CACHE_MAX_SIZE);
      this.pagecntBias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
    } else {
      this.pages.pageRefAdd(pa, this.size - 1);
      this.pagecntBias = this.size;
    }
    this.offset = this.down ? this.size : 0;
    return true;
  }

  /** Every fragment is gone and the count reached 0: reuse the page as if freshly refilled (no zeroing). */
  private recycle(cur: Block): void {
    const bias = this.biasMaxPlusOne ? PAGE_FRAG_CACHE_MAX_SIZE + 1 : this.size;
    this.pages.setPageCount(cur.head, bias);
    this.pagecntBias = bias;
    this.st.recycles++;
  }

  /** The page stays allocated, owned by its live fragments only. */
  private abandon(): void {
    this.st.abandoned++;
    this.cur = null;
    this.pagecntBias = 0;
  }

  private forget(block: Block): void {
    this.blocks.delete(block.head);
    this.st.blocksFreed++;
    if (this.cur === block) this.cur = null;
  }

  private blockOf(pa: number): Block {
    const big = this.blocks.get(Math.floor(pa / PAGE_FRAG_CACHE_MAX_SIZE) * PAGE_FRAG_CACHE_MAX_SIZE);
    if (big !== undefined && big.order === PAGE_FRAG_CACHE_MAX_ORDER) return big;
    const small = this.blocks.get(Math.floor(pa / PAGE_SIZE) * PAGE_SIZE);
    if (small !== undefined && small.order === 0) return small;
    throw new RangeError(`page_frag_free(${this.owner}, ${hex(pa)}): no block of this cache holds the address`);
  }
}
