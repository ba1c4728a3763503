// SPDX-License-Identifier: GPL-2.0-only
/**
 * L2 tables from a private kmem_cache (the shape of every v7s allocator merged so far): one cache per
 * io-pgtable instance, objects of ARM_V7S_TABLE_SIZE(2) = 1 KiB, kmem_cache_zalloc on the map path with
 * the caller's gfp plus the strategy's extra bits, kmem_cache_destroy at free_pgtable.
 */
import { __GFP_ZERO, type Gfp } from "../mm/gfp.ts";
import type { Usage } from "../mm/page-source.ts";
import { kmemCacheCreate, type SlabCache, type SlabinfoRow } from "../mm/slub.ts";
import { L2_TABLE_BYTES, type StrategyContext, TableMemoryBase } from "./base.ts";

export interface SlabL2Policy {
  readonly cacheName: string;
  readonly cacheAlign: number;
  readonly cacheFlags: number;
  /** Page gfp of the L1 table (without __GFP_ZERO). */
  readonly l1Gfp: Gfp;
  /** Bits ORed into the map caller's gfp for kmem_cache_zalloc (GFP_DMA in 4.19, none after the fix). */
  readonly l2ExtraGfp: Gfp;
}

export abstract class SlabL2TableMemory extends TableMemoryBase {
  readonly cache: SlabCache;
  private readonly l2Extra: Gfp;

  constructor(ctx: StrategyContext, policy: SlabL2Policy) {
    super(ctx, policy.l1Gfp);
    this.cache = kmemCacheCreate(policy.cacheName, L2_TABLE_BYTES, policy.cacheAlign, policy.cacheFlags, {
      pages: ctx.buddy,
      cpus: ctx.cpus,
      era: ctx.era,
    });
    this.l2Extra = policy.l2ExtraGfp;
  }

  /** kmem_cache_shrink on the L2 cache; the number of slabs given back. */
  shrink(): number {
    return this.cache.shrink();
  }

  slabinfo(): SlabinfoRow {
    return this.cache.slabinfoRow();
  }

  protected l2Alloc(gfp: Gfp): number | null {
    return this.cache.alloc((gfp | this.l2Extra | __GFP_ZERO) as Gfp);
  }

  protected l2Free(pa: number): void {
    this.cache.free(pa);
  }

  protected l2Usage(): Usage {
    return this.cache.usage();
  }

  protected l2Messages(): string[] {
    return this.cache.drainMessages();
  }

  protected l2Destroy(): void {
    this.cache.destroy();
  }
}
