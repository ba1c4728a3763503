// SPDX-License-Identifier: GPL-2.0-only
/**
 * A set of disjoint [start, end) IOVA ranges, each with the physical address of its start, kept sorted in
 * short chunks (a two-level sorted list) so insert, lookup and ranged removal cost O(log n + chunk size)
 * and memory is proportional to the live ranges. Removal trims or splits ranges it covers only in part,
 * as iommu_unmap of part of a run of small pages does.
 *
 * It is the one record of what a trace has mapped: the replayers of one event stream share it (one per
 * stream, not per system replayed into). What each system's domain accepted is the system's own record
 * (the executor's), since domains answer differently (a refused map, -ENOMEM of one strategy).
 */

export class LiveRange {
  start: number;
  end: number;
  paddr: number;
  /** Trace line of the map event (0 when unknown). */
  line: number;

  constructor(start: number, end: number, paddr: number, line: number) {
    this.start = start;
    this.end = end;
    this.paddr = paddr;
    this.line = line;
  }
}

const CHUNK_MAX = 32;

/** In-place insert and delete: Array.prototype.splice allocates the array of removed items every call. */
function insertAt(a: LiveRange[], i: number, r: LiveRange): void {
  let k = a.length;
  a.push(r);
  for (; k > i; k--) a[k] = a[k - 1] as LiveRange;
  a[i] = r;
}

function deleteAt<T>(a: T[], i: number): void {
  const n = a.length - 1;
  for (let k = i; k < n; k++) a[k] = a[k + 1] as T;
  a.pop();
}

export class LiveRanges {
  private chunks: LiveRange[][] = [];
  private count = 0;
  private totalBytes = 0;
  /** Of the last remove(): ranges removed whole. */
  lastRemoved = 0;
  /** Of the last remove(): ranges trimmed or split because it covered only part of them. */
  lastTrimmed = 0;

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** First chunk whose last range ends after `x`; chunks.length when none. */
  private chunkAfter(x: number): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid] as LiveRange[];
      if ((c[c.length - 1] as LiveRange).end > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index in `chunk` of the first range ending after `x` (the chunk has one). */
  private static indexAfter(chunk: LiveRange[], x: number): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((chunk[mid] as LiveRange).end > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The first live range intersecting [start, end), or null. */
  firstOverlap(start: number, end: number): LiveRange | null {
    const ci = this.chunkAfter(start);
    const chunk = this.chunks[ci];
    if (chunk === undefined) return null;
    const r = chunk[LiveRanges.indexAfter(chunk, start)] as LiveRange;
    return r.start < end ? r : null;
  }

  /** The live range containing `addr`, or null. */
  find(addr: number): LiveRange | null {
    const r = this.firstOverlap(addr, addr + 1);
    return r !== null && r.start <= addr ? r : null;
  }

  /** Adds [start, end) unless it overlaps a live range; returns that range (and adds nothing), or null. */
  tryInsert(start: number, end: number, paddr: number, line: number): LiveRange | null {
    if (!(end > start)) throw new RangeError(`LiveRanges.insert: empty range [0x${start.toString(16)}, 0x${end.toString(16)})`);
    if (this.chunks.length === 0) {
      const r = new LiveRange(start, end, paddr, line);
      this.chunks.push([r]);
      this.count++;
      this.totalBytes += end - start;
      return null;
    }
    let ci = this.chunkAfter(start);
    if (ci === this.chunks.length) ci--;
    const chunk = this.chunks[ci] as LiveRange[];
    const at = LiveRanges.indexAfter(chunk, start);
    const next = chunk[at];
    if (next !== undefined && next.start < end) return next;
    const r = new LiveRange(start, end, paddr, line);
    insertAt(chunk, at, r);
    this.count++;
    this.totalBytes += end - start;
    if (chunk.length > CHUNK_MAX) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK_MAX >>> 1));
    return null;
  }

  /** Adds a range that must not overlap a live one; throws RangeError if it does. */
  insert(start: number, end: number, paddr: number, line: number): void {
    const clash = this.tryInsert(start, end, paddr, line);
    if (clash !== null) {
      throw new RangeError(`LiveRanges.insert: [0x${start.toString(16)}, 0x${end.toString(16)}) overlaps a live range at 0x${clash.start.toString(16)}`);
    }
  }

  /** Removes [start, end) from the set, trimming or splitting ranges it covers in part; returns the live bytes removed. */
  remove(start: number, end: number): number {
    let bytes = 0;
    let removed = 0;
    let trimmed = 0;
    let ci = this.chunkAfter(start);
    let ri = ci < this.chunks.length ? LiveRanges.indexAfter(this.chunks[ci] as LiveRange[], start) : 0;
    while (ci < this.chunks.length) {
      const chunk = this.chunks[ci] as LiveRange[];
      if (ri >= chunk.length) {
        ci++;
        ri = 0;
        continue;
      }
      const r = chunk[ri] as LiveRange;
      if (r.start >= end) break;
      const lo = Math.max(start, r.start);
      const hi = Math.min(end, r.end);
      bytes += hi - lo;
      if (r.start >= start && r.end <= end) {
        deleteAt(chunk, ri);
        removed++;
        this.count--;
        if (chunk.length === 0) {
          // In place: splice would allocate the array of removed chunks on every emptied chunk.
          deleteAt(this.chunks, ci);
          ri = 0;
        }
        continue;
      }
      trimmed++;
      if (r.start >= start) {
        r.paddr += end - r.start;
        r.start = end;
        break;
      }
      if (r.end <= end) {
        r.end = start;
        ri++;
        continue;
      }
      const tail = new LiveRange(end, r.end, r.paddr + (end - r.start), r.line);
      r.end = start;
      insertAt(chunk, ri + 1, tail);
      this.count++;
      if (chunk.length > CHUNK_MAX) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK_MAX >>> 1));
      break;
    }
    this.totalBytes -= bytes;
    this.lastRemoved = removed;
    this.lastTrimmed = trimmed;
    return bytes;
  }

  /** All live ranges in IOVA order (for tests and reports). */
  *ranges(): IterableIterator<LiveRange> {
    for (const c of this.chunks) yield* c;
  }

  /**
   * Calls `fn` for every live range in IOVA order, without an iterator per call. `fn` must not insert
   * or remove ranges.
   */
  forEach(fn: (r: LiveRange) => void): void {
    const chunks = this.chunks;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c] as LiveRange[];
      for (let i = 0; i < chunk.length; i++) fn(chunk[i] as LiveRange);
    }
  }
}
