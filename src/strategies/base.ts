// SPDX-License-Identifier: GPL-2.0-only
/**
 * What every table-memory strategy shares: the L1 table from whole pages with the strategy's gfp
 * (__get_free_pages / __get_dma_pages with __GFP_ZERO), the usage sum, and the teardown order of
 * arm_v7s_free_pgtable (L2 tables, then the L1, then the L2 allocator). A strategy supplies its L2
 * allocator through the abstract methods; nothing here looks at a strategy's name.
 */
import { getOrder } from "../core/bits.ts";
import type { Era } from "../core/era.ts";
import { hex } from "../core/format.ts";
import { SZ_1K } from "../core/u32.ts";
import { __GFP_ZERO, type Gfp } from "../mm/gfp.ts";
import type { CompoundPageSource } from "../mm/page-frag.ts";
import { type Usage, ZoneBytes } from "../mm/page-source.ts";
import type { PhysMemory } from "../phys/memory.ts";
import type { TableMemory } from "./table-memory.ts";

/** ARM_V7S_TABLE_SIZE(2): 256 four-byte entries. */
export const L2_TABLE_BYTES = SZ_1K;
/** Owner tag of v7s tables taken straight from the page allocator. */
export const PGTABLE_OWNER = "io-pgtable-arm-v7s";

export interface StrategyContext {
  /** The page allocator (the buddy), with compound-page refcounts for page_frag. */
  readonly buddy: CompoundPageSource;
  readonly era: Era;
  /** Present CPUs: SLUB's calculate_order input. */
  readonly cpus: number;
}

export abstract class TableMemoryBase implements TableMemory {
  abstract readonly name: string;
  readonly phys: PhysMemory;
  protected readonly pages: CompoundPageSource;
  protected readonly era: Era;
  protected readonly cpus: number;
  private readonly l1Gfp: Gfp;
  private readonly l1Live = new Map<number, number>();
  private l1Held = 0;
  private readonly l1Zone = new ZoneBytes();
  protected messages: string[] = [];
  private destroyed = false;

  /** `l1Gfp` is the strategy's page gfp for the L1; __GFP_ZERO is added here. */
  constructor(ctx: StrategyContext, l1Gfp: Gfp) {
    this.pages = ctx.buddy;
    this.phys = ctx.buddy.phys;
    this.era = ctx.era;
    this.cpus = ctx.cpus;
    this.l1Gfp = (l1Gfp | __GFP_ZERO) as Gfp;
  }

  allocL1(bytes: number): number | null {
    this.checkLive("allocL1");
    if (bytes !== 16 * SZ_1K && bytes !== 64 * SZ_1K) {
      throw new RangeError(`${this.name}: L1 table of ${bytes} bytes (v7s L1 tables are 16 KiB, or 64 KiB with ias 34)`);
    }
    const order = getOrder(bytes);
    const pa = this.pages.allocPages(this.l1Gfp, order, `${PGTABLE_OWNER}:l1`);
    if (pa === null) return null;
    this.l1Live.set(pa, bytes);
    this.l1Held += bytes;
    this.l1Zone.add(this.pages.zoneOf(pa), bytes);
    return pa;
  }

  freeL1(pa: number, bytes: number): void {
    if (this.l1Live.get(pa) !== bytes) {
      throw new RangeError(`${this.name}: freeL1(${hex(pa)}, ${bytes}) is not a live L1 table of this domain`);
    }
    this.l1Live.delete(pa);
    this.l1Held -= bytes;
    this.l1Zone.add(this.pages.zoneOf(pa), -bytes);
    this.pages.freePages(pa, getOrder(bytes));
  }

  allocL2(gfp: Gfp): number | null {
    this.checkLive("allocL2");
    return this.l2Alloc(gfp);
  }

  freeL2(pa: number): void {
    this.checkLive("freeL2");
    this.l2Free(pa);
  }

  /** L1 pages plus the L2 allocator's holding; in use = live L1 bytes plus live L2 tables. */
  usage(): Usage {
    const l2 = this.l2Usage();
    const heldByZone = new ZoneBytes();
    heldByZone.addAll(this.l1Zone.toRecord());
    heldByZone.addAll(l2.heldByZone);
    return { heldBytes: this.l1Held + l2.heldBytes, inUseBytes: this.l1Held + l2.inUseBytes, heldByZone: heldByZone.toRecord() };
  }

  drainMessages(): string[] {
    const out = this.messages;
    this.messages = [];
    out.push(...this.l2Messages());
    return out;
  }

  /**
   * Domain teardown after the engine freed its tables. A live L1, or a live L2 the allocator refuses
   * to forget (slab, genalloc), is a RangeError and the strategy stays alive (a slab cache has then
   * already returned its empty partial slabs, as kmem_cache_destroy's free_partial does).
   */
  destroy(): void {
    this.checkLive("destroy");
    const [l1] = this.l1Live.keys();
    if (l1 !== undefined) throw new RangeError(`${this.name}: destroy with the L1 table at ${hex(l1)} still allocated`);
    this.l2Destroy();
    this.destroyed = true;
  }

  protected abstract l2Alloc(gfp: Gfp): number | null;
  protected abstract l2Free(pa: number): void;
  protected abstract l2Usage(): Usage;
  protected abstract l2Messages(): string[];
  protected abstract l2Destroy(): void;

  private checkLive(op: string): void {
    if (this.destroyed) throw new RangeError(`${this.name}: ${op} after destroy`);
  }
}
