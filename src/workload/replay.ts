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
 * All of that is the trace's side of a replay: it depends on the events alone, not on what the sink
 * answers. Replayers of one event stream (every strategy fed from one parse) share it through a
 * ReplayShare, so the live set and its counters are kept once per stream; each replayer only calls its
 * own sink and counts the sink's answers.
 */
import { InputError } from "../core/errors.ts";
import type { TraceEvent } from "./events.ts";
import { FIRST_LINES_KEPT } from "./ftrace.ts";
import { LiveRanges } from "./live-ranges.ts";

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
  /**
   * Replayers created with the same share, the same other options and before any of them has replayed
   * an event share the trace's side; they must then be fed the same events in the same order.
   */
  readonly share?: ReplayShare;
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

/** What a replayer does with an event after the trace's side has seen it. */
const SKIP = 0;
const TO_SINK = 1;

/** The counters of the trace's side: ReplayStats without the sink's answers. */
type TraceStats = Omit<ReplayStats, "sinkMapFailures" | "sinkUnmapMismatches">;

/** The options that shape the trace's side, resolved. */
interface ViewOptions {
  readonly fileName: string;
  readonly forwardUnknown: boolean;
  readonly maxMessages: number;
  readonly bounds: ReplayBounds | undefined;
}

function viewOptions(o: ReplayOptions): ViewOptions {
  return { fileName: o.fileName ?? "trace", forwardUnknown: o.forwardUnknownUnmaps ?? false, maxMessages: o.maxMessages ?? 5, bounds: o.bounds };
}

function sameOptions(a: ViewOptions, b: ViewOptions): boolean {
  if (a.fileName !== b.fileName || a.forwardUnknown !== b.forwardUnknown || a.maxMessages !== b.maxMessages) return false;
  const x = a.bounds;
  const y = b.bounds;
  if (x === undefined || y === undefined) return x === y;
  return x.iovaBits === y.iovaBits && x.iovaSource === y.iovaSource && x.paBits === y.paBits && x.paSource === y.paSource;
}

/** Decisions kept for the replayers behind the first; dropped in blocks once every member has read them. */
const KEEP_BLOCK = 8192;

/**
 * The trace's side of a replay: the live set, the counters and the messages, updated once per event
 * by whichever member replayer reaches the event first; the others read the decision it left
 * (whether the event goes to the sink). The decision of an event is kept until every member has read
 * it, so memory follows how far the members are apart (a batch, as the experiment feeds them).
 */
class TraceView {
  readonly live = new LiveRanges();
  readonly stats: TraceStats;
  readonly options: ViewOptions;
  private readonly iovaLimit: number;
  private readonly paLimit: number;
  /** Events seen, and each member's position (events it has read). */
  private processed = 0;
  private readonly cursors: number[] = [];
  /** Decisions (and their events, to check the members are fed alike) from position `base` on. */
  private base = 0;
  private decisions: number[] = [];
  private events: TraceEvent[] = [];

  constructor(options: ViewOptions) {
    this.options = options;
    this.iovaLimit = options.bounds === undefined ? Infinity : 2 ** options.bounds.iovaBits;
    this.paLimit = options.bounds?.paBits === undefined ? Infinity : 2 ** options.bounds.paBits;
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
      messages: [],
    };
  }

  /** A new member, or null once an event has been seen (a late member would start mid-stream). */
  join(): number | null {
    if (this.processed > 0) return null;
    this.cursors.push(0);
    return this.cursors.length - 1;
  }

  /** Whether member `m` at its current position is at the end of what the view has seen. */
  current(m: number): boolean {
    return this.cursors[m] === this.processed;
  }

  /** The decision for member `m`'s next event `ev`: SKIP or TO_SINK. */
  step(m: number, ev: TraceEvent): number {
    const at = this.cursors[m] as number;
    this.cursors[m] = at + 1;
    if (at === this.processed) {
      const d = ev.type === "iommuMap" ? this.map(ev.iova, ev.paddr, ev.size, ev.line) : this.unmap(ev.iova, ev.size, ev.unmappedSize, ev.line);
      this.processed++;
      if (this.cursors.length > 1) this.keep(d, ev);
      return d;
    }
    const i = at - this.base;
    if (this.events[i] !== ev) throw new Error("TraceReplayer: replayers sharing a trace were fed different events");
    return this.decisions[i] as number;
  }

  private keep(d: number, ev: TraceEvent): void {
    if (this.decisions.length >= KEEP_BLOCK) {
      let min = this.processed;
      for (const c of this.cursors) if (c < min) min = c;
      const drop = min - this.base;
      if (drop >= KEEP_BLOCK >>> 1) {
        this.decisions = this.decisions.slice(drop);
        this.events = this.events.slice(drop);
        this.base = min;
      }
    }
    this.decisions.push(d);
    this.events.push(ev);
  }

  private map(iova: number, paddr: number, size: number, line: number): number {
    const st = this.stats;
    st.events++;
    st.maps++;
    st.bytesMapped += size;
    if (size === 0) {
      this.zeroSize(line);
      return SKIP;
    }
    this.checkIova(iova, size, line);
    if (paddr + size > this.paLimit) {
      const b = this.options.bounds as ReplayBounds;
      throw new InputError(
        this.options.fileName,
        `line ${line}`,
        `paddr 0x${paddr.toString(16)} + size ${size} is beyond 2^${b.paBits}, the physical address limit of ${b.paSource ?? "the IOMMU"}`,
      );
    }
    const end = iova + size;
    const clash = this.live.tryInsert(iova, end, paddr, line);
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
    }
    return TO_SINK;
  }

  private unmap(iova: number, size: number, unmappedSize: number, line: number): number {
    const st = this.stats;
    st.events++;
    st.unmaps++;
    if (size === 0) {
      this.zeroSize(line);
      return SKIP;
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
    // the live size may have grown by a split
    if (this.live.size > st.peakLiveMappings) st.peakLiveMappings = this.live.size;
    if (removed === 0) {
      st.unknownUnmaps++;
      if (st.unknownUnmapLines.length < FIRST_LINES_KEPT) st.unknownUnmapLines.push(line);
      this.note(line, `unmap of iova 0x${iova.toString(16)} size ${size} matches no live mapping`);
      return this.options.forwardUnknown ? TO_SINK : SKIP;
    }
    st.bytesUnmapped += removed;
    if (removed < size) st.unmapsWithHoles++;
    return TO_SINK;
  }

  private zeroSize(line: number): void {
    const st = this.stats;
    st.zeroSizeEvents++;
    if (st.zeroSizeLines.length < FIRST_LINES_KEPT) st.zeroSizeLines.push(line);
  }

  private checkIova(iova: number, size: number, line: number): void {
    if (iova + size <= this.iovaLimit) return;
    const b = this.options.bounds as ReplayBounds;
    const what = iova >= this.iovaLimit ? `iova 0x${iova.toString(16)} is at or above` : `iova 0x${iova.toString(16)} + size ${size} ends beyond`;
    throw new InputError(this.options.fileName, `line ${line}`, `${what} 2^${b.iovaBits}, the IOVA space of ${b.iovaSource}`);
  }

  private note(line: number, text: string): void {
    if (this.stats.messages.length >= this.options.maxMessages) return;
    this.stats.messages.push(`${this.options.fileName}: ${line > 0 ? `line ${line}: ` : ""}${text}`);
  }
}

/**
 * Lets the replayers of one event stream share the trace's side (an event source hands one to every
 * system it feeds). Members must be fed the same events in the same order; a replayer with other
 * options, or created after the others started, keeps a side of its own.
 */
export class ReplayShare {
  private view: TraceView | null = null;

  /** @internal The shared view and a member index, or null when this replayer cannot share. */
  joinWith(options: ViewOptions): { readonly view: TraceView; readonly member: number } | null {
    if (this.view === null) this.view = new TraceView(options);
    else if (!sameOptions(this.view.options, options)) return null;
    const member = this.view.join();
    return member === null ? null : { view: this.view, member };
  }
}

export class TraceReplayer {
  private readonly sink: ReplaySink;
  private readonly view: TraceView;
  private readonly member: number;
  private sinkMapFailures = 0;
  private sinkUnmapMismatches = 0;

  constructor(sink: ReplaySink, options: ReplayOptions = {}) {
    this.sink = sink;
    const opts = viewOptions(options);
    const joined = options.share?.joinWith(opts) ?? null;
    if (joined !== null) {
      this.view = joined.view;
      this.member = joined.member;
    } else {
      this.view = new TraceView(opts);
      this.member = this.view.join() as number;
    }
  }

  /**
   * The counters as of the last event this replayer applied. With a shared trace side they are known
   * at the newest event only: asking while behind the other members is an Error.
   */
  get stats(): ReplayStats {
    if (!this.view.current(this.member)) throw new Error("TraceReplayer.stats: asked while behind the replayers it shares a trace with");
    return { ...this.view.stats, sinkMapFailures: this.sinkMapFailures, sinkUnmapMismatches: this.sinkUnmapMismatches };
  }

  /** The trace's live mappings (read-only for callers: the replayer inserts and removes). */
  get live(): LiveRanges {
    return this.view.live;
  }

  apply(ev: TraceEvent): void {
    if (this.view.step(this.member, ev) === SKIP) return;
    if (ev.type === "iommuMap") {
      if (this.sink.map(ev.iova, ev.paddr, ev.size) < 0) this.sinkMapFailures++;
    } else if (this.sink.unmap(ev.iova, ev.size) !== ev.unmappedSize) this.sinkUnmapMismatches++;
  }

  applyAll(events: readonly TraceEvent[]): void {
    for (let i = 0; i < events.length; i++) this.apply(events[i] as TraceEvent);
  }

  /** The live range containing `iova` in the trace's view: [start, end) and the paddr of its start. */
  lookup(iova: number): { readonly start: number; readonly end: number; readonly paddr: number } | null {
    const r = this.view.live.find(iova);
    return r === null ? null : { start: r.start, end: r.end, paddr: r.paddr };
  }
}
