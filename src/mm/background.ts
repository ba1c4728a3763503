// SPDX-License-Identifier: GPL-2.0-only
/**
 * The rest of the kernel: a seeded stream of other allocations and frees (mixed orders, GFP_KERNEL
 * mostly, some GFP_DMA32 and GFP_ATOMIC) so that table allocations meet realistic placement and pressure.
 *
 * The buddy allocator itself has no reclaim. The background pages stand for reclaimable memory (page
 * cache, slab caches), so this module plays kswapd: when one of its own allocations needs the slow path,
 * it frees its own pages in every zone below the high watermark until that zone is back above it.
 *
 * Presets, with the fill they leave on mt8173-elm-4g v4.19 (DMA32 786432 pages, NORMAL 262144 pages;
 * watermarks DMA32 min/low/high 1536/2322/3108, NORMAL 512/774/1036; see test/mm/buddy-background.test.ts,
 * which checks these bands):
 * - `none`: nothing allocated.
 * - `light`: 15 % of RAM (614 MiB) in use. GFP_KERNEL prefers ZONE_NORMAL, so NORMAL is about 57 % full;
 *   DMA32 holds only the GFP_DMA32 share, about 1 %.
 * - `typical`: a booted Chromebook, 80 % of RAM (3276 MiB) in use. NORMAL is consumed first, down to its
 *   low watermark, then GFP_KERNEL spills into DMA32; the final kswapd pass leaves NORMAL just above its
 *   high watermark (1040-1050 free pages over seeds 1-4, 99.6 % full) and DMA32 about 73.4 % full.
 * - `dma32-pressure`: `typical`, then GFP_DMA32 fills ZONE_DMA32 until it is just above its high
 *   watermark (high + 64 = 3172 pages free, 99.6 % full): a few more DMA32 pages come from the fast
 *   path, then the low and min watermarks refuse them and kswapd (this module) has to run.
 */
import type { Rng } from "../core/rng.ts";
import type { BuddyAllocator } from "./buddy.ts";
import { GFP_ATOMIC, GFP_DMA32, GFP_KERNEL, gfp, type Gfp } from "./gfp.ts";

export type BackgroundPreset = "none" | "light" | "typical" | "dma32-pressure";
export const BACKGROUND_PRESETS: readonly BackgroundPreset[] = ["none", "light", "typical", "dma32-pressure"];

export function isBackgroundPreset(name: string): name is BackgroundPreset {
  return (BACKGROUND_PRESETS as readonly string[]).includes(name);
}

/** Fraction of managed RAM the background holds after the fill. */
const TARGET: Readonly<Record<BackgroundPreset, number>> = {
  none: 0,
  light: 0.15,
  typical: 0.8,
  "dma32-pressure": 0.8,
};

/** Pages above the high watermark that `dma32-pressure` leaves free in ZONE_DMA32. */
export const DMA32_PRESSURE_MARGIN = 64;

const GFP_MIX: readonly (readonly [readonly [Gfp, string], number])[] = [
  [[GFP_KERNEL, "background:kernel"], 85],
  [[gfp(GFP_KERNEL, GFP_DMA32), "background:dma32"], 5],
  [[GFP_ATOMIC, "background:atomic"], 10],
];

/** Orders as slab pages, page tables, skbs and page_frag refills ask for them. */
const ORDER_MIX: readonly (readonly [number, number])[] = [
  [0, 80],
  [1, 6],
  [2, 5],
  [3, 7],
  [4, 1.5],
  [5, 0.5],
];

/** rng.weighted over a fixed table, with the cumulative weights computed once (the fill makes ~400k picks). */
function picker<T>(table: readonly (readonly [T, number])[]): (rng: Rng) => T {
  const items = table.map(([item]) => item);
  const cum: number[] = [];
  let total = 0;
  for (const [, w] of table) cum.push((total += w));
  return (rng) => {
    const r = rng.next() * total;
    for (let i = 0; i < cum.length; i++) if (r < (cum[i] as number)) return items[i] as T;
    return items[items.length - 1] as T;
  };
}

const pickGfp = picker(GFP_MIX);
const pickOrder = picker(ORDER_MIX);

export class BackgroundLoad {
  readonly buddy: BuddyAllocator;
  readonly preset: BackgroundPreset;
  /** Pages the steady-state churn aims to hold. */
  targetPages: number;
  /** Live blocks per zone index: addresses and orders, in parallel arrays (swap-removed). */
  private readonly pas: number[][];
  private readonly ords: number[][];
  private held = 0;
  /** kswapd emulation runs and pages it gave back. */
  readonly kswapd = { runs: 0, pagesFreed: 0 };

  constructor(buddy: BuddyAllocator, preset: BackgroundPreset) {
    this.buddy = buddy;
    this.preset = preset;
    this.pas = buddy.zones.map(() => []);
    this.ords = buddy.zones.map(() => []);
    const managed = buddy.zones.reduce((n, z) => n + z.presentPages, 0);
    this.targetPages = Math.floor(managed * TARGET[preset]);
  }

  /** Pages the background holds now. */
  get heldPages(): number {
    return this.held;
  }

  get liveBlocks(): number {
    return this.pas.reduce((n, l) => n + l.length, 0);
  }

  /** One churn operation: an allocation when below target (mostly), a free otherwise. */
  step(rng: Rng): void {
    if (this.preset === "none") return;
    const allocP = this.held < this.targetPages ? 0.7 : 0.3;
    if (rng.chance(allocP)) this.allocOne(rng);
    else this.freeRandom(rng);
  }

  /** Allocates one block from the mix; plays kswapd if it needed the slow path. Returns its address or null. */
  allocOne(rng: Rng): number | null {
    const [g, owner] = pickGfp(rng);
    const order = pickOrder(rng);
    return this.allocWith(g, order, owner, rng);
  }

  /** kswapd's balance_pgdat: every zone below its high watermark gets background pages back until it is above. */
  balance(rng: Rng): void {
    this.kswapd.runs++;
    this.buddy.zones.forEach((zone, z) => {
      const high = (this.buddy.watermarks[z] as { high: number }).high;
      const list = this.pas[z] as number[];
      while (this.buddy.freePagesIn(zone.name) <= high && list.length > 0) {
        this.kswapd.pagesFreed += this.freeAt(z, rng.int(list.length));
      }
    });
  }

  /** Frees a random background block (from any zone, weighted by how many blocks each holds). */
  freeRandom(rng: Rng): void {
    const total = this.liveBlocks;
    if (total === 0) return;
    let i = rng.int(total);
    for (let z = 0; z < this.pas.length; z++) {
      const n = (this.pas[z] as number[]).length;
      if (i < n) {
        this.freeAt(z, i);
        return;
      }
      i -= n;
    }
  }

  /** Frees everything the background holds. */
  releaseAll(): void {
    for (let z = 0; z < this.pas.length; z++) while ((this.pas[z] as number[]).length > 0) this.freeAt(z, 0);
  }

  /** The initial fill for the preset. */
  fill(rng: Rng): void {
    if (this.preset === "none") return;
    let failures = 0;
    while (this.held < this.targetPages && failures < 64) {
      if (this.allocOne(rng) === null) failures++;
    }
    this.balance(rng);
    if (this.preset === "dma32-pressure") this.squeezeDma32();
  }

  private squeezeDma32(): void {
    const z = this.buddy.zones.findIndex((x) => x.name === "DMA32");
    if (z < 0 || (this.buddy.zones[z] as { presentPages: number }).presentPages === 0) return;
    const high = (this.buddy.watermarks[z] as { high: number }).high;
    const goal = high + DMA32_PRESSURE_MARGIN;
    const g = gfp(GFP_KERNEL, GFP_DMA32);
    while (this.buddy.freePagesIn("DMA32") > goal) {
      const excess = this.buddy.freePagesIn("DMA32") - goal;
      const order = Math.min(3, Math.floor(Math.log2(excess)));
      const pa = this.buddy.allocPages(g, order, "background:dma32");
      if (pa === null) break;
      this.record(pa, order);
    }
  }

  private allocWith(g: Gfp, order: number, owner: string, rng: Rng): number | null {
    const slowBefore = this.buddy.stats.slowPath + this.buddy.stats.failed;
    const pa = this.buddy.allocPages(g, order, owner);
    if (pa !== null) this.record(pa, order);
    if (this.buddy.stats.slowPath + this.buddy.stats.failed !== slowBefore) this.balance(rng);
    return pa;
  }

  private record(pa: number, order: number): void {
    const zone = this.buddy.zoneOf(pa);
    const z = this.buddy.zones.findIndex((x) => x.name === zone);
    (this.pas[z] as number[]).push(pa);
    (this.ords[z] as number[]).push(order);
    this.held += 1 << order;
  }

  private freeAt(z: number, i: number): number {
    const pas = this.pas[z] as number[];
    const ords = this.ords[z] as number[];
    const pa = pas[i] as number;
    const order = ords[i] as number;
    const last = pas.length - 1;
    pas[i] = pas[last] as number;
    ords[i] = ords[last] as number;
    pas.pop();
    ords.pop();
    this.buddy.freePages(pa, order);
    this.held -= 1 << order;
    return 1 << order;
  }
}

/** Builds the background for `preset` and runs its initial fill against `buddy`. */
export function applyBackgroundLoad(buddy: BuddyAllocator, preset: BackgroundPreset, rng: Rng): BackgroundLoad {
  const bg = new BackgroundLoad(buddy, preset);
  bg.fill(rng);
  return bg;
}
