// SPDX-License-Identifier: GPL-2.0-only
/** u32 helpers. PTEs and registers are numbers in [0, 2^32); physical addresses (up to 35 bits) are plain numbers. */

export const SZ_1K = 0x400;
export const SZ_4K = 0x1000;
export const SZ_64K = 0x10000;
export const SZ_1M = 0x100000;
export const SZ_16M = 0x1000000;
export const SZ_4G = 0x1_0000_0000;

/** Lower 32 bits of a non-negative number that may exceed 2^32 (bitwise ops would drop bits above 31 first). */
export function lower32(x: number): number {
  return x % SZ_4G;
}

/** Bits 63:32 of a non-negative number below 2^53. */
export function upper32(x: number): number {
  return Math.floor(x / SZ_4G);
}

/**
 * @deprecated Moved to core/format.ts (and the bit helpers to core/bits.ts). Re-exported only until
 * src/pgtable, src/lab, src/report and src/cli import from format.ts; delete this line then.
 */
export { bytes, hex, hexGrouped } from "./format.ts";

/** Parses 0x…, decimal, with optional `_` separators. Returns null when it is not a non-negative integer. */
export function parseAddress(text: string): number | null {
  const t = text.trim().replaceAll("_", "");
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) return null;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : null;
}
