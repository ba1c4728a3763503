// SPDX-License-Identifier: GPL-2.0-only
/**
 * The rest of the kernel: a seeded stream of other allocations and frees (mixed orders, GFP_KERNEL
 * mostly, some GFP_DMA32 and GFP_ATOMIC) so that table allocations meet realistic placement and pressure.
 *
 * Every background allocation is an ordinary buddy request: the zonelist from its gfp zone downwards,
 * the low watermark (plus lowmem_reserve) in the fast path, min in the slow path. The buddy allocator
 * itself has no reclaim; the background pages stand for reclaimable memory (page cache, slab caches), so
 * this module plays kswapd for every request that reaches the slow path with __GFP_KSWAPD_RECLAIM,
 * background or not (the buddy calls `kswapd`), as 4.19 does (nojick/test419 968c1392:mm/vmscan.c):
 * - wakeup_kswapd returns at once when pgdat_balanced(order, classzone_idx) already holds;
 * - balance_pgdat reclaims with sc.reclaim_idx = classzone_idx, so only pages of the zones up to the
 *   request's highest zone come back, and stops as soon as pgdat_balanced holds;
 * - pgdat_balanced is true as soon as ANY managed zone up to the class zone passes
 *   zone_watermark_ok_safe(zone, order, high_wmark, classzone_idx), i.e. its high watermark plus its
 *   lowmem_reserve for that class zone. No zone is lifted above high once one zone is balanced.
 * Simplifications: kswapd runs synchronously inside the waking allocation, before its min-watermark
 * attempt (the kernel's kswapd is a thread that races it); it reclaims random background blocks of the
 * eligible zones (weighted by block count) instead of walking LRU lists by age; there is no direct
 * reclaim, compaction or OOM after it, and no watermark boost (5.0+).
 *
 * Presets, with the fill they leave on mt8173-elm-4g v4.19 (see test/mm/buddy-background.test.ts,
 * which checks these bands):
 * - `none`: nothing allocated.
 * - `light`: 15 % of RAM (614 MiB) in use. GFP_KERNEL prefers ZONE_NORMAL, so NORMAL is about 57 % full;
 *   DMA32 holds only the GFP_DMA32 share, about 1 %.
 * - `typical`: a booted Chromebook, 80 % of RAM (3276 MiB) in use. NORMAL is consumed first, down to its
 *   low watermark, then GFP_KERNEL spills into DMA32 in the fast path; kswapd is never woken, so NORMAL
 *   stays at its low watermark, where the kernel leaves it.
 * - `dma32-pressure`: `typical`, then GFP_DMA32 fills ZONE_DMA32 until it is just above its high
 *   watermark (high + 64 pages free): a few more DMA32 pages come from the fast path, then the low and
 *   min watermarks refuse them and kswapd has to run.
 */
import { PAGE_SIZE } from "../core/bits.ts";
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
  /** Live blocks per zone index, swap-removed: pfn * ORDER_SLOTS + order, packed (a typical fill holds ~400k). */
  private readonly blocks: BlockList[];
  private held = 0;
  /** kswapd wakes (slow-path requests that may wake it), balance_pgdat runs, and pages reclaimed. */
  readonly kswapd = { wakes: 0, runs: 0, pagesFreed: 0 };
  /** The background's random stream, which also picks what kswapd reclaims. */
  private readonly rng: Rng;

  constructor(buddy: BuddyAllocator, preset: BackgroundPreset, rng: Rng) {
    this.buddy = buddy;
    this.preset = preset;
    this.rng = rng;
    this.blocks = buddy.zones.map(() => new BlockList());
    let managed = 0;
    for (let z = 0; z < buddy.zones.length; z++) managed += buddy.managedPagesAt(z);
    this.targetPages = Math.floor(managed * TARGET[preset]);
    if (preset !== "none") buddy.kswapd = (order, classZone) => this.wakeKswapd(order, classZone);
  }

  /** Pages the background holds now. */
  get heldPages(): number {
    return this.held;
  }

  get liveBlocks(): number {
    return this.blocks.reduce((n, l) => n + l.length, 0);
  }

  /** One churn operation: an allocation when below target (mostly), a free otherwise. */
  step(rng: Rng): void {
    if (this.preset === "none") return;
    const allocP = this.held < this.targetPages ? 0.7 : 0.3;
    if (rng.chance(allocP)) this.allocBlock(rng);
    else this.freeRandom(rng);
  }

  /** Allocates one block from the mix (an ordinary buddy request). Returns its address or null. */
  allocOne(rng: Rng): number | null {
    const pfn = this.allocBlock(rng);
    return pfn < 0 ? null : pfn * PAGE_SIZE;
  }

  /** allocOne by page frame number (-1: failed), as the fill's ~400k calls use it. */
  private allocBlock(rng: Rng): number {
    const [g, owner] = pickGfp(rng);
    const order = pickOrder(rng);
    const pfn = this.buddy.allocPfn(g, order, owner);
    if (pfn >= 0) this.record(pfn, order);
    return pfn;
  }

  /**
   * pgdat_balanced(pgdat, order, classzone_idx): some managed zone up to `classZone` meets its high
   * watermark (with its lowmem_reserve for that class zone); a node without one needs no balancing.
   */
  pgdatBalanced(order: number, classZone: number): boolean {
    let any = false;
    for (let z = 0; z <= classZone && z < this.buddy.zones.length; z++) {
      if (this.buddy.managedPagesAt(z) === 0) continue;
      any = true;
      if (this.buddy.zoneWatermarkOk(z, order, (this.buddy.watermarks[z] as { high: number }).high, classZone)) return true;
    }
    return !any;
  }

  /** wakeup_kswapd + balance_pgdat: reclaim background pages of the zones up to `classZone` until balanced. */
  wakeKswapd(order: number, classZone: number): void {
    this.kswapd.wakes++;
    if (this.pgdatBalanced(order, classZone)) return;
    this.kswapd.runs++;
    while (!this.pgdatBalanced(order, classZone)) {
      let eligible = 0;
      for (let z = 0; z <= classZone; z++) eligible += (this.blocks[z] as BlockList).length;
      if (eligible === 0) return;
      let i = this.rng.int(eligible);
      for (let z = 0; z <= classZone; z++) {
        const n = (this.blocks[z] as BlockList).length;
        if (i < n) {
          this.kswapd.pagesFreed += this.freeAt(z, i);
          break;
        }
        i -= n;
      }
    }
  }

  /** Frees a random background block (from any zone, weighted by how many blocks each holds). */
  freeRandom(rng: Rng): void {
    const total = this.liveBlocks;
    if (total === 0) return;
    let i = rng.int(total);
    for (let z = 0; z < this.blocks.length; z++) {
      const n = (this.blocks[z] as BlockList).length;
      if (i < n) {
        this.freeAt(z, i);
        return;
      }
      i -= n;
    }
  }

  /** Frees everything the background holds. */
  releaseAll(): void {
    for (let z = 0; z < this.blocks.length; z++) while ((this.blocks[z] as BlockList).length > 0) this.freeAt(z, 0);
  }

  /** The initial fill for the preset. */
  fill(rng: Rng): void {
    if (this.preset === "none") return;
    let failures = 0;
    while (this.held < this.targetPages && failures < 64) {
      if (this.allocBlock(rng) < 0) failures++;
    }
    if (this.preset === "dma32-pressure") this.squeezeDma32();
    for (const l of this.blocks) l.trim();
  }

  private squeezeDma32(): void {
    const z = this.buddy.zones.findIndex((x) => x.name === "DMA32");
    if (z < 0 || this.buddy.managedPagesAt(z) === 0) return;
    const high = (this.buddy.watermarks[z] as { high: number }).high;
    const goal = high + DMA32_PRESSURE_MARGIN;
    const g = gfp(GFP_KERNEL, GFP_DMA32);
    while (this.buddy.freePagesIn("DMA32") > goal) {
      const excess = this.buddy.freePagesIn("DMA32") - goal;
      const order = Math.min(3, Math.floor(Math.log2(excess)));
      const pfn = this.buddy.allocPfn(g, order, "background:dma32");
      if (pfn < 0) break;
      this.record(pfn, order);
    }
  }

  private record(pfn: number, order: number): void {
    (this.blocks[this.buddy.zoneIndexOfPfn(pfn)] as BlockList).push(pfn * ORDER_SLOTS + order);
    this.held += 1 << order;
  }

  private freeAt(z: number, i: number): number {
    const v = (this.blocks[z] as BlockList).swapRemove(i);
    const order = v % ORDER_SLOTS;
    this.buddy.freePages(((v - order) / ORDER_SLOTS) * PAGE_SIZE, order);
    this.held -= 1 << order;
    return 1 << order;
  }
}

/** Orders below 32 (MAX_ORDER is at most 20); a pfn (below 2^23 in the 35-bit space) times 32 fits a u32. */
const ORDER_SLOTS = 32;

/** A growable u32 list with swap-remove: the order of its entries is what the random frees index. */
class BlockList {
  private data = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  /** Drops the capacity beyond the entries (the fill's doublings leave up to half of it unused). */
  trim(): void {
    if (this.data.length > this.length + 1024) this.data = this.data.slice(0, this.length + 1024);
  }

  /** Removes entry `i` by moving the last one into its place (as the arrays' pop did); returns it. */
  swapRemove(i: number): number {
    const v = this.data[i] as number;
    this.length--;
    this.data[i] = this.data[this.length] as number;
    return v;
  }
}

/** Builds the background for `preset` and runs its initial fill against `buddy`. */
export function applyBackgroundLoad(buddy: BuddyAllocator, preset: BackgroundPreset, rng: Rng): BackgroundLoad {
  const bg = new BackgroundLoad(buddy, preset, rng);
  bg.fill(rng);
  return bg;
}
