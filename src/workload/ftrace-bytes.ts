// SPDX-License-Identifier: GPL-2.0-only
/**
 * The byte-level fast path of the ftrace text parser (ftrace.ts): one line of raw UTF-8 bytes read as a
 * well-formed `iommu:map` / `iommu:unmap` event, with no string made. It accepts a line only when the
 * string scanner would take the same event from it, and declines (false) everything else: non-ASCII
 * bytes, blank and comment lines, other events, lost-event markers, a `map:` that is not the event
 * name, and every malformed or unusual field (more than 16 hex digits, a value above 2^53, a timestamp
 * of more than 15 digits). The caller then decodes the line and gives it to the string scanner, which
 * counts it, and words and counts any error, exactly as before.
 *
 * Every test below mirrors one in FtraceParser (parseLine, tryEvent, parseMap/parseUnmap, noteHeader),
 * in the same order, on byte codes instead of char codes: on an ASCII line they are the same numbers.
 */

/** What scanEventLine read from a line it accepted; one object reused for every line. */
export interface ScannedEvent {
  unmap: boolean;
  iova: number;
  /** map only. */
  paddr: number;
  size: number;
  /** unmap only. */
  unmappedSize: number;
  /** The v5.17+ `iova=A - B` form. */
  range: boolean;
  /** The header timestamp (seconds); -1 when the line has none. */
  ts: number;
  /** The header CPU; -1 when the line has none. */
  cpu: number;
}

export function newScannedEvent(): ScannedEvent {
  return { unmap: false, iova: 0, paddr: 0, size: 0, unmappedSize: 0, range: false, ts: -1, cpu: -1 };
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const TAB = 9;
const CR = 13;
const SPACE = 32;
const HASH = 35;
const DOT = 46;
const COLON = 58;
const ZERO = 48;
const NINE = 57;
const OPEN = 91;
const CLOSE = 93;

/** Value of a hex digit byte, -1 for any other byte. */
const HEX: Readonly<Int8Array> = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[ZERO + i] = i;
  for (let i = 0; i < 6; i++) {
    t[97 + i] = 10 + i;
    t[65 + i] = 10 + i;
  }
  return t;
})();

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const IOMMU_PREFIX = ascii("iommu:");
const IOMMU_TAG = ascii("IOMMU:");
const IOVA = ascii("iova=0x");
const RANGE = ascii(" - 0x");
const PADDR = ascii(" paddr=0x");
const SIZE = ascii(" size=");
const UNMAPPED = ascii(" unmapped_size=");

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** `word` at b[p..], wholly before `end`. */
function at(b: Uint8Array, p: number, end: number, word: Uint8Array): boolean {
  const n = word.length;
  if (p + n > end) return false;
  for (let k = 0; k < n; k++) if (b[p + k] !== word[k]) return false;
  return true;
}

/** Scanner cursor after the last field read (module state: the scanner never re-enters itself). */
let cur = 0;

/**
 * 1 to 16 hex digits at `p`, at most 2^53 - 1; sets `cur` after them; -1 otherwise. The value is built as
 * two 32-bit halves of integer shifts, not a float chain: the same exact integer, several times sooner.
 */
function hex(b: Uint8Array, p: number, end: number): number {
  const start = p;
  while (p < end && (HEX[b[p] as number] as number) >= 0) p++;
  const n = p - start;
  if (n === 0 || n > 16) return -1;
  const split = n > 8 ? p - 8 : start;
  let hi = 0;
  for (let k = start; k < split; k++) hi = (hi << 4) | (HEX[b[k] as number] as number);
  let lo = 0;
  for (let k = split; k < p; k++) lo = (lo << 4) | (HEX[b[k] as number] as number);
  hi >>>= 0;
  // hi holds the digits above the low 32 bits: 2^53 and more when it reaches 2^21.
  if (hi >= 0x200000) return -1;
  cur = p;
  return hi * 0x100000000 + (lo >>> 0);
}

/** %zu at `p`, at most 20 digits and 2^53 - 1; sets `cur` after it; -1 otherwise. */
function dec(b: Uint8Array, p: number, end: number): number {
  const start = p;
  // Up to 9 digits stay below 2^31: integer steps; longer numbers go on as the float chain decField uses.
  let small = 0;
  const fast = Math.min(end, p + 9);
  while (p < fast) {
    const c = b[p] as number;
    if (c < ZERO || c > NINE) break;
    small = (small * 10 + (c - ZERO)) | 0;
    p++;
  }
  let v = small;
  while (p < end) {
    const c = b[p] as number;
    if (c < ZERO || c > NINE) break;
    v = v * 10 + (c - ZERO);
    p++;
  }
  if (p === start || p - start > 20 || v > MAX_SAFE) return -1;
  cur = p;
  return v;
}

/**
 * Reads the line b[start, end) (no newline; a trailing CR is dropped) into `r` when it is a well-formed
 * map or unmap event in one of the layouts the string scanner takes; false leaves it to that scanner.
 */
export function scanEventLine(b: Uint8Array, start: number, end: number, r: ScannedEvent): boolean {
  if (end > start && b[end - 1] === CR) end--;
  let p = start;
  while (p < end && isBlank(b[p] as number)) p++;
  if (p === end || b[p] === HASH) return false;
  const ls = p;
  // The first "map:" of the line, as indexOf would find it; the bytes before it must be ASCII.
  let i = -1;
  for (let k = p; k < end; k++) {
    const c = b[k] as number;
    if (c >= 128) return false;
    if (c === COLON && k - 3 >= ls && b[k - 1] === 112 /* p */ && b[k - 2] === 97 /* a */ && b[k - 3] === 109 /* m */) {
      i = k - 3;
      break;
    }
  }
  if (i < 0) return false;
  // tryEvent: the name is `map:`/`unmap:` (maybe `iommu:`-prefixed) followed by a blank, at the line's
  // start or after blanks that follow `<digit>:`. Anything else the string scanner searches on from.
  const after = i + 4;
  if (after < end && !isBlank(b[after] as number)) return false;
  let nameStart = i;
  const unmap = i - 2 >= ls && b[i - 2] === 117 /* u */ && b[i - 1] === 110; /* n */
  if (unmap) nameStart = i - 2;
  if (nameStart - 6 >= ls && at(b, nameStart - 6, end, IOMMU_PREFIX)) nameStart -= 6;
  let q = nameStart - 1;
  if (nameStart > ls) {
    if (!isBlank(b[q] as number)) return false;
    while (q >= ls && isBlank(b[q] as number)) q--;
    if (q >= ls && (b[q] !== COLON || q - 1 < ls || !isDigit(b[q - 1] as number))) return false;
  }
  // The payload (parseMap / parseUnmap); the first field that is not as expected declines the line.
  p = after;
  while (p < end && isBlank(b[p] as number)) p++;
  if (!at(b, p, end, IOMMU_TAG)) return false;
  p += 6;
  while (p < end && isBlank(b[p] as number)) p++;
  if (!at(b, p, end, IOVA)) return false;
  const iova = hex(b, p + 7, end);
  if (iova < 0) return false;
  p = cur;
  let rangeEnd = -1;
  if (at(b, p, end, RANGE)) {
    rangeEnd = hex(b, p + 5, end);
    if (rangeEnd < 0) return false;
    p = cur;
  }
  let paddr = 0;
  if (!unmap) {
    if (!at(b, p, end, PADDR)) return false;
    paddr = hex(b, p + 9, end);
    if (paddr < 0) return false;
    p = cur;
  }
  if (!at(b, p, end, SIZE)) return false;
  const size = dec(b, p + 6, end);
  if (size < 0) return false;
  p = cur;
  let unmappedSize = 0;
  if (unmap) {
    if (!at(b, p, end, UNMAPPED)) return false;
    unmappedSize = dec(b, p + 15, end);
    if (unmappedSize < 0) return false;
    p = cur;
  }
  while (p < end && isBlank(b[p] as number)) p++;
  if (p !== end) return false;
  if (rangeEnd >= 0 && rangeEnd !== iova + size) return false;
  // noteHeader: `<secs>.<frac>:` before the name, then the nearest `[<cpu>]` before that.
  let ts = -1;
  let cpu = -1;
  q = nameStart - 1;
  while (q >= ls && isBlank(b[q] as number)) q--;
  if (q >= ls && b[q] === COLON) {
    const tsEnd = q;
    q--;
    let v = 0;
    let digits = 0;
    let dots = 0;
    while (q >= ls) {
      const c = b[q] as number;
      if (c === DOT) dots++;
      else if (c >= ZERO && c <= NINE) digits++;
      else break;
      q--;
    }
    // decimalAt: more than 15 digits goes through Number() on the text; the string scanner does that.
    if (digits > 15) return false;
    if (digits > 0 && dots <= 1) {
      let dot = -1;
      for (let k = q + 1; k < tsEnd; k++) {
        const c = b[k] as number;
        if (c === DOT) dot = k;
        else v = v * 10 + (c - ZERO);
      }
      ts = dot < 0 ? v : v / (POW10[tsEnd - dot - 1] as number);
    }
    // The last "]" at most 12 before the timestamp, and the last "[" 2 to 6 before it, digits between.
    let close = -1;
    for (let k = q, lo = Math.max(ls, q - 12); k >= lo; k--) {
      if (b[k] === CLOSE) {
        close = k;
        break;
      }
    }
    if (close >= 0) {
      let open = -1;
      for (let k = close - 1, lo = Math.max(ls, close - 6); k >= lo; k--) {
        if (b[k] === OPEN) {
          open = k;
          break;
        }
      }
      if (open >= 0 && close - open >= 2) {
        let n = 0;
        let k = open + 1;
        for (; k < close; k++) {
          const c = b[k] as number;
          if (c < ZERO || c > NINE) break;
          n = n * 10 + (c - ZERO);
        }
        if (k === close) cpu = n;
      }
    }
  }
  r.unmap = unmap;
  r.iova = iova;
  r.paddr = paddr;
  r.size = size;
  r.unmappedSize = unmappedSize;
  r.range = rangeEnd >= 0;
  r.ts = ts;
  r.cpu = cpu;
  return true;
}
