// SPDX-License-Identifier: GPL-2.0-only
/** Character codes and the hex-digit table both trace scanners (text and bytes) read lines with. */

export const TAB = 9;
export const NL = 10;
export const CR = 13;
export const SPACE = 32;
export const HASH = 35;
export const DOT = 46;
export const COLON = 58;
export const ZERO = 48;
export const NINE = 57;
export const OPEN = 91;
export const CLOSE = 93;

/** Value of a hex digit byte or code, -1 for any other below 256. */
export const HEX: Readonly<Int8Array> = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[ZERO + i] = i;
  for (let i = 0; i < 6; i++) {
    t[97 + i] = 10 + i;
    t[65 + i] = 10 + i;
  }
  return t;
})();
