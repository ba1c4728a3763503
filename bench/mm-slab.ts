// SPDX-License-Identifier: GPL-2.0-only
/**
 * SLUB fast path on mt8173-elm-4g v4.19, 4 CPUs: the 1 KiB, 1 KiB-aligned SLAB_CACHE_DMA32 cache (the
 * v7s L2 cache) in steady state. One op = kmem_cache_alloc(GFP_ATOMIC) + kmem_cache_free; a few objects
 * stay live so the cpu slab is neither empty nor full. Timed by measure.ts.
 */
import { GFP_ATOMIC } from "../src/mm/gfp.ts";
import { bootKernelMemory } from "../src/mm/kernel.ts";
import { kmemCacheCreate, SLAB_CACHE_DMA32 } from "../src/mm/slub.ts";
import { type Figure, measure } from "./measure.ts";

export async function run(): Promise<Figure[]> {
  const { buddy, era } = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19" });
  const cache = kmemCacheCreate("io-pgtable_armv7s_l2", 1024, 1024, SLAB_CACHE_DMA32, { pages: buddy, cpus: 4, era });
  const keep = [cache.alloc(GFP_ATOMIC), cache.alloc(GFP_ATOMIC), cache.alloc(GFP_ATOMIC)];
  const pairs = 5_000_000;
  const t = await measure([
    {
      name: "slab",
      setup: () => () => {
        for (let i = 0; i < pairs; i++) {
          const pa = cache.alloc(GFP_ATOMIC);
          if (pa === null) throw new Error("bench: slab allocation failed");
          cache.free(pa);
        }
        return pairs;
      },
    },
  ]);
  for (const pa of keep) if (pa !== null) cache.free(pa);
  return [{ name: "slab_alloc_free", unit: "ops/CPU-s", value: Math.round(t.slab.unitsPerSecond) }];
}
