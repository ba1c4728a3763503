// SPDX-License-Identifier: GPL-2.0-only
/**
 * The core iommu_map calls of a trace replay that a domain accepted and that are still live, by IOVA,
 * in the order they were made: what a Map<iova, mapping> would hold, without its costs on the replay's
 * hot path (an IOVA above 2^31 is a boxed key, and a map that grows and empties by whole unmaps rehashes
 * over and over). Lookup is by 4 KiB page through a two-level table of 1024-page chunks made on demand
 * (IOVAs below 2^34, the widest ias); the order is a doubly-linked list through the entries. Any other
 * IOVA (not 4 KiB-aligned, which a domain refuses, or wider) goes to a Map of its own.
 */
import { SZ_4K } from "../core/u32.ts";
import type { LiveMapping, Piece } from "./observers/observer.ts";

/** A core mapping the domain accepted: its own single piece. */
export class CoreMapping implements LiveMapping, Piece {
  readonly device: string;
  readonly iova: number;
  readonly pa: number;
  readonly bytes: number;
  readonly pieces: readonly Piece[];
  /** Neighbours in the order of the maps (CoreMappings links them). */
  prev: CoreMapping | null = null;
  next: CoreMapping | null = null;

  constructor(device: string, iova: number, pa: number, bytes: number) {
    this.device = device;
    this.iova = iova;
    this.pa = pa;
    this.bytes = bytes;
    this.pieces = [this];
  }
}

const CHUNK_BITS = 10;
const CHUNK = 1 << CHUNK_BITS;
/** Pages below 2^34 of IOVA. */
const CHUNKED_PAGES = 2 ** 22;

export class CoreMappings {
  private readonly chunks = new Array<(CoreMapping | undefined)[] | undefined>(CHUNKED_PAGES / CHUNK).fill(undefined);
  /** IOVAs that are not whole pages, or past the pages the chunks cover (kept exact, rarely used). */
  private readonly other = new Map<number, CoreMapping>();
  private head: CoreMapping | null = null;
  private tail: CoreMapping | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(iova: number): CoreMapping | undefined {
    const pfn = iova / SZ_4K;
    if (!isChunked(pfn)) return this.other.get(iova);
    return this.chunks[pfn >>> CHUNK_BITS]?.[pfn & (CHUNK - 1)];
  }

  /** As Map.set: a mapping at an IOVA already held takes the old one's place in the order. */
  set(m: CoreMapping): void {
    const old = this.get(m.iova);
    const pfn = m.iova / SZ_4K;
    if (isChunked(pfn)) {
      const ci = pfn >>> CHUNK_BITS;
      let chunk = this.chunks[ci];
      if (chunk === undefined) {
        chunk = new Array<CoreMapping | undefined>(CHUNK).fill(undefined);
        this.chunks[ci] = chunk;
      }
      chunk[pfn & (CHUNK - 1)] = m;
    } else this.other.set(m.iova, m);
    if (old !== undefined) {
      m.prev = old.prev;
      m.next = old.next;
      if (old.prev === null) this.head = m;
      else old.prev.next = m;
      if (old.next === null) this.tail = m;
      else old.next.prev = m;
      old.prev = null;
      old.next = null;
      return;
    }
    m.prev = this.tail;
    m.next = null;
    if (this.tail === null) this.head = m;
    else this.tail.next = m;
    this.tail = m;
    this.count++;
  }

  /** Removes `m`, which must be held. */
  delete(m: CoreMapping): void {
    const pfn = m.iova / SZ_4K;
    if (isChunked(pfn)) (this.chunks[pfn >>> CHUNK_BITS] as (CoreMapping | undefined)[])[pfn & (CHUNK - 1)] = undefined;
    else this.other.delete(m.iova);
    if (m.prev === null) this.head = m.next;
    else m.prev.next = m.next;
    if (m.next === null) this.tail = m.prev;
    else m.next.prev = m.prev;
    m.prev = null;
    m.next = null;
    this.count--;
  }

  *values(): Generator<CoreMapping> {
    for (let m = this.head; m !== null; ) {
      const next = m.next;
      yield m;
      m = next;
    }
  }
}

/** A whole page the chunks hold. */
function isChunked(pfn: number): boolean {
  return pfn >= 0 && pfn < CHUNKED_PAGES && (pfn | 0) === pfn;
}
