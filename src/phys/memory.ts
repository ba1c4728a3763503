// SPDX-License-Identifier: GPL-2.0-only
/**
 * Sparse physical memory over a 35-bit address space: the single source of truth for bytes. The engine
 * writes PTEs here and the IOMMU walker reads them back, so a wrong pointer is a wrong walk, as on silicon.
 *
 * Storage is in 64 KiB chunks (untouched RAM reads as 0). 64 KiB is the largest naturally aligned table
 * (a 64 KiB L1 with ias 34), so every table lies inside one chunk and `words()` can hand hot paths a
 * zero-copy Uint32Array view; such a chunk is dense (a whole Uint32Array) from then on. A chunk only
 * written word by word (devices touch one word per 4 KiB page) keeps its non-zero words as a short
 * sparse list until it holds SPARSE_MAX of them, so a buffer's worth of device traffic costs bytes, not
 * 64 KiB per chunk. Little-endian: the simulated SoC's order, asserted against the host once below,
 * since typed arrays use host order.
 */
import type { Platform } from "./platform.ts";

export const PHYS_ADDR_BITS = 35;
export const PHYS_LIMIT = 2 ** PHYS_ADDR_BITS;
const CHUNK_SHIFT = 16;
const CHUNK_BYTES = 1 << CHUNK_SHIFT;
const CHUNK_WORDS = CHUNK_BYTES >>> 2;
/** Non-zero words a sparse chunk holds before it becomes dense (6 bytes each against 64 KiB). */
const SPARSE_MAX = 256;

/** A chunk's non-zero words: word indexes and values in parallel arrays, in no particular order. */
class SparseWords {
  keys = new Uint16Array(16);
  vals = new Uint32Array(16);
  n = 0;

  get(w: number): number {
    const keys = this.keys;
    for (let i = 0; i < this.n; i++) if (keys[i] === w) return this.vals[i] as number;
    return 0;
  }

  /** Sets word `w` (a zero removes it); false when it would need more than SPARSE_MAX entries. */
  set(w: number, v: number): boolean {
    const keys = this.keys;
    for (let i = 0; i < this.n; i++) {
      if (keys[i] !== w) continue;
      if (v !== 0) this.vals[i] = v;
      else this.removeAt(i);
      return true;
    }
    if (v === 0) return true;
    if (this.n === keys.length) {
      if (this.n >= SPARSE_MAX) return false;
      const k = new Uint16Array(this.n * 2);
      const x = new Uint32Array(this.n * 2);
      k.set(keys);
      x.set(this.vals);
      this.keys = k;
      this.vals = x;
    }
    this.keys[this.n] = w;
    this.vals[this.n] = v;
    this.n++;
    return true;
  }

  /** Drops the words in [from, to). */
  clear(from: number, to: number): void {
    for (let i = this.n - 1; i >= 0; i--) {
      const k = this.keys[i] as number;
      if (k >= from && k < to) this.removeAt(i);
    }
  }

  copyInto(dense: Uint32Array): void {
    for (let i = 0; i < this.n; i++) dense[this.keys[i] as number] = this.vals[i] as number;
  }

  get bytes(): number {
    return this.keys.byteLength + this.vals.byteLength;
  }

  private removeAt(i: number): void {
    this.n--;
    this.keys[i] = this.keys[this.n] as number;
    this.vals[i] = this.vals[this.n] as number;
  }
}

if (new Uint8Array(new Uint32Array([0x01020304]).buffer)[0] !== 0x04) {
  throw new Error("iommu-lab needs a little-endian host: table words are stored in host-order typed arrays");
}

export interface BusError {
  readonly pa: number;
  readonly access: "read" | "write";
  readonly bytes: number;
}

export class PhysMemory {
  readonly platform: Platform;
  /** Dense chunks; never dropped or replaced, so views from `words()` stay valid. */
  private readonly chunks = new Map<number, Uint32Array>();
  /** Chunks written only word by word so far (never also in `chunks`). */
  private readonly sparse = new Map<number, SparseWords>();
  /** The last dense chunk looked up (-1: none yet). */
  private lastChunkIdx = -1;
  private lastChunk: Uint32Array = new Uint32Array(0);
  private readonly banks: readonly { readonly start: number; readonly end: number }[];
  /** The first bus errors, in order (capped so a runaway walk cannot eat memory); see `busErrorCount`. */
  readonly busErrors: BusError[] = [];
  busErrorCount = 0;
  static readonly MAX_RECORDED_BUS_ERRORS = 1000;

  constructor(platform: Platform) {
    this.platform = platform;
    this.banks = platform.ram;
  }

  /** True when [pa, pa+bytes) lies inside one RAM bank. */
  isRam(pa: number, bytes = 1): boolean {
    const banks = this.banks;
    for (let i = 0; i < banks.length; i++) {
      const b = banks[i] as { readonly start: number; readonly end: number };
      if (pa >= b.start && pa + bytes <= b.end) return true;
    }
    return false;
  }

  /** Reads a little-endian u32; an access outside RAM is a recorded bus error that reads as 0. */
  read32(pa: number): number {
    checkAligned(pa, 4);
    if (!this.isRam(pa, 4)) {
      this.busError(pa, "read", 4);
      return 0;
    }
    return this.wordAt(Math.floor(pa / CHUNK_BYTES), (pa % CHUNK_BYTES) >>> 2);
  }

  /**
   * The table walker's read: the word at a 4-byte aligned `pa`, or -1 when [pa, pa+4) is not RAM (a
   * bus error the caller records, if it issues the read, through read32). No checks beyond RAM, no
   * record. The last chunk read is remembered (chunks are never dropped): a walk's L1 and L2 words come
   * from the same few chunks.
   */
  peek32(pa: number): number {
    if (!this.isRam(pa, 4)) return -1;
    const idx = Math.floor(pa / CHUNK_BYTES);
    if (idx === this.lastChunkIdx) return this.lastChunk[((pa >>> 0) & (CHUNK_BYTES - 1)) >>> 2] as number;
    return this.wordAt(idx, ((pa >>> 0) & (CHUNK_BYTES - 1)) >>> 2);
  }

  /** Writes a little-endian u32; returns false (and records a bus error) outside RAM. */
  write32(pa: number, value: number): boolean {
    checkAligned(pa, 4);
    if (!this.isRam(pa, 4)) {
      this.busError(pa, "write", 4);
      return false;
    }
    const idx = Math.floor(pa / CHUNK_BYTES);
    const w = (pa % CHUNK_BYTES) >>> 2;
    const v = value >>> 0;
    const dense = idx === this.lastChunkIdx ? this.lastChunk : this.denseChunk(idx);
    if (dense !== undefined) {
      dense[w] = v;
      return true;
    }
    let sp = this.sparse.get(idx);
    if (sp === undefined) {
      if (v === 0) return true;
      sp = new SparseWords();
      this.sparse.set(idx, sp);
    }
    if (!sp.set(w, v)) this.chunk(idx)[w] = v;
    return true;
  }

  /**
   * A zero-copy view of `count` words at `pa` for hot paths (the engine's tables). The range must be
   * RAM, 4-byte aligned, and inside one 64 KiB chunk; the chunk materialises if it was untouched.
   */
  words(pa: number, count: number): Uint32Array {
    checkAligned(pa, 4);
    const offset = pa % CHUNK_BYTES;
    if (offset + count * 4 > CHUNK_BYTES) {
      throw new RangeError(`PhysMemory.words(${fmt(pa)}, ${count}): crosses a 64 KiB chunk boundary`);
    }
    if (!this.isRam(pa, count * 4)) throw new RangeError(`PhysMemory.words(${fmt(pa)}, ${count}): not RAM`);
    const start = offset >>> 2;
    return this.chunk(Math.floor(pa / CHUNK_BYTES)).subarray(start, start + count);
  }

  /** Sets [pa, pa+bytes) to zero without materialising untouched chunks. */
  zero(pa: number, bytes: number): void {
    checkAligned(pa, 4);
    checkAligned(bytes, 4);
    let at = pa;
    const end = pa + bytes;
    while (at < end) {
      const idx = Math.floor(at / CHUNK_BYTES);
      const chunkEnd = Math.min(end, (idx + 1) * CHUNK_BYTES);
      const from = (at % CHUNK_BYTES) >>> 2;
      const to = (((chunkEnd - 1) % CHUNK_BYTES) >>> 2) + 1;
      const chunk = this.chunks.get(idx);
      if (chunk !== undefined) chunk.fill(0, from, to);
      else {
        const sp = this.sparse.get(idx);
        if (sp !== undefined) {
          sp.clear(from, to);
          if (sp.n === 0) this.sparse.delete(idx);
        }
      }
      at = chunkEnd;
    }
  }

  /** Fills [pa, pa+bytes) with a repeated u32 pattern (device buffers, stray-DMA detection). */
  fill32(pa: number, bytes: number, value: number): void {
    for (let at = pa; at < pa + bytes; at += 4) this.write32(at, value);
  }

  /** Bytes of host memory the model holds for simulated RAM. */
  get materialisedBytes(): number {
    let n = this.chunks.size * CHUNK_BYTES;
    for (const sp of this.sparse.values()) n += sp.bytes;
    return n;
  }

  /** Word `w` of chunk `idx`, wherever it is held. */
  private wordAt(idx: number, w: number): number {
    const dense = this.denseChunk(idx);
    if (dense !== undefined) return dense[w] as number;
    const sp = this.sparse.get(idx);
    return sp === undefined ? 0 : sp.get(w);
  }

  /** The dense chunk `idx` if it is one (remembered as the last chunk looked up). */
  private denseChunk(idx: number): Uint32Array | undefined {
    const c = this.chunks.get(idx);
    if (c !== undefined) {
      this.lastChunkIdx = idx;
      this.lastChunk = c;
    }
    return c;
  }

  /** Chunk `idx` as a dense array, made so (from its sparse words, or zeros) if it was not. */
  private chunk(idx: number): Uint32Array {
    let c = this.denseChunk(idx);
    if (c === undefined) {
      c = new Uint32Array(CHUNK_WORDS);
      const sp = this.sparse.get(idx);
      if (sp !== undefined) {
        sp.copyInto(c);
        this.sparse.delete(idx);
      }
      this.chunks.set(idx, c);
      this.lastChunkIdx = idx;
      this.lastChunk = c;
    }
    return c;
  }

  private busError(pa: number, access: "read" | "write", bytes: number): void {
    this.busErrorCount++;
    if (this.busErrors.length < PhysMemory.MAX_RECORDED_BUS_ERRORS) this.busErrors.push({ pa, access, bytes });
  }
}

function checkAligned(x: number, align: number): void {
  if (!Number.isSafeInteger(x) || x < 0 || x % align !== 0 || x >= PHYS_LIMIT) {
    throw new RangeError(`physical address ${fmt(x)} is not ${align}-byte aligned inside the 35-bit space`);
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? "0x" + x.toString(16) : String(x);
}
