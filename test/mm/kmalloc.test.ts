// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era, type EraName } from "../../src/core/era.ts";
import { GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, gfp } from "../../src/mm/gfp.ts";
import { Kmalloc, KMALLOC_MAX_CACHE_SIZE, ZERO_SIZE_PTR } from "../../src/mm/kmalloc.ts";
import { bootBuddy, freeSnapshot } from "./boot.ts";

const SZ_4G = 0x1_0000_0000;

function km(eraName: EraName = "v4.19"): { k: Kmalloc; b: ReturnType<typeof bootBuddy> } {
  const b = bootBuddy("mt8173-elm-4g", eraName);
  return { k: new Kmalloc({ pages: b, cpus: 4, era: era(eraName) }), b };
}

describe("kmalloc caches", () => {
  it("arm64 before v6.5 starts at kmalloc-128 (ARCH_DMA_MINALIGN) and has no kmalloc-96/192", () => {
    assert.deepEqual(km("v4.19").k.sizes, [128, 256, 512, 1024, 2048, 4096, 8192]);
  });

  it("v6.6 has kmalloc-8 … kmalloc-8k with kmalloc-96 and kmalloc-192", () => {
    assert.deepEqual(km("v6.6").k.sizes, [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192]);
  });

  it("kmalloc_index picks the smallest cache that fits", () => {
    const { k } = km("v6.6");
    assert.equal(k.cacheSizeFor(1), 8);
    assert.equal(k.cacheSizeFor(70), 96);
    assert.equal(k.cacheSizeFor(100), 128);
    assert.equal(k.cacheSizeFor(150), 192);
    assert.equal(k.cacheSizeFor(1024), 1024);
    assert.equal(k.cacheSizeFor(1025), 2048);
    assert.equal(k.cacheSizeFor(KMALLOC_MAX_CACHE_SIZE + 1), null);
    assert.equal(km("v4.19").k.cacheSizeFor(150), 256);
  });
});

describe("kmalloc / kzalloc / kfree", () => {
  it("kmalloc(0) returns ZERO_SIZE_PTR and kfree of it (or null) does nothing", () => {
    const { k, b } = km();
    const before = freeSnapshot(b);
    assert.equal(k.kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
    k.kfree(ZERO_SIZE_PTR);
    k.kfree(null);
    assert.equal(freeSnapshot(b), before);
    assert.equal(k.usage().heldBytes, 0);
  });

  it("kmalloc(1024) uses kmalloc-1k: 16 KiB slab with 4 CPUs, prefers ZONE_NORMAL", () => {
    const { k, b } = km();
    const pa = k.kmalloc(1000, GFP_KERNEL) as number;
    assert.equal(b.ownerOf(pa), "slab:kmalloc-1k");
    assert.equal(b.zoneOf(pa), "NORMAL");
    assert.deepEqual(k.usage(), { heldBytes: 16384, inUseBytes: 1024, heldByZone: { NORMAL: 16384 } });
    k.kfree(pa);
    assert.equal(k.usage().inUseBytes, 0);
  });

  it("GFP_DMA goes to dma-kmalloc-N only with CONFIG_ZONE_DMA: kmalloc-N on arm64 v4.19, dma-kmalloc below 4 GiB on v4.14", () => {
    const a = km("v4.19");
    const pa = a.k.kmalloc(1024, gfp(GFP_ATOMIC, GFP_DMA)) as number;
    // 4.19 kmalloc_slab: no kmalloc_dma_caches without CONFIG_ZONE_DMA.
    assert.equal(a.b.ownerOf(pa), "slab:kmalloc-1k");
    assert.ok(!a.k.caches().some((c) => c.name.startsWith("dma-kmalloc")));
    assert.ok(pa >= SZ_4G);
    const c = km("v4.14");
    const pb = c.k.kmalloc(1024, gfp(GFP_ATOMIC, GFP_DMA)) as number;
    assert.equal(c.b.zoneOf(pb), "DMA");
    assert.ok(pb < SZ_4G);
  });

  it("there are no DMA32 kmalloc caches: GFP_DMA32 is 'Unexpected gfp' and the memory may land above 4 GiB", () => {
    const { k } = km();
    const pa = k.kmalloc(1024, gfp(GFP_KERNEL, GFP_DMA32)) as number;
    assert.ok(pa >= SZ_4G);
    assert.deepEqual(k.drainMessages(), ["Unexpected gfp: __GFP_DMA32. Fixing up to gfp: GFP_KERNEL. Fix your code!"]);
    assert.ok(!k.caches().some((c) => c.name.includes("dma32")));
  });

  it("with the hypothetical dma32Caches, GFP_DMA32 selects dma32-kmalloc-N: below 4 GiB, no warning", () => {
    const b = bootBuddy("mt8173-elm-4g", "v4.19");
    const k = new Kmalloc({ pages: b, cpus: 4, era: era("v4.19"), dma32Caches: true });
    const pa = k.kzalloc(1024, gfp(GFP_ATOMIC, GFP_DMA32)) as number;
    assert.ok(pa < SZ_4G);
    assert.equal(b.zoneOf(pa), "DMA32");
    assert.equal(b.ownerOf(pa), "slab:dma32-kmalloc-1k");
    assert.deepEqual(k.drainMessages(), []);
    assert.equal(k.cacheFor(1024, GFP_DMA32)?.name, "dma32-kmalloc-1k");
    // 4.19 arm64 has no CONFIG_ZONE_DMA, so no dma-kmalloc caches; where it has them (v6.6), GFP_DMA wins.
    const k66 = new Kmalloc({ pages: bootBuddy("mt8173-elm-4g", "v6.6"), cpus: 4, era: era("v6.6"), dma32Caches: true });
    assert.equal(k66.cacheFor(1024, gfp(GFP_DMA, GFP_DMA32))?.name, "dma-kmalloc-1k", "GFP_DMA wins");
  });

  it("destroy refuses while an allocation is live, then gives every slab page back", () => {
    const { k, b } = km();
    const before = freeSnapshot(b);
    const small = k.kmalloc(1024, GFP_KERNEL) as number;
    const large = k.kmalloc(9000, GFP_KERNEL) as number;
    assert.throws(() => k.destroy(), new RegExp(`kmem_cache_destroy kmalloc-1k: Slab cache still has objects.*0x${small.toString(16)}`));
    k.kfree(small);
    assert.throws(() => k.destroy(), new RegExp(`large allocation at 0x${large.toString(16)}`));
    k.kfree(large);
    k.destroy();
    assert.equal(freeSnapshot(b), before);
  });

  it("kzalloc zeroes a reused object", () => {
    const { k, b } = km();
    const pa = k.kmalloc(512, GFP_KERNEL) as number;
    b.phys.write32(pa, 0x12345678);
    k.kfree(pa);
    assert.equal(k.kzalloc(512, GFP_KERNEL), pa);
    assert.equal(b.phys.read32(pa), 0);
  });

  it("sizes above 8 KiB come from the page allocator as compound pages", () => {
    const { k, b } = km();
    const before = freeSnapshot(b);
    const pa = k.kmalloc(9000, GFP_KERNEL) as number;
    assert.equal(b.ownerOf(pa), "kmalloc-large");
    assert.equal(k.usage().heldBytes, 16384);
    k.kfree(pa);
    assert.equal(freeSnapshot(b), before);
    assert.equal(k.kmalloc(8 * 1024 * 1024, GFP_KERNEL), null);
    assert.equal(k.drainMessages().length, 1);
  });

  it("kfree of a foreign or freed address is a RangeError", () => {
    const { k, b } = km();
    const other = b.allocPages(GFP_KERNEL, 0, "someone") as number;
    assert.throws(() => k.kfree(other), /not a live kmalloc allocation \(page owner someone\)/);
    const pa = k.kmalloc(64, GFP_KERNEL) as number;
    k.kfree(pa);
    assert.throws(() => k.kfree(pa), /double free/);
    assert.throws(() => k.kmalloc(-1, GFP_KERNEL), /size -1/);
  });
});
