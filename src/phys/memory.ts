// SPDX-License-Identifier: GPL-2.0-only
/**
 * Sparse physical memory over a 35-bit address space: the single source of truth for bytes. The engine
 * writes PTEs here and the IOMMU walker reads them back, so a wrong pointer is a wrong walk, as on silicon.
 *
 * Storage is in 64 KiB chunks that materialise on first write (untouched RAM reads as 0). 64 KiB is the
 * largest naturally aligned table (a 64 KiB L1 with ias 34), so every table lies inside one chunk and
 * `words()` can hand hot paths a zero-copy Uint32Array view. Little-endian: the simulated SoC's order,
 * asserted against the host once below, since typed arrays use host order.
 */
import type { Platform } from "./platform.ts";

export const PHYS_ADDR_BITS = 35;
export const PHYS_LIMIT = 2 ** PHYS_ADDR_BITS;
const CHUNK_SHIFT = 16;
const CHUNK_BYTES = 1 << CHUNK_SHIFT;
const CHUNK_WORDS = CHUNK_BYTES >>> 2;

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
  private readonly chunks = new Map<number, Uint32Array>();
  /** peek32's last chunk (-1: none yet). */
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
    const chunk = this.chunks.get(Math.floor(pa / CHUNK_BYTES));
    return chunk === undefined ? 0 : (chunk[(pa % CHUNK_BYTES) >>> 2] as number);
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
    let chunk = this.lastChunk;
    if (idx !== this.lastChunkIdx) {
      const c = this.chunks.get(idx);
      if (c === undefined) return 0;
      this.lastChunkIdx = idx;
      this.lastChunk = c;
      chunk = c;
    }
    return chunk[((pa >>> 0) & (CHUNK_BYTES - 1)) >>> 2] as number;
  }

  /** Writes a little-endian u32; returns false (and records a bus error) outside RAM. */
  write32(pa: number, value: number): boolean {
    checkAligned(pa, 4);
    if (!this.isRam(pa, 4)) {
      this.busError(pa, "write", 4);
      return false;
    }
    this.chunk(Math.floor(pa / CHUNK_BYTES))[(pa % CHUNK_BYTES) >>> 2] = value >>> 0;
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
      const chunk = this.chunks.get(idx);
      if (chunk !== undefined) chunk.fill(0, (at % CHUNK_BYTES) >>> 2, (((chunkEnd - 1) % CHUNK_BYTES) >>> 2) + 1);
      at = chunkEnd;
    }
  }

  /** Fills [pa, pa+bytes) with a repeated u32 pattern (device buffers, stray-DMA detection). */
  fill32(pa: number, bytes: number, value: number): void {
    for (let at = pa; at < pa + bytes; at += 4) this.write32(at, value);
  }

  /** Bytes of host memory the model holds for simulated RAM. */
  get materialisedBytes(): number {
    return this.chunks.size * CHUNK_BYTES;
  }

  private chunk(idx: number): Uint32Array {
    let c = this.chunks.get(idx);
    if (c === undefined) {
      c = new Uint32Array(CHUNK_WORDS);
      this.chunks.set(idx, c);
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
