// SPDX-License-Identifier: GPL-2.0-only
/**
 * Buddy allocator throughput on mt8173-elm-4g v4.19 with the "typical" background: one op = alloc + free.
 * Each run allocates a batch and frees it in reverse, so splits and merges happen. Timed by measure.ts.
 */
import type { BuddyAllocator } from "../src/mm/buddy.ts";
import { GFP_KERNEL } from "../src/mm/gfp.ts";
import { bootKernelMemory } from "../src/mm/kernel.ts";
import { type Figure, measure } from "./measure.ts";

function rounds(buddy: BuddyAllocator, order: number, batch: number, count: number): () => number {
  const held = new Float64Array(batch);
  return () => {
    for (let r = 0; r < count; r++) {
      for (let i = 0; i < batch; i++) {
        const pa = buddy.allocPages(GFP_KERNEL, order, "bench");
        if (pa === null) throw new Error(`bench: order-${order} allocation failed`);
        held[i] = pa;
      }
      for (let i = batch - 1; i >= 0; i--) buddy.freePages(held[i] as number, order);
    }
    return batch * count;
  };
}

export async function run(): Promise<Figure[]> {
  const { buddy } = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "typical", seed: 1 });
  const t = await measure([
    { name: "order0", setup: () => rounds(buddy, 0, 64, 20000) },
    { name: "order2", setup: () => rounds(buddy, 2, 16, 40000) },
  ]);
  return [
    { name: "buddy_order0_alloc_free", unit: "ops/CPU-s", value: Math.round(t.order0.unitsPerSecond) },
    { name: "buddy_order2_alloc_free", unit: "ops/CPU-s", value: Math.round(t.order2.unitsPerSecond) },
  ];
}
