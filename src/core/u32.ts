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

/** `0x` + lower-case hex, zero-padded to `digits`. */
export function hex(x: number, digits = 0): string {
  return "0x" + x.toString(16).padStart(digits, "0");
}

/** Hex with `_` every four digits, as the docs write addresses: 0x1_4000_0000. */
export function hexGrouped(x: number): string {
  const h = x.toString(16);
  const parts: string[] = [];
  for (let end = h.length; end > 0; end -= 4) parts.unshift(h.slice(Math.max(0, end - 4), end));
  return "0x" + parts.join("_");
}

/** Human size: 16 KiB, 4 MiB, 1.5 GiB. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = Number.isInteger(v) ? v.toString() : v.toFixed(v < 10 ? 2 : 1);
  return `${s} ${units[i]}`;
}

/** Index of the highest set bit (fls - 1); -1 for 0. Works above 2^32. */
export function log2Floor(x: number): number {
  return x <= 0 ? -1 : Math.floor(Math.log2(x));
}

export function isPowerOfTwo(x: number): boolean {
  return x > 0 && Number.isInteger(x) && 2 ** log2Floor(x) === x;
}

/** Parses 0x…, decimal, with optional `_` separators. Returns null when it is not a non-negative integer. */
export function parseAddress(text: string): number | null {
  const t = text.trim().replaceAll("_", "");
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) return null;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : null;
}
