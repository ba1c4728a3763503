// SPDX-License-Identifier: GPL-2.0-only
/**
 * Wraps a strategy's TableMemory to observe it without changing it: where every table landed, how many
 * allocations failed, and the peaks of bytes held and in use. The engine cannot tell the difference.
 */
import type { Gfp } from "../mm/gfp.ts";
import type { Usage, ZoneName } from "../mm/page-source.ts";
import type { TableMemory } from "../strategies/table-memory.ts";
import { SZ_1K, SZ_4G } from "../core/u32.ts";
import { L2_TABLE_BYTES } from "../pgtable/format.ts";
import { FreedTables } from "./freed-tables.ts";
import type { FreedTablesSummary, TablePlacement } from "./types.ts";

interface MutablePlacement {
  pa: number;
  bytes: number;
  level: 1 | 2;
  zone: string;
  live: boolean;
}

export class InstrumentedTableMemory implements TableMemory {
  readonly inner: TableMemory;
  private readonly zoneOf: (pa: number) => ZoneName | null;
  /**
   * Live tables by PA / 1 KiB (exact, and a small integer for a table's aligned PA, where a PA above
   * 2^31 would be a boxed key); a Map keeps insertion order, which is allocation order.
   */
  private readonly livePlacement = new Map<number, MutablePlacement>();
  /** Freed tables leave the list for a bounded summary, so memory follows live state, not history. */
  private readonly freed = new FreedTables();
  allocFailures = 0;
  l2Allocated = 0;
  l2Freed = 0;
  tablesAbove4GiB = 0;
  peakHeldBytes = 0;
  peakInUseBytes = 0;
  peakLowBytes = 0;
  /** Tables handed out with non-zero contents, and how many non-zero words they held in all. */
  dirtyTables = 0;
  dirtyEntries = 0;
  readonly firstDirty: string[] = [];
  /** Bumped by every allocation and free: usage can only have changed when it moved. */
  version = 0;
  /**
   * The strategy was called since the last drainMessages: only a call can make it log (its allocators
   * are its own, reached through this wrapper alone), so a drain in between has nothing to return.
   */
  mayHaveMessages = true;
  /** The usage notePeaks read, and the version it read it at (-1: a call since may have changed it). */
  private lastUsage: Usage | null = null;
  private lastUsageVersion = -1;

  constructor(inner: TableMemory, zoneOf: (pa: number) => ZoneName | null) {
    this.inner = inner;
    this.zoneOf = zoneOf;
    this.notePeaks();
  }

  get name(): string {
    return this.inner.name;
  }
  get phys(): TableMemory["phys"] {
    return this.inner.phys;
  }

  allocL1(bytes: number): number | null {
    this.touch();
    return this.placed(this.inner.allocL1(bytes), bytes, 1);
  }

  freeL1(pa: number, bytes: number): void {
    this.touch();
    this.inner.freeL1(pa, bytes);
    this.released(pa);
  }

  allocL2(gfp: Gfp): number | null {
    this.touch();
    const pa = this.placed(this.inner.allocL2(gfp), L2_TABLE_BYTES, 2);
    if (pa !== null) {
      this.l2Allocated++;
      this.checkZeroed(pa, L2_TABLE_BYTES);
    }
    return pa;
  }

  /**
   * The engine trusts a new table to be zeroed (kmem_cache_zalloc, __GFP_ZERO). A table handed out with
   * non-zero words would carry live-looking PTEs into the walk: count them. v7s frees an L2 table with
   * its entries still in it (an L1-granular unmap clears only the L1 slot), so an allocator that reuses
   * memory without zeroing it (page_frag's recycled page) can hand those entries back.
   */
  private checkZeroed(pa: number, bytes: number): void {
    if (!this.phys.isRam(pa, bytes)) return;
    const words = this.phys.words(pa, bytes / 4);
    let dirty = 0;
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) dirty++;
    if (dirty > 0) {
      this.dirtyTables++;
      this.dirtyEntries += dirty;
      if (this.firstDirty.length < 3) this.firstDirty.push(`L2 table at 0x${pa.toString(16)} handed out holding ${dirty} non-zero entries`);
    }
  }

  freeL2(pa: number): void {
    this.touch();
    this.inner.freeL2(pa);
    this.l2Freed++;
    this.released(pa);
  }

  usage(): Usage {
    return this.inner.usage();
  }

  drainMessages(): string[] {
    this.mayHaveMessages = false;
    return this.inner.drainMessages?.() ?? [];
  }

  /** A call into the strategy begins: it may log, and its usage may change. */
  private touch(): void {
    this.mayHaveMessages = true;
    this.lastUsageVersion = -1;
  }

  /**
   * usage() as of now, without asking the strategy again when notePeaks read it after the last call
   * (every successful allocation and free ends in notePeaks; a failed allocation does not).
   */
  currentUsage(): Usage {
    if (this.lastUsageVersion === this.version && this.lastUsage !== null) return this.lastUsage;
    return this.inner.usage();
  }

  slabinfoRow(): ReturnType<NonNullable<TableMemory["slabinfo"]>> | null {
    return this.inner.slabinfo?.() ?? null;
  }

  destroy(): void {
    this.touch();
    this.inner.destroy();
    this.notePeaks();
  }

  /** The live tables, in allocation order. */
  tables(): readonly TablePlacement[] {
    return [...this.livePlacement.values()];
  }

  /** The tables freed so far, summarised in bins. */
  freedTables(): FreedTablesSummary {
    return this.freed.summary();
  }

  /** Bytes held below 4 GiB (the DMA/DMA32 memory a strategy consumes). */
  lowHeldBytes(u: Usage = this.inner.usage()): number {
    return (u.heldByZone.DMA ?? 0) + (u.heldByZone.DMA32 ?? 0);
  }

  notePeaks(): void {
    this.version++;
    const u = this.inner.usage();
    this.lastUsage = u;
    this.lastUsageVersion = this.version;
    if (u.heldBytes > this.peakHeldBytes) this.peakHeldBytes = u.heldBytes;
    if (u.inUseBytes > this.peakInUseBytes) this.peakInUseBytes = u.inUseBytes;
    const low = this.lowHeldBytes(u);
    if (low > this.peakLowBytes) this.peakLowBytes = low;
  }

  private placed(pa: number | null, bytes: number, level: 1 | 2): number | null {
    if (pa === null) {
      this.allocFailures++;
      return null;
    }
    if (pa >= SZ_4G) this.tablesAbove4GiB++;
    const p: MutablePlacement = { pa, bytes, level, zone: this.zoneOf(pa) ?? "", live: true };
    this.livePlacement.set(pa / SZ_1K, p);
    this.notePeaks();
    return pa;
  }

  private released(pa: number): void {
    const p = this.livePlacement.get(pa / SZ_1K);
    if (p !== undefined) {
      this.livePlacement.delete(pa / SZ_1K);
      this.freed.add(p.pa, p.bytes, p.zone, p.level);
    }
    this.notePeaks();
  }
}
