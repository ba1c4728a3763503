// SPDX-License-Identifier: GPL-2.0-only
/**
 * iommu_pgsize (drivers/iommu/iommu.c): which page size, and how many pages of it, the core hands the
 * driver for the next piece of a map or unmap. Addresses may exceed 32 bits (35-bit PAs), so the bit
 * arithmetic works on remainders instead of JS bitwise operators.
 */
import { ffs, fls } from "../core/bits.ts";

export interface PgsizeChoice {
  readonly pgsize: number;
  /** Pages of `pgsize` in this step; always 1 before map_pages (v5.15). */
  readonly count: number;
}

/** Lowest set bit index of iova | paddr, or -1 when both are 0 (addr_merge == 0: no alignment limit). */
function ffsMerge(iova: number, paddr: number): number {
  if (iova === 0 && paddr === 0) return -1;
  if (iova === 0) return ffs(paddr);
  if (paddr === 0) return ffs(iova);
  return Math.min(ffs(iova), ffs(paddr));
}

/**
 * `batched` selects the v5.15+ form with a count (and the look-ahead that stops a run of small pages
 * where a bigger page can start); false is the older form: one page per call.
 * Throws RangeError where the kernel would BUG(): no supported size fits.
 */
export function iommuPgsize(bitmap: number, iova: number, paddr: number, size: number, batched = true): PgsizeChoice {
  if (!(size > 0) || !Number.isSafeInteger(size)) throw new RangeError(`iommu_pgsize: size ${size} must be a positive integer`);
  // Sizes the hardware supports and that fit in `size`, then those the alignment allows.
  const maxIdx = fls(size) - 1;
  const alignIdx = ffsMerge(iova, paddr);
  let pgsizeIdx = -1;
  for (let b = 0; b < 32; b++) {
    if (((bitmap >>> b) & 1) === 0) continue;
    if (b > maxIdx) break;
    if (alignIdx >= 0 && b > alignIdx) break;
    pgsizeIdx = b;
  }
  if (pgsizeIdx < 0) {
    throw new RangeError(
      `iommu_pgsize: no page size in bitmap 0x${bitmap.toString(16)} fits iova 0x${iova.toString(16)} pa 0x${paddr.toString(16)} size 0x${size.toString(16)} (kernel BUG)`,
    );
  }
  const pgsize = 2 ** pgsizeIdx;
  if (!batched) return { pgsize, count: 1 };
  let runSize = size;
  let nextIdx = -1;
  for (let b = pgsizeIdx + 1; b < 32; b++) {
    if (((bitmap >>> b) & 1) !== 0) {
      nextIdx = b;
      break;
    }
  }
  if (nextIdx >= 0) {
    const next = 2 ** nextIdx;
    // Only worth stopping early when iova and paddr sit at the same offset within the bigger page.
    if (iova % next === paddr % next) {
      const offset = next - ((iova % next) | (paddr % next));
      if (offset + next <= size) runSize = offset;
    }
  }
  return { pgsize, count: Math.floor(runSize / pgsize) };
}
