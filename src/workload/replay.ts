// SPDX-License-Identifier: GPL-2.0-only
/**
 * Replays traced iommu_map / iommu_unmap calls into a sink (the lab wires it to an IommuDomain) and keeps
 * the trace's own view of what is mapped, so inconsistencies in the trace are counted, never fatal:
 * - an unmap that covers no live mapping (the map was lost, e.g. a `[LOST n EVENTS]` gap, or the trace
 *   started after it) is counted and, by default, not sent to the sink;
 * - an unmap may legitimately cover several maps (dma_unmap_sg and iommu_dma_free unmap a whole IOVA
 *   range in one call while iommu_map_sg traced one map per contiguous run) or part of one;
 * - a map overlapping a live one is counted and sent on (the model answers -EEXIST as the kernel would)
 *   but not recorded, so the live set stays the first writer's.
 * Memory is bounded by the live mappings plus a few kept messages.
 *
 * The live set is shared with whoever drives the sink (`live`): each range records whether the sink
 * accepted its map, so the system behind the sink can sweep its live mappings from it.
 */
import { InputError } from "../core/errors.ts";
import type { TraceEvent } from "./events.ts";
import { FIRST_LINES_KEPT } from "./ftrace.ts";
import { LiveRanges, type LiveRange } from "./live-ranges.ts";

/** Where replayed calls go: map returns 0 or a negative errno, unmap the bytes it unmapped. */
export interface ReplaySink {
  map(iova: number, paddr: number, size: number): number;
  unmap(iova: number, size: number): number;
}

/** A sink that accepts everything, for measuring the bookkeeping alone. */
export const NULL_SINK: ReplaySink = {
  map: () => 0,
  unmap: (_iova, size) => size,
};

export interface ReplayOptions {
  /** Names the trace in messages. Default "trace". */
  readonly fileName?: string;
  /** Send unmaps of ranges with nothing live to the sink too (the model then reports 0 bytes). Default false. */
  readonly forwardUnknownUnmaps?: boolean;
  /** Messages kept about inconsistencies. Default 5. */
  readonly maxMessages?: number;
  /**
   * Where the addresses must lie: an IOVA (and its end) below 2^iovaBits, a physical address below
   * 2^paBits; `source` names who sets the limit ("the M4U's ias"). A traced map succeeded on the traced
   * machine, so an address past the limit means the trace is not from this platform: an InputError.
   */
  readonly bounds?: ReplayBounds;
}

export interface ReplayBounds {
  readonly iovaBits: number;
  readonly iovaSource: string;
  readonly paBits?: number;
  readonly paSource?: string;
}

export interface ReplayStats {
  events: number;
  maps: number;
  unmaps: number;
  /** Bytes of the traced maps. */
  bytesMapped: number;
  /** Bytes the unmaps removed from the live set. */
  bytesUnmapped: number;
  liveMappings: number;
  liveBytes: number;
  peakLiveMappings: number;
  peakLiveBytes: number;
  /** Unmaps whose range held no live mapping. */
  unknownUnmaps: number;
  /** Unmaps whose range was only partly live. */
  unmapsWithHoles: number;
  /** Live mappings trimmed or split by an unmap covering part of them. */
  splitMappings: number;
  /** Maps of exactly a live range. */
  duplicateMaps: number;
  /** Maps overlapping a live range otherwise. */
  overlappingMaps: number;
  /** Events with size 0, not sent to the sink. */
  zeroSizeEvents: number;
  /** Their first line numbers. */
  readonly zeroSizeLines: number[];
  /**
   * Unmaps whose traced unmapped_size differs from the bytes the trace's own live mappings covered in
   * the range (the kernel unmapped something the trace never showed mapped, or less than it showed).
   */
  unmapMismatches: number;
  readonly unmapMismatchLines: number[];
  /** First lines of the unknownUnmaps. */
  readonly unknownUnmapLines: number[];
  /** Sink map calls that returned an error. */
  sinkMapFailures: number;
  /** Sink unmaps that unmapped a different byte count than the kernel's traced unmapped_size. */
  sinkUnmapMismatches: number;
  readonly messages: string[];
}

export class TraceReplayer {
  readonly stats: ReplayStats;
  private readonly sink: ReplaySink;
  /** The trace's live mappings (read-only for callers: the replayer inserts and removes). */
  readonly live = new LiveRanges();
  private readonly fileName: string;
  private readonly forwardUnknown: boolean;
  private readonly maxMessages: number;
  private readonly iovaLimit: number;
  private readonly paLimit: number;
  private readonly bounds: ReplayBounds | undefined;

  constructor(sink: ReplaySink, options: ReplayOptions = {}) {
    this.bounds = options.bounds;
    this.iovaLimit = options.bounds === undefined ? Infinity : 2 ** options.bounds.iovaBits;
    this.paLimit = options.bounds?.paBits === undefined ? Infinity : 2 ** options.bounds.paBits;
    this.sink = sink;
    this.fileName = options.fileName ?? "trace";
    this.forwardUnknown = options.forwardUnknownUnmaps ?? false;
    this.maxMessages = options.maxMessages ?? 5;
    this.stats = {
      events: 0,
      maps: 0,
      unmaps: 0,
      bytesMapped: 0,
      bytesUnmapped: 0,
      liveMappings: 0,
      liveBytes: 0,
      peakLiveMappings: 0,
      peakLiveBytes: 0,
      unknownUnmaps: 0,
      unmapsWithHoles: 0,
      splitMappings: 0,
      duplicateMaps: 0,
      overlappingMaps: 0,
      zeroSizeEvents: 0,
      zeroSizeLines: [],
      unmapMismatches: 0,
      unmapMismatchLines: [],
      unknownUnmapLines: [],
      sinkMapFailures: 0,
      sinkUnmapMismatches: 0,
      messages: [],
    };
  }

  apply(ev: TraceEvent): void {
    if (ev.type === "iommuMap") this.map(ev.iova, ev.paddr, ev.size, ev.line);
    else this.unmap(ev.iova, ev.size, ev.unmappedSize, ev.line);
  }

  applyAll(events: readonly TraceEvent[]): void {
    for (let i = 0; i < events.length; i++) this.apply(events[i] as TraceEvent);
  }

  /** The live range containing `iova` in the trace's view: [start, end) and the paddr of its start. */
  lookup(iova: number): { readonly start: number; readonly end: number; readonly paddr: number } | null {
    const r = this.live.find(iova);
    return r === null ? null : { start: r.start, end: r.end, paddr: r.paddr };
  }

  private map(iova: number, paddr: number, size: number, line: number): void {
    const st = this.stats;
    st.events++;
    st.maps++;
    st.bytesMapped += size;
    if (size === 0) {
      this.zeroSize(line);
      return;
    }
    this.checkIova(iova, size, line);
    if (paddr + size > this.paLimit) {
      const b = this.bounds as ReplayBounds;
      throw new InputError(
        this.fileName,
        `line ${line}`,
        `paddr 0x${paddr.toString(16)} + size ${size} is beyond 2^${b.paBits}, the physical address limit of ${b.paSource ?? "the IOMMU"}`,
      );
    }
    const end = iova + size;
    const clash = this.live.tryInsert(iova, end, paddr, line);
    let inserted: LiveRange | null = null;
    if (clash !== null) {
      if (clash.start === iova && clash.end === end) st.duplicateMaps++;
      else st.overlappingMaps++;
      this.note(
        line,
        `map of iova 0x${iova.toString(16)} size ${size} overlaps the live mapping 0x${clash.start.toString(16)}-0x${clash.end.toString(16)}${clash.line > 0 ? ` from line ${clash.line}` : ""}`,
      );
    } else {
      const live = this.live.size;
      const bytes = this.live.bytes;
      if (live > st.peakLiveMappings) st.peakLiveMappings = live;
      if (bytes > st.peakLiveBytes) st.peakLiveBytes = bytes;
      st.liveMappings = live;
      st.liveBytes = bytes;
      inserted = this.live.lastInserted;
    }
    const ret = this.sink.map(iova, paddr, size);
    if (ret < 0) st.sinkMapFailures++;
    if (inserted !== null) inserted.accepted = ret === 0;
  }

  private unmap(iova: number, size: number, unmappedSize: number, line: number): void {
    const st = this.stats;
    st.events++;
    st.unmaps++;
    if (size === 0) {
      this.zeroSize(line);
      return;
    }
    this.checkIova(iova, size, line);
    const removed = this.live.remove(iova, iova + size);
    if (removed !== unmappedSize && removed > 0) {
      st.unmapMismatches++;
      if (st.unmapMismatchLines.length < FIRST_LINES_KEPT) st.unmapMismatchLines.push(line);
      this.note(
        line,
        `unmap of iova 0x${iova.toString(16)} size ${size}: the kernel reported unmapped_size=${unmappedSize}, the trace's live mappings cover ${removed} bytes`,
      );
    }
    st.liveMappings = this.live.size;
    st.liveBytes = this.live.bytes;
    st.splitMappings += this.live.lastTrimmed;
    if (removed === 0) {
      st.unknownUnmaps++;
      if (st.unknownUnmapLines.length < FIRST_LINES_KEPT) st.unknownUnmapLines.push(line);
      this.note(line, `unmap of iova 0x${iova.toString(16)} size ${size} matches no live mapping`);
      if (!this.forwardUnknown) return;
    } else {
      st.bytesUnmapped += removed;
      if (removed < size) st.unmapsWithHoles++;
    }
    if (this.sink.unmap(iova, size) !== unmappedSize) st.sinkUnmapMismatches++;
    // the live size may have grown by a split
    if (this.live.size > st.peakLiveMappings) st.peakLiveMappings = this.live.size;
  }

  private zeroSize(line: number): void {
    const st = this.stats;
    st.zeroSizeEvents++;
    if (st.zeroSizeLines.length < FIRST_LINES_KEPT) st.zeroSizeLines.push(line);
  }

  private checkIova(iova: number, size: number, line: number): void {
    if (iova + size <= this.iovaLimit) return;
    const b = this.bounds as ReplayBounds;
    const what = iova >= this.iovaLimit ? `iova 0x${iova.toString(16)} is at or above` : `iova 0x${iova.toString(16)} + size ${size} ends beyond`;
    throw new InputError(this.fileName, `line ${line}`, `${what} 2^${b.iovaBits}, the IOVA space of ${b.iovaSource}`);
  }

  private note(line: number, text: string): void {
    if (this.stats.messages.length >= this.maxMessages) return;
    this.stats.messages.push(`${this.fileName}: ${line > 0 ? `line ${line}: ` : ""}${text}`);
  }
}
