// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a trace did not tell: the reader's and the replayer's findings as one plain record, for the
 * terminal line, the JSON (`traceQuality`) and the HTML warning. Everything here is counted while the
 * trace is read (FtraceParser / the trace.dat decoder) and replayed (TraceReplayer); nothing is
 * re-derived, and a clean trace says so (`clean`).
 */
import type { FtraceStats, LostEventForm } from "./ftrace.ts";
import type { ReplayStats } from "./replay.ts";

/** The replayer's counters that traceQuality reads (a TraceReplayer's `stats`). */
export type ReplayFindings = ReplayStats;

export interface TraceQuality {
  /** How the trace was stored: "ftrace text", "ftrace text (gzip)", "trace.dat v7 (zstd)", ... */
  readonly format: string;
  /** Lines read (text) or records read (trace.dat). */
  readonly lines: number;
  readonly lost: {
    /** Lost-event markers of any form. */
    readonly markers: number;
    /** Events lost, summed over the markers that give a count. */
    readonly eventsKnown: number;
    /** Markers without a count ("[LOST EVENTS]", "[EVENTS DROPPED]", a page flagged without a count). */
    readonly markersWithoutCount: number;
    readonly byForm: Readonly<Record<LostEventForm, number>>;
    /** Line (text) or record (trace.dat) numbers of the first markers. */
    readonly firstLines: readonly number[];
  };
  /** Lines that are not iommu events, by kind. */
  readonly ignored: { readonly comments: number; readonly blank: number; readonly otherEvents: number; readonly overlong: number };
  readonly malformed: { readonly count: number; readonly firstLines: readonly number[]; readonly messages: readonly string[] };
  /** The last line had no newline and was cut inside an event: its number (skipped); null if not. */
  readonly truncatedLastLine: number | null;
  /** The last line had no newline but parsed: its number; null if the trace ended with a newline. */
  readonly unterminatedLastLine: number | null;
  readonly zeroSizeEvents: { readonly count: number; readonly firstLines: readonly number[] };
  /** Unmaps whose unmapped_size differs from what the trace's live mappings covered. */
  readonly unmapMismatches: { readonly count: number; readonly firstLines: readonly number[] };
  /** Unmaps of ranges the trace never mapped (the map was lost, or the trace started after it). */
  readonly unknownUnmaps: { readonly count: number; readonly firstLines: readonly number[] };
  /** Seconds, of the first and last iommu event with a timestamp; null for bare lines. */
  readonly firstTimestamp: number | null;
  readonly lastTimestamp: number | null;
  readonly cpus: readonly number[];
  /** Nothing lost, malformed, cut, zero-sized, mismatched or unknown. */
  readonly clean: boolean;
}

/** The record from the reader's counters and (when the trace was replayed) the replayer's. */
export function traceQuality(format: string, f: FtraceStats, r: ReplayFindings | null): TraceQuality {
  const byForm = { ...f.lostByForm };
  const zero = r === null ? { count: 0, firstLines: [] } : { count: r.zeroSizeEvents, firstLines: [...r.zeroSizeLines] };
  const mism = r === null ? { count: 0, firstLines: [] } : { count: r.unmapMismatches, firstLines: [...r.unmapMismatchLines] };
  const unknown = r === null ? { count: 0, firstLines: [] } : { count: r.unknownUnmaps, firstLines: [...r.unknownUnmapLines] };
  const q = {
    format,
    lines: f.lines,
    lost: { markers: f.lostEventMarkers, eventsKnown: f.lostEvents, markersWithoutCount: f.lostMarkersWithoutCount, byForm, firstLines: [...f.lostLines] },
    ignored: { comments: f.comments, blank: f.blank, otherEvents: f.otherLines - f.overlongLines, overlong: f.overlongLines },
    malformed: { count: f.malformed, firstLines: [...f.malformedLines], messages: [...f.messages] },
    truncatedLastLine: f.truncatedLastLine,
    unterminatedLastLine: f.unterminatedLastLine,
    zeroSizeEvents: zero,
    unmapMismatches: mism,
    unknownUnmaps: unknown,
    firstTimestamp: f.firstTimestamp,
    lastTimestamp: f.lastTimestamp,
    cpus: [...f.cpus],
  };
  const clean = q.lost.markers === 0 && q.malformed.count === 0 && q.truncatedLastLine === null && zero.count === 0 && mism.count === 0 && unknown.count === 0;
  return { ...q, clean };
}

/** One terminal line, e.g. "trace quality: 3 lost-event markers (1,024 events known lost); 2 malformed lines skipped (lines 4, 9)". */
export function describeTraceQuality(name: string, q: TraceQuality): string {
  const parts: string[] = [];
  if (q.lost.markers > 0) {
    const forms = (Object.entries(q.lost.byForm) as [LostEventForm, number][]).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
    parts.push(
      `the ring buffer lost events: ${plural(q.lost.markers, "marker")} [${forms.join(", ")}]` +
        `${q.lost.eventsKnown > 0 ? `, ${fmt(q.lost.eventsKnown)} events known lost` : ""}${q.lost.markersWithoutCount > 0 ? `, ${q.lost.markersWithoutCount} without a count` : ""}` +
        ` (first at ${where(q)} ${q.lost.firstLines.join(", ")})`,
    );
  }
  if (q.malformed.count > 0)
    parts.push(
      `${plural(q.malformed.count, "malformed line")} skipped (${where(q)} ${q.malformed.firstLines.join(", ")}${q.malformed.count > q.malformed.firstLines.length ? ", …" : ""})`,
    );
  if (q.truncatedLastLine !== null) parts.push(`the last line (${q.truncatedLastLine}) is cut off and was skipped`);
  else if (q.unterminatedLastLine !== null) parts.push(`the last line (${q.unterminatedLastLine}) has no newline`);
  if (q.zeroSizeEvents.count > 0) parts.push(`${plural(q.zeroSizeEvents.count, "zero-size event")} (${where(q)} ${q.zeroSizeEvents.firstLines.join(", ")})`);
  if (q.unmapMismatches.count > 0)
    parts.push(
      `${plural(q.unmapMismatches.count, "unmap")} whose unmapped_size disagrees with the live mapping (${where(q)} ${q.unmapMismatches.firstLines.join(", ")})`,
    );
  if (q.unknownUnmaps.count > 0)
    parts.push(`${plural(q.unknownUnmaps.count, "unmap")} of never-mapped ranges (${where(q)} ${q.unknownUnmaps.firstLines.join(", ")})`);
  const span = q.firstTimestamp !== null && q.lastTimestamp !== null ? `, ${q.firstTimestamp.toFixed(6)}–${q.lastTimestamp.toFixed(6)} s` : "";
  const cpus = q.cpus.length > 0 ? `, CPUs ${q.cpus.join(",")}` : "";
  return `${name}: trace quality (${q.format}${span}${cpus}): ${q.clean ? "clean" : parts.join("; ")}`;
}

function where(q: TraceQuality): string {
  return q.format.startsWith("trace.dat") ? "records" : "lines";
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

function plural(n: number, what: string): string {
  return `${fmt(n)} ${what}${n === 1 ? "" : "s"}`;
}
