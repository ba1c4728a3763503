// SPDX-License-Identifier: GPL-2.0-only
/**
 * arm64 memory zones per kernel era (arch/arm64/mm/init.c zone_sizes_init): which zones the kernel
 * configures and where each one ends. Zones are contiguous [startPfn, endPfn) ranges clamped to the
 * platform's RAM; a configured zone with no RAM under it is kept with zero pages, because it still
 * exists in the kernel (its lowmem_reserve and gfp_zone mapping matter) even though no page is in it.
 * Zones the era does not configure are absent: v4.14 arm64 has no ZONE_DMA32 at all, so GFP_DMA32 there
 * means ZONE_NORMAL (OPT_ZONE_DMA32).
 */
import { PAGE_SIZE } from "../core/bits.ts";
import type { Era } from "../core/era.ts";
import { SZ_4G } from "../core/u32.ts";
import type { Platform } from "./platform.ts";

/** The zones a kernel era may configure, lowest first; mm imports this one union. */
export type ZoneName = "DMA" | "DMA32" | "NORMAL";

export interface Zone {
  readonly name: ZoneName;
  /** First pfn of the span (equal to endPfn for an empty zone). */
  readonly startPfn: number;
  /** Exclusive. */
  readonly endPfn: number;
  /** Pages of RAM inside the span (holes between banks are not present). */
  readonly presentPages: number;
}

/** The zones of `platform` under `era`, lowest first (the kernel's zone index order). */
export function zonesFor(platform: Platform, era: Era): Zone[] {
  if (platform.ram.length === 0) throw new RangeError(`zonesFor: platform ${platform.name} has no RAM banks`);
  const dramStart = Math.min(...platform.ram.map((b) => b.start));
  const dramEnd = Math.max(...platform.ram.map((b) => b.end));
  const limits = zoneLimits(platform, era, dramStart, dramEnd);
  const zones: Zone[] = [];
  let prev = dramStart;
  for (const [name, limit] of limits) {
    const end = Math.min(Math.max(limit, prev), dramEnd);
    const startPfn = Math.floor(prev / PAGE_SIZE);
    const endPfn = Math.floor(end / PAGE_SIZE);
    zones.push({ name, startPfn, endPfn, presentPages: presentIn(platform, startPfn, endPfn) });
    prev = end;
  }
  return zones;
}

/** Upper physical limit (exclusive) of each configured zone, lowest first; NORMAL takes the rest. */
function zoneLimits(platform: Platform, era: Era, dramStart: number, dramEnd: number): [ZoneName, number][] {
  switch (era.zones) {
    case "dma-4g":
      // <= v4.14 max_zone_dma_phys(): the 4 GiB window that holds the start of DRAM.
      return [["DMA", Math.min(Math.floor(dramStart / SZ_4G) * SZ_4G + SZ_4G, dramEnd)], ["NORMAL", Infinity]];
    case "dma32-only":
      // ad67f5a6545f "arm64: replace ZONE_DMA with ZONE_DMA32" (v4.15): same boundary, renamed.
      return [["DMA32", Math.min(Math.floor(dramStart / SZ_4G) * SZ_4G + SZ_4G, dramEnd)], ["NORMAL", Infinity]];
    case "dma30-dma32":
      // 1a8e1cef7603 "arm64: use both ZONE_DMA and ZONE_DMA32" (v5.5): max_zone_phys(30) and (32).
      return [
        ["DMA", maxZonePhysOld(30, dramStart, dramEnd)],
        ["DMA32", maxZonePhysOld(32, dramStart, dramEnd)],
        ["NORMAL", Infinity],
      ];
    case "dma-from-ranges": {
      // 8424ecdde7df "arm64: mm: Set ZONE_DMA size based on devicetree's dma-ranges" (v5.11).
      const dmaLimit = Math.min(platform.dmaRangesLimit ?? SZ_4G, SZ_4G);
      return [
        ["DMA", maxZonePhysNew(dmaLimit, dramStart, dramEnd)],
        ["DMA32", maxZonePhysNew(SZ_4G, dramStart, dramEnd)],
        ["NORMAL", Infinity],
      ];
    }
  }
}

/** v5.5-v5.10 max_zone_phys(bits): `bits` above the 4 GiB window holding DRAM start, capped at DRAM end. */
function maxZonePhysOld(bits: number, dramStart: number, dramEnd: number): number {
  return Math.min(Math.floor(dramStart / SZ_4G) * SZ_4G + 2 ** bits, dramEnd);
}

/**
 * v5.11+ max_zone_phys(limit): DRAM starting above 4 GiB puts everything in the zone, DRAM starting
 * above the limit (but below 4 GiB) caps the zone at 4 GiB, otherwise min(limit, DRAM end).
 */
function maxZonePhysNew(limit: number, dramStart: number, dramEnd: number): number {
  if (dramStart >= SZ_4G) return dramEnd;
  if (dramStart >= limit) return Math.min(SZ_4G, dramEnd);
  return Math.min(limit, dramEnd);
}

function presentIn(platform: Platform, startPfn: number, endPfn: number): number {
  let n = 0;
  for (const b of platform.ram) {
    const s = Math.max(startPfn, Math.floor(b.start / PAGE_SIZE));
    const e = Math.min(endPfn, Math.floor(b.end / PAGE_SIZE));
    if (e > s) n += e - s;
  }
  return n;
}
