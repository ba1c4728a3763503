// SPDX-License-Identifier: GPL-2.0-only
/**
 * Memory zones per kernel era and architecture: which zones the kernel configures and where each one
 * ends. Zones are contiguous [startPfn, endPfn) ranges clamped to the platform's RAM; a configured zone
 * with no RAM under it is kept with zero pages, because it still exists in the kernel (its lowmem_reserve
 * and gfp_zone mapping matter) even though no page is in it. Zones the era or the board's configuration
 * does not have are absent: v4.14 arm64 has no ZONE_DMA32 at all, so GFP_DMA32 there means ZONE_NORMAL
 * (OPT_ZONE_DMA32).
 *
 * arm64 zone_sizes_init (arch/arm64/mm/init.c), with D = memblock_start_of_DRAM(), E = memblock_end_of_DRAM():
 * - `dma-4g` (<= v4.15): max_zone_dma_phys() = min((D & GENMASK_ULL(63, 32)) + 4G, E) (sndrzt/linux-4.15@6ea06264896de7013fffaa7a04379aea73941923).
 * - `dma32-only` (v4.16-v5.4): the same boundary for ZONE_DMA32 (ad67f5a6545f; nojick/test419@968c13927727abc2929e118c361d43f7d649bfd0).
 * - `dma30-dma32` (v5.5-v5.10.21, 1a8e1cef7603): max_zone_phys(bits) = min((D & GENMASK_ULL(63, bits)) + 2^bits, E)
 *   for bits 30 (ZONE_DMA) and 32 (ZONE_DMA32) (Rtoax/linux-5.10.13@d6144f7f8ff1a5f4008e623f86a77a7dc3472d14).
 * - `dma-bits-from-ranges` (v5.10.22 backport, v5.11-v6.12, 8424ecdde7df): zone_dma_bits = min3(32,
 *   fls64(of_dma_get_max_cpu_address), fls64(IORT limit)); max_zone_phys(bits): mask = DMA_BIT_MASK(bits),
 *   PHYS_ADDR_MAX if D > U32_MAX, U32_MAX if D > mask; min(mask, E - 1) + 1
 *   (lemongad/linux-5.10.y@03d7bae82b540f50247853993d98c000c4388cdd, lxdklp/linux-6.6.y@5aa5a1b8c29ffbb5ffc002f8fb1b8ad7b703f47e).
 * - `dma-from-ranges` (v6.13+): zone_dma_limit = min(DT, IORT limit), capped to U32_MAX when D < U32_MAX;
 *   max_zone_phys(limit) = min(limit, E - 1) + 1, for ZONE_DMA32 with DMA_BIT_MASK(32)
 *   (AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4562a5039c9ad24e11d4212b52645).
 * The model has no ACPI: the IORT limit is PHYS_ADDR_MAX, as acpi_iort_dma_get_max_cpu_address returns
 * without IORT.
 *
 * 32-bit arm zone_sizes_init (arch/arm/mm/init.c, same 6.19 tree): ZONE_DMA = min(arm_dma_pfn_limit,
 * max_low) when CONFIG_ZONE_DMA, ZONE_NORMAL up to max_low (lowmem), ZONE_HIGHMEM above. The model has no
 * HIGHMEM zone, so an arm platform's RAM is its lowmem; without a machine dma_zone_size arm_dma_limit is
 * 4 GiB - 1, so ZONE_DMA, when configured, covers all of lowmem.
 */
import { fls, PAGE_SIZE } from "../core/bits.ts";
import type { Era } from "../core/era.ts";
import { SZ_4G } from "../core/u32.ts";
import { checkPlatformEra, type Platform } from "./platform.ts";

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

/**
 * The zones of `platform` under `era`, lowest first (the kernel's zone index order). A preset whose SoC
 * the era's kernel does not support throws PlatformEraError (an InputError naming both releases).
 */
export function zonesFor(platform: Platform, era: Era): Zone[] {
  if (platform.ram.length === 0) throw new RangeError(`zonesFor: platform ${platform.name} has no RAM banks`);
  checkPlatformEra(platform, era);
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
  const config = platform.config ?? { arch: "arm64", zoneDma: true, zoneDma32: true };
  if (config.arch === "arm")
    return config.zoneDma
      ? [
          ["DMA", Math.min(SZ_4G, dramEnd)],
          ["NORMAL", Infinity],
        ]
      : [["NORMAL", Infinity]];
  const limits = arm64ZoneLimits(platform, era, dramStart, dramEnd);
  return limits.filter(([name]) => (name === "DMA" ? config.zoneDma : name === "DMA32" ? config.zoneDma32 : true));
}

function arm64ZoneLimits(platform: Platform, era: Era, dramStart: number, dramEnd: number): [ZoneName, number][] {
  switch (era.zones) {
    case "dma-4g":
      return [
        ["DMA", maxZonePhysWindow(32, dramStart, dramEnd)],
        ["NORMAL", Infinity],
      ];
    case "dma32-only":
      return [
        ["DMA32", maxZonePhysWindow(32, dramStart, dramEnd)],
        ["NORMAL", Infinity],
      ];
    case "dma30-dma32":
      return [
        ["DMA", maxZonePhysWindow(30, dramStart, dramEnd)],
        ["DMA32", maxZonePhysWindow(32, dramStart, dramEnd)],
        ["NORMAL", Infinity],
      ];
    case "dma-bits-from-ranges": {
      const bits = Math.min(32, fls64(dtMaxCpuAddress(platform)));
      return [
        ["DMA", maxZonePhysBits(bits, dramStart, dramEnd)],
        ["DMA32", maxZonePhysBits(32, dramStart, dramEnd)],
        ["NORMAL", Infinity],
      ];
    }
    case "dma-from-ranges": {
      let limit = dtMaxCpuAddress(platform);
      if (dramStart < SZ_4G - 1) limit = Math.min(limit, SZ_4G - 1);
      return [
        ["DMA", maxZonePhysLimit(limit, dramEnd)],
        ["DMA32", maxZonePhysLimit(SZ_4G - 1, dramEnd)],
        ["NORMAL", Infinity],
      ];
    }
  }
}

/** of_dma_get_max_cpu_address(NULL): the smallest dma-ranges CPU end (inclusive); PHYS_ADDR_MAX without one. */
function dtMaxCpuAddress(platform: Platform): number {
  return platform.dmaRangesLimit === null ? Infinity : platform.dmaRangesLimit - 1;
}

/** fls64 for a non-negative address; Infinity stands for PHYS_ADDR_MAX (64 bits). */
function fls64(x: number): number {
  return x === Infinity ? 64 : fls(x);
}

/** <= v5.10.21: the 2^bits window holding the start of DRAM, capped at DRAM end. */
function maxZonePhysWindow(bits: number, dramStart: number, dramEnd: number): number {
  const window = 2 ** bits;
  return Math.min(Math.floor(dramStart / window) * window + window, dramEnd);
}

/** v5.10.22-v6.12 max_zone_phys(zone_bits). */
function maxZonePhysBits(bits: number, dramStart: number, dramEnd: number): number {
  let mask = 2 ** bits - 1;
  if (dramStart > SZ_4G - 1) mask = Infinity;
  else if (dramStart > mask) mask = SZ_4G - 1;
  return Math.min(mask, dramEnd - 1) + 1;
}

/** v6.13+ max_zone_phys(zone_limit). */
function maxZonePhysLimit(limit: number, dramEnd: number): number {
  return Math.min(limit, dramEnd - 1) + 1;
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
