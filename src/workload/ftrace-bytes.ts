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
import { CLOSE, COLON, CR, DOT, HASH, HEX, NINE, NL, OPEN, SPACE, TAB, ZERO } from "./ascii.ts";

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

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * A word to match as little-endian 32-bit loads: at offsets 0, 4, ... and a last one ending with the word
 * (overlapping the one before), so 4 to 16 bytes take 2 to 4 compares instead of one per byte.
 */
interface Word {
  readonly length: number;
  readonly at: Int32Array;
  readonly value: Int32Array;
}

function word(text: string): Word {
  const n = text.length;
  const offsets: number[] = [];
  for (let o = 0; o + 4 < n; o += 4) offsets.push(o);
  offsets.push(n - 4);
  const value = offsets.map((o) => text.charCodeAt(o) | (text.charCodeAt(o + 1) << 8) | (text.charCodeAt(o + 2) << 16) | (text.charCodeAt(o + 3) << 24) | 0);
  return { length: n, at: Int32Array.from(offsets), value: Int32Array.from(value) };
}

const IOMMU_PREFIX = word("iommu:");
const IOMMU_TAG = word("IOMMU:");
const IOVA = word("iova=0x");
const RANGE = word(" - 0x");
const PADDR = word(" paddr=0x");
const SIZE = word(" size=");
const UNMAPPED = word(" unmapped_size=");
/** "0000" as a little-endian 32-bit load. */
const ZEROS = 0x30303030;
const COLONS = 0x3a3a3a3a;
const NLS = 0x0a0a0a0a;
const ONES = 0x01010101;
const HIGHS = 0x80808080 | 0;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** `w` at p, wholly before `end` (which is within the view). */
function at(v: DataView, p: number, end: number, w: Word): boolean {
  if (p + w.length > end) return false;
  const offs = w.at;
  const vals = w.value;
  for (let k = 0; k < offs.length; k++) if (v.getInt32(p + (offs[k] as number), true) !== vals[k]) return false;
  return true;
}

/** Scanner cursor after the last field read (module state: the scanner never re-enters itself). */
let cur = 0;

/**
 * 1 to 16 hex digits at `p`, at most 2^53 - 1; sets `cur` after them; -1 otherwise. The digits shift
 * through a 64-bit register of two int32 halves, not a float chain: the same exact integer, sooner.
 */
function hex(b: Uint8Array, v: DataView, p: number, end: number): number {
  const start = p;
  // Leading zeros (%016llx pads with them) four at a time: they add digits, not value.
  while (p + 4 <= end && v.getInt32(p, true) === ZEROS) p += 4;
  let hi = 0;
  let lo = 0;
  while (p < end) {
    const d = HEX[b[p] as number] as number;
    if (d < 0) break;
    hi = (hi << 4) | (lo >>> 28);
    lo = (lo << 4) | d;
    p++;
  }
  const n = p - start;
  // hi holds bits 32 to 63: the value is 2^53 or more once it reaches 2^21.
  if (n === 0 || n > 16 || hi >>> 0 >= 0x200000) return -1;
  cur = p;
  return (hi >>> 0) * 0x100000000 + (lo >>> 0);
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
 * Reads the line that starts at b[start] (`v` views the same bytes) into `r` when it is a well-formed map or unmap event in one of
 * the layouts the string scanner takes, and returns the position of its newline (found by reading the
 * line, so no search for it); -1 leaves the line to the string scanner. A newline must come before
 * `end`. A CR before the newline is dropped, as parseLine drops it.
 */
export function scanEventLine(b: Uint8Array, v: DataView, start: number, end: number, r: ScannedEvent): number {
  let p = start;
  while (p < end && isBlank(b[p] as number)) p++;
  if (p === end || b[p] === HASH) return -1;
  const ls = p;
  // The first "map:" of the line, as indexOf would find it; the bytes before it must be ASCII.
  let i = -1;
  let k = p;
  // Four bytes at a time while none is ':', a newline or non-ASCII (the zero-byte test of x ^ pattern).
  while (k + 4 <= end) {
    const x = v.getInt32(k, true);
    const c = x ^ COLONS;
    const n = x ^ NLS;
    if ((((c - ONES) & ~c) | ((n - ONES) & ~n) | x) & HIGHS) break;
    k += 4;
  }
  for (; k < end; k++) {
    const c = b[k] as number;
    if (c >= 128 || c === NL) return -1;
    if (c === COLON && k - 3 >= ls && b[k - 1] === 112 /* p */ && b[k - 2] === 97 /* a */ && b[k - 3] === 109 /* m */) {
      i = k - 3;
      break;
    }
  }
  if (i < 0) return -1;
  // tryEvent: the name is `map:`/`unmap:` (maybe `iommu:`-prefixed) followed by a blank, at the line's
  // start or after blanks that follow `<digit>:`. Anything else the string scanner searches on from.
  const after = i + 4;
  if (after < end && !isBlank(b[after] as number)) return -1;
  let nameStart = i;
  const unmap = i - 2 >= ls && b[i - 2] === 117 /* u */ && b[i - 1] === 110; /* n */
  if (unmap) nameStart = i - 2;
  if (nameStart - 6 >= ls && at(v, nameStart - 6, end, IOMMU_PREFIX)) nameStart -= 6;
  let q = nameStart - 1;
  if (nameStart > ls) {
    if (!isBlank(b[q] as number)) return -1;
    while (q >= ls && isBlank(b[q] as number)) q--;
    if (q >= ls && (b[q] !== COLON || q - 1 < ls || !isDigit(b[q - 1] as number))) return -1;
  }
  // The payload (parseMap / parseUnmap); the first field that is not as expected declines the line.
  p = after;
  while (p < end && isBlank(b[p] as number)) p++;
  if (!at(v, p, end, IOMMU_TAG)) return -1;
  p += 6;
  while (p < end && isBlank(b[p] as number)) p++;
  if (!at(v, p, end, IOVA)) return -1;
  const iova = hex(b, v, p + 7, end);
  if (iova < 0) return -1;
  p = cur;
  let rangeEnd = -1;
  if (at(v, p, end, RANGE)) {
    rangeEnd = hex(b, v, p + 5, end);
    if (rangeEnd < 0) return -1;
    p = cur;
  }
  let paddr = 0;
  if (!unmap) {
    if (!at(v, p, end, PADDR)) return -1;
    paddr = hex(b, v, p + 9, end);
    if (paddr < 0) return -1;
    p = cur;
  }
  if (!at(v, p, end, SIZE)) return -1;
  const size = dec(b, p + 6, end);
  if (size < 0) return -1;
  p = cur;
  let unmappedSize = 0;
  if (unmap) {
    if (!at(v, p, end, UNMAPPED)) return -1;
    unmappedSize = dec(b, p + 15, end);
    if (unmappedSize < 0) return -1;
    p = cur;
  }
  while (p < end && isBlank(b[p] as number)) p++;
  let nl = p;
  if (b[p] === CR) nl++;
  if (nl >= end || b[nl] !== NL) return -1;
  if (rangeEnd >= 0 && rangeEnd !== iova + size) return -1;
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
    if (digits > 15) return -1;
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
  return nl;
}
