// SPDX-License-Identifier: GPL-2.0-only
/**
 * iommu_pgsize (drivers/iommu/iommu.c): which page size, and how many pages of it, the core hands the
 * driver for the next piece of a map or unmap.
 *
 * It runs once per page on the v4.19 path, so it works with integer bit operations: the bitmap has 32
 * bits, so only the low 32 bits of iova and paddr can limit the alignment, and `x >>> 0` is exactly
 * x mod 2^32 for any non-negative integer (35-bit PAs included). Sizes of 2^32 or more are rare (a whole
 * 4 GiB request) and take the division path.
 */
import { ffs, fls } from "../core/bits.ts";

export interface PgsizeChoice {
  readonly pgsize: number;
  /** Pages of `pgsize` in this step; always 1 before map_pages (v5.15). */
  readonly count: number;
}

/** A caller-owned result record for `iommuPgsizeInto` (reused per call: nothing allocated). */
export interface PgsizeOut {
  pgsize: number;
  count: number;
}

/**
 * `batched` selects the v5.15+ form with a count (and the look-ahead that stops a run of small pages
 * where a bigger page can start); false is the older form: one page per call.
 * Throws RangeError where the kernel would BUG(): no supported size fits.
 */
export function iommuPgsize(bitmap: number, iova: number, paddr: number, size: number, batched = true): PgsizeChoice {
  const out: PgsizeOut = { pgsize: 0, count: 0 };
  iommuPgsizeInto(out, bitmap, iova, paddr, size, batched);
  return out;
}

/** iommuPgsize with the answer written to `out`; returns `out.pgsize`. */
export function iommuPgsizeInto(out: PgsizeOut, bitmap: number, iova: number, paddr: number, size: number, batched: boolean): number {
  if (!(size > 0) || !Number.isSafeInteger(size)) throw new RangeError(`iommu_pgsize: size ${size} must be a positive integer`);
  // The highest bitmap bit that fits in `size` and that the alignment of iova | paddr allows. A merged
  // low word of 0 (both addresses 4 GiB-aligned, or 0 = addr_merge 0) leaves every bitmap bit allowed.
  const sizeIdx = fls(size) - 1;
  const merged = ((iova >>> 0) | (paddr >>> 0)) >>> 0;
  const alignIdx = merged === 0 ? 31 : 31 - Math.clz32(merged & -merged);
  const limit = sizeIdx < alignIdx ? sizeIdx : alignIdx;
  // Bits 0..limit of the bitmap; limit 31 keeps all 32 (a shift count of 32 would wrap to 0).
  const allowed = limit >= 31 ? bitmap >>> 0 : (bitmap & ((2 << limit) - 1)) >>> 0;
  if (allowed === 0) {
    throw new RangeError(
      `iommu_pgsize: no page size in bitmap 0x${bitmap.toString(16)} fits iova 0x${iova.toString(16)} pa 0x${paddr.toString(16)} size 0x${size.toString(16)} (kernel BUG)`,
    );
  }
  const pgsizeIdx = 31 - Math.clz32(allowed);
  const pgsize = (1 << pgsizeIdx) >>> 0;
  out.pgsize = pgsize;
  if (!batched) {
    out.count = 1;
    return pgsize;
  }
  let runSize = size;
  // The next supported size above pgsize: the lowest bitmap bit above pgsizeIdx.
  const above = pgsizeIdx >= 31 ? 0 : (bitmap & ~((2 << pgsizeIdx) - 1)) >>> 0;
  if (above !== 0) {
    const nextMask = ((above & -above) >>> 0) - 1;
    const next = nextMask + 1;
    const iovaOff = (iova >>> 0) & nextMask;
    // Only worth stopping early when iova and paddr sit at the same offset within the bigger page.
    if (iovaOff === ((paddr >>> 0) & nextMask)) {
      const offset = next - iovaOff;
      if (offset + next <= size) runSize = offset;
    }
  }
  out.count = runSize < 0x1_0000_0000 ? runSize >>> pgsizeIdx : Math.floor(runSize / pgsize);
  return pgsize;
}
