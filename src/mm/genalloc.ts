// SPDX-License-Identifier: GPL-2.0-only
/**
 * gen_pool (lib/genalloc.c): a bitmap allocator over memory its caller provides. Each bit stands for
 * 2^minAllocOrder bytes; chunks are scanned newest first (gen_pool_add uses list_add_rcu, at the head);
 * alloc never allocates memory, so it may run in atomic context and takes no gfp.
 *
 * No shrinking, as in the kernel: there is no API to remove a chunk, gen_pool_destroy is the only way to
 * give memory back and it requires every allocation to be freed. The pool therefore never frees anything
 * itself; its owner frees the chunks' memory after destroy().
 *
 * Addresses are physical (the model has no kernel virtual addresses); 0 is never a valid chunk address
 * here, so gen_pool_alloc's 0-on-failure reads as null.
 * The chunk header and bitmap come from kzalloc_node (4.19) or vzalloc_node (5.10+); `metadataBytes()`
 * reports their size (struct gen_pool_chunk, Era.mm.genallocChunk.headerBytes on arm64, plus
 * BITS_TO_LONGS(nbits) longs), not charged to any zone.
 */
import { hex } from "../core/format.ts";

export type GenPoolAlgo =
  | { readonly kind: "first-fit" }
  /** gen_pool_first_fit_align with genpool_data_align.align in bytes. */
  | { readonly kind: "first-fit-align"; readonly align: number }
  | { readonly kind: "first-fit-order-align" }
  | { readonly kind: "best-fit" };

/** struct gen_pool_chunk with `owner` (5.10+), when no era says otherwise. */
const DEFAULT_CHUNK_HEADER_BYTES = 56;

interface Chunk {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly nbits: number;
  readonly bits: Uint8Array;
  avail: number;
}

export class GenPool {
  readonly minAllocOrder: number;
  readonly name: string;
  private readonly granule: number;
  /** Newest first. */
  private readonly chunks: Chunk[] = [];
  private algo: GenPoolAlgo = { kind: "first-fit" };
  private destroyed = false;

  private readonly chunkHeaderBytes: number;

  /** gen_pool_create(min_alloc_order, nid). `name` appears in error messages. */
  constructor(minAllocOrder: number, name = "gen_pool", chunkHeaderBytes = DEFAULT_CHUNK_HEADER_BYTES) {
    this.chunkHeaderBytes = chunkHeaderBytes;
    if (!Number.isInteger(minAllocOrder) || minAllocOrder < 0 || minAllocOrder > 30) {
      throw new RangeError(`gen_pool_create(${name}): min_alloc_order ${minAllocOrder} is outside 0..30`);
    }
    this.minAllocOrder = minAllocOrder;
    this.granule = 2 ** minAllocOrder;
    this.name = name;
  }

  /** gen_pool_set_algo (null restores first-fit). */
  setAlgo(algo: GenPoolAlgo | null): void {
    if (algo !== null && algo.kind === "first-fit-align" && !(Number.isInteger(algo.align) && algo.align > 0)) {
      throw new RangeError(`gen_pool_set_algo(${this.name}): alignment ${algo.align} is not a positive integer`);
    }
    this.algo = algo ?? { kind: "first-fit" };
  }

  /** gen_pool_add: `size` bytes at `addr` (a whole number of granules is used). */
  add(addr: number, size: number): void {
    this.checkLive("add");
    if (!Number.isSafeInteger(addr) || addr <= 0 || !Number.isSafeInteger(size) || size < this.granule) {
      throw new RangeError(`gen_pool_add(${this.name}, ${hex(addr)}, ${size}): needs a positive address and at least one ${this.granule}-byte granule`);
    }
    for (const c of this.chunks) {
      if (addr < c.end && addr + size > c.start) {
        throw new RangeError(`gen_pool_add(${this.name}, ${hex(addr)}, ${size}): overlaps the chunk at ${hex(c.start)}-${hex(c.end)}`);
      }
    }
    const nbits = Math.floor(size / this.granule);
    this.chunks.unshift({ start: addr, end: addr + size, nbits, bits: new Uint8Array(nbits), avail: size });
  }

  /** gen_pool_alloc: the address, or null (the kernel's 0) when no chunk has room. size 0 → null. */
  alloc(size: number): number | null {
    this.checkLive("alloc");
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`gen_pool_alloc(${this.name}): size ${size} is not a non-negative integer`);
    if (size === 0) return null;
    const nr = Math.ceil(size / this.granule);
    for (const c of this.chunks) {
      if (size > c.avail) continue;
      const start = this.find(c, nr);
      if (start >= c.nbits) continue;
      c.bits.fill(1, start, start + nr);
      c.avail -= nr * this.granule;
      return c.start + start * this.granule;
    }
    return null;
  }

  /**
   * gen_pool_free. The kernel BUGs when no chunk holds `addr`, when the range runs past the chunk, or
   * when a bit was already clear; here each is a RangeError thrown before anything changes.
   */
  free(addr: number, size: number): void {
    this.checkLive("free");
    const nr = Math.ceil(size / this.granule);
    const c = this.chunks.find((x) => addr >= x.start && addr < x.end);
    if (c === undefined) throw new RangeError(`gen_pool_free(${this.name}, ${hex(addr)}, ${size}): no chunk contains the address`);
    if (!Number.isSafeInteger(size) || size <= 0 || addr + size > c.end) {
      throw new RangeError(`gen_pool_free(${this.name}, ${hex(addr)}, ${size}): runs past the chunk end ${hex(c.end)}`);
    }
    const off = addr - c.start;
    if (off % this.granule !== 0) {
      throw new RangeError(`gen_pool_free(${this.name}, ${hex(addr)}, ${size}): not on a ${this.granule}-byte granule`);
    }
    const start = off / this.granule;
    for (let i = start; i < start + nr; i++) {
      if (c.bits[i] !== 1) {
        throw new RangeError(
          `gen_pool_free(${this.name}, ${hex(addr)}, ${size}): granule at ${hex(c.start + i * this.granule)} is not allocated (double free?)`,
        );
      }
    }
    c.bits.fill(0, start, start + nr);
    c.avail += nr * this.granule;
  }

  /** gen_pool_avail: free bytes over all chunks. */
  avail(): number {
    return this.chunks.reduce((n, c) => n + c.avail, 0);
  }

  /** gen_pool_size: bytes of all chunks. */
  size(): number {
    return this.chunks.reduce((n, c) => n + (c.end - c.start), 0);
  }

  /** The chunks, newest first (scan order). */
  chunkList(): { readonly start: number; readonly size: number; readonly avail: number }[] {
    return this.chunks.map((c) => ({ start: c.start, size: c.end - c.start, avail: c.avail }));
  }

  /** What kzalloc_node / vzalloc_node would hold for chunk headers and bitmaps. */
  metadataBytes(): number {
    return this.chunks.reduce((n, c) => n + this.chunkHeaderBytes + Math.ceil(c.nbits / 64) * 8, 0);
  }

  /** Whether `addr` lies in one of the pool's chunks. */
  contains(addr: number): boolean {
    return this.chunks.some((c) => addr >= c.start && addr < c.end);
  }

  /**
   * gen_pool_destroy: the kernel BUGs on any outstanding allocation; here that is a RangeError naming
   * it, with the pool unchanged. Returns the chunks so the owner can free their memory.
   */
  destroy(): { readonly start: number; readonly size: number }[] {
    this.checkLive("destroy");
    for (const c of this.chunks) {
      const i = c.bits.indexOf(1);
      if (i >= 0) {
        throw new RangeError(`gen_pool_destroy(${this.name}): outstanding allocation at ${hex(c.start + i * this.granule)}`);
      }
    }
    this.destroyed = true;
    const out = this.chunks.map((c) => ({ start: c.start, size: c.end - c.start }));
    this.chunks.length = 0;
    return out;
  }

  private find(c: Chunk, nr: number): number {
    switch (this.algo.kind) {
      case "first-fit":
        return findZeroArea(c.bits, c.nbits, 0, nr, 0, 0);
      case "first-fit-align": {
        const alignMask = Math.ceil(this.algo.align / this.granule) - 1;
        const alignOff = Math.floor((c.start % this.algo.align) / this.granule);
        return findZeroArea(c.bits, c.nbits, 0, nr, alignMask, alignOff);
      }
      case "first-fit-order-align": {
        let p = 1;
        while (p < nr) p *= 2;
        return findZeroArea(c.bits, c.nbits, 0, nr, p - 1, 0);
      }
      case "best-fit":
        return bestFit(c.bits, c.nbits, nr);
    }
  }

  private checkLive(op: string): void {
    if (this.destroyed) throw new RangeError(`gen_pool ${this.name}: ${op} after gen_pool_destroy`);
  }
}

function nextZero(bits: Uint8Array, size: number, from: number): number {
  let i = from;
  while (i < size && bits[i] === 1) i++;
  return i;
}

function nextSet(bits: Uint8Array, size: number, from: number): number {
  let i = from;
  while (i < size && bits[i] !== 1) i++;
  return i;
}

/**
 * bitmap_find_next_zero_area_off: the first index ≥ start, aligned so that (index + alignOff) has the
 * mask's bits clear, with `nr` clear bits. Returns a value past `size` (index + nr) on failure.
 */
export function findZeroArea(bits: Uint8Array, size: number, start: number, nr: number, alignMask: number, alignOff: number): number {
  let from = start;
  for (;;) {
    let index = nextZero(bits, size, from);
    index = Math.ceil((index + alignOff) / (alignMask + 1)) * (alignMask + 1) - alignOff;
    const end = index + nr;
    if (end > size) return end;
    const i = nextSet(bits, end, index);
    if (i < end) {
      from = i + 1;
      continue;
    }
    return index;
  }
}

/** gen_pool_best_fit: the shortest free run that fits; exact fits stop the scan; ties keep the lowest. */
function bestFit(bits: Uint8Array, size: number, nr: number): number {
  let startBit = size;
  let len = size + 1;
  let index = findZeroArea(bits, size, 0, nr, 0, 0);
  while (index < size) {
    const next = nextSet(bits, size, index + nr);
    if (next - index < len) {
      len = next - index;
      startBit = index;
      if (len === nr) return startBit;
    }
    index = findZeroArea(bits, size, next + 1, nr, 0, 0);
  }
  return startBit;
}
