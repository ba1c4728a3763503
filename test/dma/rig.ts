// SPDX-License-Identifier: GPL-2.0-only
/** Test rigs for the iommu-dma layer: the real engine, an M4U, and either an arena or the real buddy. */
import assert from "node:assert/strict";
import { era, type EraName } from "../../src/core/era.ts";
import { IommuDomain, type IommuDomainOptions } from "../../src/dma/iommu-core.ts";
import { TraceBuffer } from "../../src/dma/trace.ts";
import { M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import type { Gfp } from "../../src/mm/gfp.ts";
import { bootKernelMemory } from "../../src/mm/kernel.ts";
import type { PageSource, ZoneName } from "../../src/mm/page-source.ts";
import { PhysMemory } from "../../src/phys/memory.ts";
import { platform } from "../../src/phys/platform.ts";
import { ArenaTableMemory } from "../../src/strategies/arena.ts";
import { strategy } from "../../src/strategies/index.ts";

export interface Rig {
  readonly domain: IommuDomain;
  readonly hw: M4u;
  readonly trace: TraceBuffer;
  readonly phys: PhysMemory;
}

/** elm 4 GiB in 4GB mode; tables in an arena at 0x4000_0000 (keep mapped PAs clear of its 64 MiB). */
export function arenaRig(eraName: EraName, extra: Partial<IommuDomainOptions> = {}): Rig {
  const phys = new PhysMemory(platform("mt8173-elm-4g"));
  const hw = new M4u(phys, mt8173Config(true));
  const trace = new TraceBuffer();
  const r = IommuDomain.create({
    era: era(eraName),
    mem: new ArenaTableMemory(phys, 0x4000_0000),
    hw,
    enable4GB: true,
    trace,
    recordFlushes: true,
    ...extra,
  });
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return { domain: r.domain, hw, trace, phys };
}

/** The real buddy (no background load) with slab-dma32 table memory. */
export function buddyRig(eraName: EraName): Rig & { readonly pages: PageSource } {
  const k = bootKernelMemory({ platform: "mt8173-elm-4g", era: eraName });
  const mem = strategy("slab-dma32").create({ buddy: k.buddy, era: k.era, cpus: k.platform.cpus });
  const hw = new M4u(k.phys, mt8173Config(true));
  const trace = new TraceBuffer();
  const r = IommuDomain.create({ era: k.era, mem, hw, enable4GB: true, trace, recordFlushes: true });
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return { domain: r.domain, hw, trace, phys: k.phys, pages: k.buddy };
}

/**
 * A bump page source with failure injection: every call is recorded; orders in `failOrders` fail.
 * Blocks are naturally aligned and handed out upwards from 0x6000_0000.
 */
export class ScriptedPages implements PageSource {
  readonly phys: PhysMemory;
  readonly calls: { gfp: Gfp; order: number; owner: string; pa: number | null }[] = [];
  readonly live = new Map<number, number>();
  failOrders: Set<number>;
  private next = 0x6000_0000;

  constructor(phys: PhysMemory, failOrders: readonly number[] = []) {
    this.phys = phys;
    this.failOrders = new Set(failOrders);
  }

  allocPages(gfp: Gfp, order: number, owner: string): number | null {
    if (this.failOrders.has(order)) {
      this.calls.push({ gfp, order, owner, pa: null });
      return null;
    }
    const bytes = 4096 * 2 ** order;
    const pa = Math.ceil(this.next / bytes) * bytes;
    this.next = pa + bytes;
    this.live.set(pa, order);
    this.calls.push({ gfp, order, owner, pa });
    return pa;
  }

  freePages(pa: number, order: number): void {
    if (this.live.get(pa) !== order) throw new RangeError(`ScriptedPages: free of 0x${pa.toString(16)} order ${order} not allocated`);
    this.live.delete(pa);
  }

  zoneOf(_pa: number): ZoneName | null {
    return "NORMAL";
  }

  ownerOf(pa: number): string | null {
    return this.live.has(pa) ? "scripted" : null;
  }
}
