// SPDX-License-Identifier: GPL-2.0-only
/**
 * Page size and the kernel's bit helpers, defined once. Every function takes a non-negative integer
 * below 2^53 (physical addresses reach 35 bits, so nothing here may use 32-bit bitwise operators on
 * the whole value).
 */

/** The base page of every modelled platform (ARM and arm64 with 4 KiB pages). */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

const SZ_4G = 0x1_0000_0000;

/** fls / fls_long: 1-based index of the highest set bit, 0 for 0. fls(1) = 1, fls(0x1000) = 13. */
export function fls(x: number): number {
  if (x < 1) return 0;
  if (x < SZ_4G) return 32 - Math.clz32(x);
  return 32 + fls(Math.floor(x / SZ_4G));
}

/** __ffs: 0-based index of the lowest set bit (the kernel's ffs() is 1-based; every caller here wants __ffs). */
export function ffs(x: number): number {
  if (x <= 0 || !Number.isSafeInteger(x)) throw new RangeError(`ffs(${x}): needs a positive safe integer`);
  // Bitwise operators see only the low 32 bits, so look there first and step up a word if it is 0.
  // ToUint32 of a safe non-negative integer is exactly its low 32 bits.
  const lo = x >>> 0;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 32 + ffs(Math.floor(x / SZ_4G));
}

/** get_order: the smallest order whose block of pages holds `bytes`; 0 for anything up to one page. */
export function getOrder(bytes: number): number {
  return bytes <= PAGE_SIZE ? 0 : fls(Math.ceil(bytes / PAGE_SIZE) - 1);
}

/** ALIGN: `x` rounded up to a multiple of `a` (any positive `a`; the kernel's callers pass powers of two). */
export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export function isPowerOfTwo(x: number): boolean {
  return Number.isSafeInteger(x) && x > 0 && 2 ** (fls(x) - 1) === x;
}
