// SPDX-License-Identifier: GPL-2.0-only
/** How numbers are written for people: addresses in hex, sizes in binary units. */

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
