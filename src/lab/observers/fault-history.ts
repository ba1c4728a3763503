// SPDX-License-Identifier: GPL-2.0-only
/**
 * The last traced map and the last traced unmap that covered each IOVA, for fault attribution. The IOVA
 * space is cut into disjoint segments whose (last map, last unmap) pair is the same throughout;
 * neighbours with the same pair are merged, so memory grows with how fragmented the traced IOVA space
 * is, never with the length of the trace.
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

interface Segment {
  start: number;
  end: number;
  map: TraceCall | null;
  unmap: TraceCall | null;
}

export class FaultHistory {
  /** Disjoint, sorted by start. */
  private readonly segs: Segment[] = [];

  get segments(): number {
    return this.segs.length;
  }

  mapped(call: TraceCall): void {
    this.cover(call, true);
  }

  unmapped(call: TraceCall): void {
    this.cover(call, false);
  }

  /** The last map and unmap that covered `iova` (either null when none did). */
  at(iova: number): Covering {
    const i = this.firstEndingAfter(iova);
    const s = this.segs[i];
    if (s === undefined || s.start > iova) return { map: null, unmap: null };
    return { map: s.map, unmap: s.unmap };
  }

  /** Index of the first segment whose end is above `iova`. */
  private firstEndingAfter(iova: number): number {
    let lo = 0;
    let hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.segs[mid] as Segment).end <= iova) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private cover(call: TraceCall, isMap: boolean): void {
    const start = call.iova;
    const end = call.iova + call.size;
    if (!(end > start)) return;
    const segs = this.segs;
    let i = this.firstEndingAfter(start);
    // Split the segment straddling `start`, so that segment i starts at or after it.
    const first = segs[i];
    if (first !== undefined && first.start < start) {
      segs.splice(i + 1, 0, { ...first, start });
      first.end = start;
      i++;
    }
    const out: Segment[] = [];
    let at = start;
    let j = i;
    while (j < segs.length && (segs[j] as Segment).start < end) {
      const s = segs[j] as Segment;
      if (s.start > at) out.push({ start: at, end: s.start, map: isMap ? call : null, unmap: isMap ? null : call });
      if (s.end > end) {
        // Split the segment straddling `end`: the part beyond stays as it was.
        segs.splice(j + 1, 0, { ...s, start: end });
        s.end = end;
      }
      if (isMap) s.map = call;
      else s.unmap = call;
      out.push(s);
      at = s.end;
      j++;
    }
    if (at < end) out.push({ start: at, end, map: isMap ? call : null, unmap: isMap ? null : call });
    const run = merged(out);
    segs.splice(i, j - i, ...run);
    this.mergeAround(i + run.length - 1);
    this.mergeAround(i - 1);
  }

  /** Merges segment k with k + 1 when they touch and hold the same pair. */
  private mergeAround(k: number): void {
    const a = this.segs[k];
    const b = this.segs[k + 1];
    if (a === undefined || b === undefined) return;
    if (a.end === b.start && a.map === b.map && a.unmap === b.unmap) {
      a.end = b.end;
      this.segs.splice(k + 1, 1);
    }
  }
}

/** Adjacent segments of a run with the same pair, as one. */
function merged(run: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of run) {
    const last = out[out.length - 1];
    if (last !== undefined && last.end === s.start && last.map === s.map && last.unmap === s.unmap) last.end = s.end;
    else out.push(s);
  }
  return out;
}
