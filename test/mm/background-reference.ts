// SPDX-License-Identifier: GPL-2.0-only
/**
 * The background load as it was before its live blocks were packed into typed lists (b0f46f0:
 * src/mm/background.ts, two number[] per zone and the zone found by name): the reference that
 * test/mm/background-lists.test.ts runs side by side with the current one.
 */
import type { Rng } from "../../src/core/rng.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { GFP_ATOMIC, GFP_DMA32, GFP_KERNEL, gfp, type Gfp } from "../../src/mm/gfp.ts";

import type { BackgroundPreset } from "../../src/mm/background.ts";
/** Fraction of managed RAM the background holds after the fill. */
const TARGET: Readonly<Record<BackgroundPreset, number>> = {
  none: 0,
  light: 0.15,
  typical: 0.8,
  "dma32-pressure": 0.8,
};

const DMA32_PRESSURE_MARGIN = 64;

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

export class ReferenceBackgroundLoad {
  readonly buddy: BuddyAllocator;
  readonly preset: BackgroundPreset;
  /** Pages the steady-state churn aims to hold. */
  targetPages: number;
  /** Live blocks per zone index: addresses and orders, in parallel arrays (swap-removed). */
  private readonly pas: number[][];
  private readonly ords: number[][];
  private held = 0;
  /** kswapd wakes (slow-path requests that may wake it), balance_pgdat runs, and pages reclaimed. */
  readonly kswapd = { wakes: 0, runs: 0, pagesFreed: 0 };
  /** The background's random stream, which also picks what kswapd reclaims. */
  private readonly rng: Rng;

  constructor(buddy: BuddyAllocator, preset: BackgroundPreset, rng: Rng) {
    this.buddy = buddy;
    this.preset = preset;
    this.rng = rng;
    this.pas = buddy.zones.map(() => []);
    this.ords = buddy.zones.map(() => []);
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
    return this.pas.reduce((n, l) => n + l.length, 0);
  }

  /** One churn operation: an allocation when below target (mostly), a free otherwise. */
  step(rng: Rng): void {
    if (this.preset === "none") return;
    const allocP = this.held < this.targetPages ? 0.7 : 0.3;
    if (rng.chance(allocP)) this.allocOne(rng);
    else this.freeRandom(rng);
  }

  /** Allocates one block from the mix (an ordinary buddy request). Returns its address or null. */
  allocOne(rng: Rng): number | null {
    const [g, owner] = pickGfp(rng);
    const order = pickOrder(rng);
    const pa = this.buddy.allocPages(g, order, owner);
    if (pa !== null) this.record(pa, order);
    return pa;
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
      for (let z = 0; z <= classZone; z++) eligible += (this.pas[z] as number[]).length;
      if (eligible === 0) return;
      let i = this.rng.int(eligible);
      for (let z = 0; z <= classZone; z++) {
        const n = (this.pas[z] as number[]).length;
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
    if (this.preset === "dma32-pressure") this.squeezeDma32();
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
      const pa = this.buddy.allocPages(g, order, "background:dma32");
      if (pa === null) break;
      this.record(pa, order);
    }
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
