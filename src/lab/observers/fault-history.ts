// SPDX-License-Identifier: GPL-2.0-only
/**
 * The last traced map and the last traced unmap that covered each IOVA page, for fault attribution.
 *
 * Kept per 4 KiB page, the granule of every v7s mapping: iommu_map and iommu_unmap refuse an iova or
 * size not aligned to the smallest page size before the tracepoint fires
 * (nojick/test419@37381aa0246c:drivers/iommu/iommu.c:iommu_map, __iommu_unmap: "unaligned" pr_err and
 * return before trace_map/trace_unmap), so a kernel's trace holds no unaligned call. A hand-made line
 * with unaligned bounds covers every page it touches.
 *
 * Each page holds two slot numbers into a table of call records; a record is freed when no page holds
 * it any more, so memory grows with the IOVA pages the trace touched, never with its length. Pages live
 * in 1 MiB chunks made on first touch.
 */

/** One traced call: where it was in the trace and what it covered. */
export interface TraceCall {
  readonly line: number;
  /** Seconds, when the trace line had a timestamp. */
  readonly ts: number | null;
  readonly iova: number;
  readonly size: number;
  /** A map's physical address (of `iova`); null for an unmap. */
  readonly paddr: number | null;
}

export interface Covering {
  readonly map: TraceCall | null;
  readonly unmap: TraceCall | null;
}

const PAGE = 4096;
const CHUNK_PAGES = 256;
/** No call: slot numbers start at 1 so a fresh chunk (zeros) means "never covered". */
const NONE = 0;

export class FaultHistory {
  /** Per chunk: [mapSlot, unmapSlot] for each of its pages. */
  private readonly chunks = new Map<number, Int32Array>();
  private line = new Float64Array(64);
  private ts = new Float64Array(64);
  private iova = new Float64Array(64);
  private size = new Float64Array(64);
  /** NaN: an unmap. */
  private paddr = new Float64Array(64);
  /** How many page entries hold each slot. */
  private refs = new Int32Array(64);
  private free: number[] = [];
  private nextSlot = 1;
  private held = 0;

  /** Call records still held by some page (bounded by the pages touched, not by the trace's length). */
  get calls(): number {
    return this.held;
  }

  mapped(call: TraceCall): void {
    this.cover(call, 0);
  }

  unmapped(call: TraceCall): void {
    this.cover(call, 1);
  }

  /** The last map and unmap that covered `iova`'s page (either null when none did). */
  at(iova: number): Covering {
    const page = Math.floor(iova / PAGE);
    const c = this.chunks.get(Math.floor(page / CHUNK_PAGES));
    if (c === undefined) return { map: null, unmap: null };
    const k = (page % CHUNK_PAGES) * 2;
    return { map: this.record(c[k] as number), unmap: this.record(c[k + 1] as number) };
  }

  private record(slot: number): TraceCall | null {
    if (slot === NONE) return null;
    const pa = this.paddr[slot] as number;
    const ts = this.ts[slot] as number;
    return {
      line: this.line[slot] as number,
      ts: Number.isNaN(ts) ? null : ts,
      iova: this.iova[slot] as number,
      size: this.size[slot] as number,
      paddr: Number.isNaN(pa) ? null : pa,
    };
  }

  private cover(call: TraceCall, side: 0 | 1): void {
    const end = call.iova + call.size;
    if (!(end > call.iova)) return;
    const first = Math.floor(call.iova / PAGE);
    const last = Math.ceil(end / PAGE);
    const slot = this.newSlot(call);
    let page = first;
    while (page < last) {
      const ci = Math.floor(page / CHUNK_PAGES);
      let c = this.chunks.get(ci);
      if (c === undefined) {
        c = new Int32Array(CHUNK_PAGES * 2);
        this.chunks.set(ci, c);
      }
      const stop = Math.min(last, (ci + 1) * CHUNK_PAGES);
      for (let k = (page - ci * CHUNK_PAGES) * 2 + side, kEnd = (stop - ci * CHUNK_PAGES) * 2; k < kEnd; k += 2) {
        const old = c[k] as number;
        if (old !== NONE) this.release(old);
        c[k] = slot;
      }
      page = stop;
    }
    this.refs[slot] = last - first;
  }

  private release(slot: number): void {
    const n = (this.refs[slot] as number) - 1;
    this.refs[slot] = n;
    if (n === 0) {
      this.free.push(slot);
      this.held--;
    }
  }

  private newSlot(call: TraceCall): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.nextSlot++;
      if (slot >= this.refs.length) this.grow();
    }
    this.held++;
    this.line[slot] = call.line;
    this.ts[slot] = call.ts ?? Number.NaN;
    this.iova[slot] = call.iova;
    this.size[slot] = call.size;
    this.paddr[slot] = call.paddr ?? Number.NaN;
    this.refs[slot] = 0;
    return slot;
  }

  private grow(): void {
    const n = this.refs.length * 2;
    const widen = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.line = widen(this.line, (k) => new Float64Array(k));
    this.ts = widen(this.ts, (k) => new Float64Array(k));
    this.iova = widen(this.iova, (k) => new Float64Array(k));
    this.size = widen(this.size, (k) => new Float64Array(k));
    this.paddr = widen(this.paddr, (k) => new Float64Array(k));
    this.refs = widen(this.refs, (k) => new Int32Array(k));
  }
}
