// SPDX-License-Identifier: GPL-2.0-only
/** Buddy allocator throughput on mt8173-elm-4g v4.19 with the "typical" background: one op = alloc + free. */
import { GFP_KERNEL } from "../src/mm/gfp.ts";
import { bootKernelMemory } from "../src/mm/kernel.ts";
import type { BuddyAllocator } from "../src/mm/buddy.ts";

function pairsPerSecond(buddy: BuddyAllocator, order: number, batch: number, rounds: number): number {
  const held = new Float64Array(batch);
  // Warm-up, then timed rounds of `batch` allocations followed by their frees (so splits and merges happen).
  for (let i = 0; i < batch; i++) held[i] = buddy.allocPages(GFP_KERNEL, order, "bench") as number;
  for (let i = 0; i < batch; i++) buddy.freePages(held[i] as number, order);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < batch; i++) {
      const pa = buddy.allocPages(GFP_KERNEL, order, "bench");
      if (pa === null) throw new Error(`bench: order-${order} allocation failed`);
      held[i] = pa;
    }
    for (let i = batch - 1; i >= 0; i--) buddy.freePages(held[i] as number, order);
  }
  const seconds = (performance.now() - t0) / 1000;
  return (batch * rounds) / seconds;
}

export function run(): { name: string; unit: string; value: number }[] {
  const { buddy } = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "typical", seed: 1 });
  return [
    { name: "buddy_order0_alloc_free", unit: "ops/s", value: Math.round(pairsPerSecond(buddy, 0, 64, 20000)) },
    { name: "buddy_order2_alloc_free", unit: "ops/s", value: Math.round(pairsPerSecond(buddy, 2, 16, 40000)) },
  ];
}
