// SPDX-License-Identifier: GPL-2.0-only
/**
 * Zone watermarks and lowmem_reserve as mm/page_alloc.c computes them at boot (init_per_zone_wmark_min,
 * __setup_per_zone_wmarks, setup_per_zone_lowmem_reserve). Simplifications, all documented:
 * - managed pages are what the caller passes: present minus the memblock reservations boot.ts models
 *   (memmap, swiotlb) on the kernel's boot path, present pages on bootKernelMemory's (no reservations);
 * - min_free_kbytes = int_sqrt(lowmem_kbytes * 16) clamped to [128, 65536] (the v5.7 raise of the
 *   upper bound to 262144 only matters above 256 GiB), with no THP "recommended" bump (khugepaged's
 *   set_recommended_min_free_kbytes is not modelled);
 * - watermark_scale_factor 10 and no watermark boost.
 */
import type { ZoneName } from "../phys/zones.ts";

/** sysctl_lowmem_reserve_ratio defaults by zone type. */
export const LOWMEM_RESERVE_RATIO: Readonly<Record<ZoneName, number>> = { DMA: 256, DMA32: 256, NORMAL: 32 };
export const WATERMARK_SCALE_FACTOR = 10;

export interface ZoneWatermarks {
  readonly min: number;
  readonly low: number;
  readonly high: number;
  /** lowmem_reserve[j]: pages this zone keeps back from an allocation whose requested zone index is j. */
  readonly lowmemReserve: readonly number[];
}

/** min_free_kbytes for `lowmemPages` pages of 4 KiB below highmem. */
export function minFreeKbytes(lowmemPages: number): number {
  const lowmemKbytes = lowmemPages * 4;
  return Math.min(65536, Math.max(128, Math.floor(Math.sqrt(lowmemKbytes * 16))));
}

/**
 * Watermarks for zones given lowest first with their managed page counts. `minFreeKb` overrides the
 * computed min_free_kbytes (the sysctl).
 */
export function computeWatermarks(zones: readonly { readonly name: ZoneName; readonly managed: number }[], minFreeKb?: number): ZoneWatermarks[] {
  const lowmemPages = zones.reduce((n, z) => n + z.managed, 0);
  const kb = minFreeKb ?? minFreeKbytes(lowmemPages);
  const pagesMin = Math.floor(kb / 4);
  return zones.map((z, i) => {
    // Each zone gets its share of min_free_kbytes in proportion to its size.
    const min = lowmemPages === 0 ? 0 : Math.floor((pagesMin * z.managed) / lowmemPages);
    // watermark_scale_factor (v4.6, 795ae7a0de6b): the gap is the larger of min/4 and 0.1 % of the zone.
    const gap = Math.max(min >> 2, Math.floor((z.managed * WATERMARK_SCALE_FACTOR) / 10000));
    const lowmemReserve: number[] = [];
    for (let j = 0; j < zones.length; j++) {
      // An empty zone reserves nothing (setup_per_zone_lowmem_reserve's `clear`, v5.10+; harmless before).
      if (j <= i || z.managed === 0) {
        lowmemReserve.push(0);
        continue;
      }
      // Pages of the zones above this one, up to the requested zone j, over this zone's ratio.
      let above = 0;
      for (let k = i + 1; k <= j; k++) above += (zones[k] as { managed: number }).managed;
      lowmemReserve.push(Math.floor(above / LOWMEM_RESERVE_RATIO[z.name]));
    }
    return { min, low: min + gap, high: min + 2 * gap, lowmemReserve };
  });
}
