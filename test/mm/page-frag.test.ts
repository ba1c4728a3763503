// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { era, type EraName } from "../../src/core/era.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { __GFP_ZERO, GFP_ATOMIC, GFP_DMA32, GFP_KERNEL, gfp } from "../../src/mm/gfp.ts";
import { PAGE_FRAG_CACHE_MAX_SIZE, PageFragCache } from "../../src/mm/page-frag.ts";
import { bootBuddy, bootTiny, freeSnapshot } from "./boot.ts";

const K = 1024;
const G = gfp(GFP_ATOMIC, __GFP_ZERO, GFP_DMA32);

function cache(eraName: EraName = "v4.19"): { b: BuddyAllocator; f: PageFragCache } {
  const b = bootBuddy("mt8173-elm-4g", eraName);
  return { b, f: new PageFragCache(b, era(eraName)) };
}

describe("page_frag refill and refcounts", () => {
  it("refills with a 32 KiB compound page; 4.19 bias = size, page count = size", () => {
    const { b, f } = cache();
    const pa = f.alloc(K, G) as number;
    const page = f.state().page as number;
    assert.equal(page % PAGE_FRAG_CACHE_MAX_SIZE, 0);
    assert.ok(b.isCompound(page));
    assert.equal(b.pageCount(page), 32768);
    assert.equal(f.state().pagecntBias, 32767);
    assert.equal(pa, page + 31 * K, "4.19 hands out from the top down");
    assert.equal(b.zoneOf(pa), "DMA32");
  });

  it("v6.6 bias is PAGE_FRAG_CACHE_MAX_SIZE + 1 (2c2ade81741c), still top-down", () => {
    const { b, f } = cache("v6.6");
    const pa = f.alloc(K, G) as number;
    const page = f.state().page as number;
    assert.equal(b.pageCount(page), 32769);
    assert.equal(f.state().pagecntBias, 32768);
    assert.equal(pa, page + 31 * K);
  });

  it("latest hands out from 0 upwards, with alignment", () => {
    const { f } = cache("latest");
    const a = f.alloc(100, G) as number;
    const page = f.state().page as number;
    assert.equal(a, page);
    assert.equal(f.alloc(K, G, K), page + K, "ALIGN(100, 1024)");
  });

  it("falls back to an order-0 page (4 fragments of 1 KiB) when no order-3 block exists", () => {
    const b = bootTiny();
    const pages: number[] = [];
    for (let pa = b.allocPages(GFP_KERNEL, 0, "x"); pa !== null; pa = b.allocPages(GFP_KERNEL, 0, "x")) pages.push(pa);
    for (const pa of pages) if ((pa / 4096) % 2 === 1) b.freePages(pa, 0);
    const f = new PageFragCache(b, era("v4.19"));
    const frags = Array.from({ length: 5 }, () => f.alloc(K, G) as number);
    assert.equal(f.stats().refillsOrder0, 2);
    assert.equal(f.heldBlocks().length, 2);
    assert.equal(f.usage().heldBytes, 8192);
    assert.equal(frags[3], (frags[0] as number) - 3 * K);
  });
});

describe("page_frag holds a page until its last fragment goes", () => {
  it("32 fragments allocated and 31 freed still hold 32 KiB; freeing the last returns it", () => {
    const { b, f } = cache();
    const initial = freeSnapshot(b);
    const frags = Array.from({ length: 32 }, () => f.alloc(K, G) as number);
    const page = f.state().page as number;
    assert.equal(f.usage().heldBytes, 32 * K);
    f.drain();
    for (const pa of frags.slice(0, 31)) f.free(pa);
    assert.equal(f.usage().heldBytes, 32 * K);
    assert.equal(f.usage().inUseBytes, K);
    assert.equal(b.ownerOf(page), "page_frag");
    f.free(frags[31] as number);
    assert.equal(b.ownerOf(page), null);
    assert.equal(f.usage().heldBytes, 0);
    assert.equal(freeSnapshot(b), initial);
  });

  it("the 33rd fragment abandons the full page to its fragments; it returns when they are all freed", () => {
    const { b, f } = cache();
    const frags = Array.from({ length: 33 }, () => f.alloc(K, G) as number);
    const first = frags[0] as number;
    assert.equal(f.stats().abandoned, 1);
    assert.equal(f.usage().heldBytes, 64 * K);
    const firstPage = Math.floor(first / PAGE_FRAG_CACHE_MAX_SIZE) * PAGE_FRAG_CACHE_MAX_SIZE;
    assert.equal(b.pageCount(firstPage), 32, "one reference per live fragment, the bias is gone");
    for (const pa of frags.slice(0, 32)) f.free(pa);
    assert.equal(b.ownerOf(firstPage), null);
    assert.equal(f.usage().heldBytes, 32 * K);
  });

  it("recycles the page when every fragment is gone, without re-zeroing it despite __GFP_ZERO", () => {
    const { b, f } = cache();
    const frags = Array.from({ length: 32 }, () => f.alloc(K, G) as number);
    const top = frags[0] as number;
    b.phys.write32(top + 4, 0xdeadbeef);
    for (const pa of frags) f.free(pa);
    assert.equal(f.alloc(K, G), top, "same page, top fragment again");
    assert.equal(f.stats().recycles, 1);
    assert.equal(b.phys.read32(top + 4), 0xdeadbeef, "stale contents survive __GFP_ZERO");
    assert.equal(b.pageCount(top), 32768);
  });

  it("free of an unknown address or a double free is a RangeError", () => {
    const { f } = cache();
    const pa = f.alloc(K, G) as number;
    assert.throws(() => f.free(pa + 4), /not a live fragment/);
    f.free(pa);
    assert.throws(() => f.free(pa), /double free/);
    assert.throws(() => f.alloc(0, G), /fragment size 0/);
  });

  it("any sequence of allocs then freeing everything and a drain leaves the buddy as it was", () => {
    const b = bootBuddy();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 200 }), fc.constantFrom<EraName>("v4.19", "latest"), (ops, e) => {
        const initial = freeSnapshot(b);
        const f = new PageFragCache(b, era(e));
        const live: number[] = [];
        for (const [isAlloc, k] of ops) {
          if (isAlloc || live.length === 0) live.push(f.alloc(K, G) as number);
          else f.free(live.splice(k % live.length, 1)[0] as number);
          const u = f.usage();
          assert.ok(u.inUseBytes === live.length * K && u.heldBytes >= u.inUseBytes);
        }
        for (const pa of live) f.free(pa);
        f.drain();
        assert.equal(f.usage().heldBytes, 0);
        assert.equal(freeSnapshot(b), initial);
      }),
      { numRuns: 60, seed: 3 },
    );
  });
});
