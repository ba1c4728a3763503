// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { era, type EraName } from "../../src/core/era.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { __GFP_HIGHMEM, __GFP_NOWARN, __GFP_ZERO, GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, gfp, type Gfp } from "../../src/mm/gfp.ts";
import { calculateOrder, kmemCacheCreate, SLAB_CACHE_DMA, SLAB_CACHE_DMA32, type SlabCache } from "../../src/mm/slub.ts";
import { bootBuddy, bootTiny, freeSnapshot } from "./boot.ts";

const SZ_4G = 0x1_0000_0000;

function l2Cache(b: BuddyAllocator, cpus = 4, flags = SLAB_CACHE_DMA32, eraName: EraName = "v4.19"): SlabCache {
  return kmemCacheCreate("io-pgtable_armv7s_l2", 1024, 1024, flags, { pages: b, cpus, era: era(eraName) });
}

/** Leaves only isolated free pages (every even pfn allocated): no block of order >= 1 exists. */
function fragment(b: BuddyAllocator): void {
  const pages: number[] = [];
  for (;;) {
    const pa = b.allocPages(GFP_KERNEL, 0, "test-fragment");
    if (pa === null) break;
    pages.push(pa);
  }
  for (const pa of pages) if ((pa / 4096) % 2 === 1) b.freePages(pa, 0);
}

describe("SLUB geometry (calculate_order) for the 1 KiB, 1 KiB-aligned cache", () => {
  const cases: [number, number, number][] = [
    [1, 1, 8],
    [2, 2, 16],
    [4, 2, 16],
    [7, 2, 16],
    [8, 3, 32],
    [16, 3, 32],
    [64, 3, 32],
  ];
  for (const [cpus, order, objects] of cases) {
    it(`${cpus} CPU(s): order ${order}, ${objects} objects per slab`, () => {
      const c = l2Cache(bootTiny(), cpus);
      assert.equal(c.geometry.order, order);
      assert.equal(c.geometry.objects, objects);
      assert.equal(c.geometry.minOrder, 0);
      assert.equal(c.geometry.minObjects, 4);
      assert.equal(c.geometry.minPartial, 5);
      assert.equal(c.geometry.cpuPartial, 6);
      assert.equal(c.geometry.size, 1024);
    });
  }

  it("small and large objects follow the same rule (kmalloc-8 order 0, kmalloc-8k order 3 with 4 objects)", () => {
    assert.equal(calculateOrder(8, 4), 0);
    assert.equal(calculateOrder(8192, 4), 3);
    assert.equal(calculateOrder(96, 4), 0);
  });

  it("cpu_partial (v5.16+ defaults) is 24 objects for 1 KiB objects, cpu_partial_slabs DIV_ROUND_UP(24 * 2, objects)", () => {
    // lxdklp/linux-6.6.y 5fda8f9c:mm/slub.c set_cpu_partial / slub_set_cpu_partial.
    assert.equal(l2Cache(bootTiny(), 4, SLAB_CACHE_DMA32, "v6.6").geometry.cpuPartial, 24);
    assert.equal(l2Cache(bootTiny(), 4, SLAB_CACHE_DMA32, "v6.6").geometry.cpuPartialSlabs, 3);
    assert.equal(l2Cache(bootTiny(), 1, SLAB_CACHE_DMA32, "v6.6").geometry.cpuPartialSlabs, 6);
    assert.equal(l2Cache(bootTiny(), 4, SLAB_CACHE_DMA32, "latest").geometry.cpuPartialSlabs, 3);
    assert.equal(l2Cache(bootTiny(), 4, SLAB_CACHE_DMA32, "v4.19").geometry.cpuPartial, 6);
    assert.equal(l2Cache(bootTiny(), 4, SLAB_CACHE_DMA32, "v6.6").geometry.cpuPartialForm, "slabs");
    assert.equal(l2Cache(bootTiny(), 4).geometry.cpuPartialForm, "objects");
  });

  it("rejects sizes, alignments and flag pairs the kernel refuses", () => {
    const b = bootTiny();
    const env = { pages: b, cpus: 4, era: era("v4.19") };
    assert.throws(() => kmemCacheCreate("x", 0, 8, 0, env), /object size 0/);
    assert.throws(() => kmemCacheCreate("x", 64, 48, 0, env), /alignment 48/);
    assert.throws(() => kmemCacheCreate("x", 64, 8, SLAB_CACHE_DMA | SLAB_CACHE_DMA32, env), /together/);
  });
});

describe("SLUB slabs and the page allocator", () => {
  it("one object on elm v4.19 with 4 CPUs holds one 16 KiB DMA32 slab", () => {
    const b = bootBuddy();
    const c = l2Cache(b);
    const pa = c.alloc(GFP_ATOMIC);
    assert.ok(pa !== null && pa < SZ_4G);
    assert.deepEqual(c.usage(), { heldBytes: 16384, inUseBytes: 1024, heldByZone: { DMA32: 16384 } });
    assert.equal(b.ownerOf(pa), "slab:io-pgtable_armv7s_l2");
    assert.equal(pa % 1024, 0);
  });

  it("objects come out in address order from the slab start, 16 per slab, then a new slab", () => {
    const c = l2Cache(bootBuddy());
    const objs = Array.from({ length: 17 }, () => c.alloc(GFP_ATOMIC) as number);
    for (let i = 1; i < 16; i++) assert.equal(objs[i], (objs[0] as number) + i * 1024);
    assert.equal(c.usage().heldBytes, 32768);
    assert.equal(c.counts().slabs, 2);
  });

  it("falls back to order-0 slabs (4 objects) when no order-2 block is free", () => {
    const b = bootTiny();
    fragment(b);
    const c = l2Cache(b);
    const pa = c.alloc(GFP_ATOMIC);
    assert.ok(pa !== null);
    assert.deepEqual(c.slabOf(pa), { base: pa, order: 0, objects: 4, live: 1 });
    assert.equal(c.stats().orderFallback, 1);
    assert.equal(c.usage().heldBytes, 4096);
  });

  it("zeroes with __GFP_ZERO only", () => {
    const b = bootBuddy();
    const c = l2Cache(b);
    const pa = c.alloc(GFP_ATOMIC) as number;
    b.phys.write32(pa + 8, 0xdeadbeef);
    c.free(pa);
    assert.equal(c.alloc(GFP_ATOMIC), pa, "LIFO reuse of the cpu freelist");
    assert.equal(b.phys.read32(pa + 8), 0xdeadbeef);
    c.free(pa);
    assert.equal(c.alloc(gfp(GFP_ATOMIC, __GFP_ZERO)), pa);
    assert.equal(b.phys.read32(pa + 8), 0);
  });

  it("GFP_DMA32 on a slab allocation is 'Unexpected gfp': logged at new_slab, bit cleared, allocation proceeds", () => {
    const b = bootBuddy();
    const c = l2Cache(b, 4, 0);
    const pa = c.alloc(gfp(GFP_KERNEL, GFP_DMA32));
    assert.ok(pa !== null);
    assert.deepEqual(c.drainMessages(), ["Unexpected gfp: __GFP_DMA32. Fixing up to gfp: GFP_KERNEL. Fix your code!"]);
    assert.equal(b.zoneOf(pa), "NORMAL", "the fixed-up GFP_KERNEL allocation prefers ZONE_NORMAL, above 4 GiB on elm");
    assert.ok(pa >= SZ_4G);
    assert.ok(c.alloc(gfp(GFP_KERNEL, GFP_DMA32)) !== null);
    assert.deepEqual(c.drainMessages(), [], "served from the cpu slab: no new slab, no warning");
    assert.equal(c.stats().unexpectedGfp, 1);
  });

  it("the caller's zone bits never reach the page allocator: only the cache's allocflags pick the zone", () => {
    const b = bootBuddy("mt8173-elm-4g", "v4.14");
    const plain = l2Cache(b, 4, 0, "v4.14");
    const pa = plain.alloc(gfp(GFP_KERNEL, GFP_DMA)) as number;
    assert.equal(b.zoneOf(pa), "NORMAL", "GFP_DMA on a flags-0 cache is dropped (GFP_RECLAIM_MASK)");
    const dma = l2Cache(b, 4, SLAB_CACHE_DMA, "v4.14");
    assert.equal(b.zoneOf(dma.alloc(GFP_KERNEL) as number), "DMA");
    assert.deepEqual(plain.drainMessages(), []);
  });

  it("__GFP_HIGHMEM is 'Unexpected gfp' too", () => {
    const c = l2Cache(bootBuddy());
    assert.ok(c.alloc(gfp(GFP_ATOMIC, __GFP_HIGHMEM)) !== null);
    assert.deepEqual(c.drainMessages(), ["Unexpected gfp: __GFP_HIGHMEM. Fixing up to gfp: GFP_ATOMIC. Fix your code!"]);
  });

  it("an allocation failure returns null and logs SLUB's warning unless __GFP_NOWARN", () => {
    const b = bootTiny(1024 * 1024);
    const c = l2Cache(b);
    const got: number[] = [];
    for (;;) {
      const pa = c.alloc(GFP_ATOMIC);
      if (pa === null) break;
      got.push(pa);
    }
    const msgs = c.drainMessages();
    assert.equal(msgs[0], "SLUB: Unable to allocate memory on node -1, gfp=GFP_ATOMIC");
    assert.match(msgs[1] as string, /cache: io-pgtable_armv7s_l2, object size: 1024, buffer size: 1024, default order: 2, min order: 0/);
    assert.equal(c.alloc(gfp(GFP_ATOMIC, __GFP_NOWARN)), null);
    assert.deepEqual(c.drainMessages(), []);
    assert.ok(got.length > 0);
  });
});

describe("SLUB partial lists and retention", () => {
  function fillAndFree(eraName: EraName): SlabCache {
    const c = l2Cache(bootBuddy("mt8173-elm-4g", eraName), 4, SLAB_CACHE_DMA32, eraName);
    const objs = Array.from({ length: 160 }, () => c.alloc(GFP_ATOMIC) as number);
    for (const pa of objs) c.free(pa);
    return c;
  }

  it("4.19 (cpu_partial = 6 objects): freeing 10 full slabs keeps 5 empty on the node list, 2 per-CPU partials and the cpu slab", () => {
    // Each slab enters the per-CPU list on its first free with pobjects += 1, so the 8th push finds
    // pobjects 7 > 6 and unfreezes seven empty slabs: five stay (min_partial), two are discarded.
    const c = fillAndFree("v4.19");
    assert.deepEqual(c.counts(), { slabs: 8, objects: 128, liveObjects: 0, nodePartial: 5, cpuPartial: 2, cpuSlab: true, emptySlabs: 8 });
    assert.equal(c.usage().heldBytes, 8 * 16384);
    assert.equal(c.stats().slabsFreed, 2);
  });

  it("v6.6 (cpu_partial 24 objects, cpu_partial_slabs 3): every fourth push drains the three before it", () => {
    // Pushes 1-3 fill the list; the 4th and 7th find oldslab->slabs = 3 >= 3 and unfreeze three empty
    // slabs each: five reach the node list (min_partial), one is discarded; slabs 7-9 stay per-CPU.
    const c = fillAndFree("v6.6");
    assert.deepEqual(c.counts(), { slabs: 9, objects: 144, liveObjects: 0, nodePartial: 5, cpuPartial: 3, cpuSlab: true, emptySlabs: 9 });
    assert.equal(c.stats().slabsFreed, 1);
  });

  it("kmem_cache_shrink frees every empty slab and keeps partially used ones", () => {
    const c = fillAndFree("v4.19");
    const keep = c.alloc(GFP_ATOMIC) as number;
    assert.equal(c.shrink(), 7);
    assert.deepEqual(c.usage(), { heldBytes: 16384, inUseBytes: 1024, heldByZone: { DMA32: 16384 } });
    c.free(keep);
    c.shrink();
    assert.equal(c.usage().heldBytes, 0);
  });

  it("slabinfo counts free objects only on the node partial list, as SLUB's get_slabinfo does", () => {
    const c = l2Cache(bootBuddy());
    c.alloc(GFP_ATOMIC);
    assert.equal(c.slabinfo(), "io-pgtable_armv7s_l2     16     16   1024   16    4 : tunables    0    0    0 : slabdata      1      1      0");
    c.shrink();
    assert.match(c.slabinfo(), /^io-pgtable_armv7s_l2      1     16 /);
  });
});

describe("SLUB misuse", () => {
  it("double free, foreign and misaligned addresses are RangeErrors", () => {
    const c = l2Cache(bootBuddy());
    const pa = c.alloc(GFP_ATOMIC) as number;
    assert.throws(() => c.free(pa + 512), /not the start of an object/);
    assert.throws(() => c.free(0x4000_0000), /not an object of this cache/);
    c.free(pa);
    assert.throws(() => c.free(pa), /double free/);
  });

  it("destroy with a live object frees the empty partial slabs (4.19 free_partial), names the cache and keeps it", () => {
    const b = bootBuddy();
    const c = l2Cache(b);
    const objs = Array.from({ length: 48 }, () => c.alloc(GFP_ATOMIC) as number);
    const pa = objs[0] as number;
    for (const o of objs.slice(1)) c.free(o);
    assert.equal(c.usage().heldBytes, 3 * 16384);
    assert.throws(
      () => c.destroy(),
      new RegExp(`^RangeError: kmem_cache_destroy io-pgtable_armv7s_l2: Slab cache still has objects \\(1 remaining, e.g. 0x${pa.toString(16)}`),
    );
    // Only the slab holding the live object is left; the cache still works.
    assert.deepEqual(c.usage(), { heldBytes: 16384, inUseBytes: 1024, heldByZone: { DMA32: 16384 } });
    assert.equal(c.isDestroyed, false);
    c.free(pa);
    c.destroy();
    assert.equal(c.usage().heldBytes, 0);
    assert.throws(() => c.alloc(GFP_ATOMIC), /after kmem_cache_destroy/);
  });
});

describe("SLUB accounting property", () => {
  it("any alloc/free sequence keeps held >= in use >= 0; freeing all, shrink and destroy restore the buddy", () => {
    const b = bootBuddy();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat(1000)), { maxLength: 300 }),
        fc.constantFrom(1, 4, 8),
        fc.constantFrom<EraName>("v4.19", "v6.6"),
        (ops, cpus, eraName) => {
          const initial = freeSnapshot(b);
          const c = kmemCacheCreate("prop", 1024, 1024, SLAB_CACHE_DMA32, { pages: b, cpus, era: era(eraName) });
          const live: number[] = [];
          for (const [isAlloc, k] of ops) {
            if (isAlloc || live.length === 0) {
              const pa = c.alloc(GFP_ATOMIC as Gfp);
              assert.ok(pa !== null);
              live.push(pa);
            } else {
              c.free(live.splice(k % live.length, 1)[0] as number);
            }
            const u = c.usage();
            assert.ok(u.inUseBytes === live.length * 1024 && u.heldBytes >= u.inUseBytes && u.heldBytes % 4096 === 0);
          }
          for (const pa of live) c.free(pa);
          c.shrink();
          assert.equal(c.usage().heldBytes, 0);
          c.destroy();
          assert.equal(freeSnapshot(b), initial);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
