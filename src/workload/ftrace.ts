// SPDX-License-Identifier: GPL-2.0-only
/**
 * Parser and formatter for the `iommu:map` / `iommu:unmap` tracepoints (include/trace/events/iommu.h).
 *
 * Payloads, as TP_printk writes them (docs/kernel-facts.md#tracepoints):
 *   old   (4.19, 5.x)  map:   IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu
 *                      unmap: IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu
 *   range (v5.17+, Dafna Hirschfeld's 94aedac49d92; docs/kernel-facts.md#tracepoints)
 *                      map:   IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu
 *                      unmap: IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu
 * Line layouts accepted:
 *   cat trace        <comm>-<pid> [<cpu>] <flags> <timestamp>: map: IOMMU: ...   (flags column optional)
 *   trace-cmd report <comm>-<pid> [<cpu>] <timestamp>: map:    IOMMU: ...         (or `iommu:map:`)
 *   bare             map: IOMMU: ...
 * The event name is recognised only right after `<digits>:` (the timestamp) or at the start of the line,
 * so `map:` inside a comm or another event's message is not taken for one.
 *
 * The scanner works on (string, start, end) without slicing lines, and remembers where the next `map:`
 * is in the current chunk, so skipped lines never make it rescan text: parsing is linear in the input.
 */
import { formatTracePayload as formatKernelPayload } from "../dma/trace.ts";
import { InputError } from "../core/errors.ts";
import type { IommuFaultEvent, IommuMapEvent, IommuUnmapEvent, TraceEvent } from "./events.ts";
import { parseFaultLine, type DeviceFault } from "./faults.ts";
import { COLON, CR, HASH, HEX, NINE, SPACE, TAB, ZERO } from "./ascii.ts";
import { newScannedEvent, scanEventLine } from "./ftrace-bytes.ts";

/** UTF-8 text of bytes[from, to), as the input's decoder gives it (e.g. Buffer.prototype.toString). */
export type Utf8Slice<B extends Uint8Array> = (bytes: B, from: number, to: number) => string;

export type TracepointFormat = "old" | "range";

export interface FtraceParseOptions {
  /** Names the input in errors ("trace.txt"). Default "trace". */
  readonly fileName?: string;
  /** Count malformed iommu lines and go on, instead of throwing an InputError. */
  readonly skipMalformed?: boolean;
  /** How many malformed-line messages to keep in skip mode. Default 5. */
  readonly maxMessages?: number;
  /** Number of the first line, for a parser started in the middle of a file. Default 1. */
  readonly firstLine?: number;
  /**
   * Also read `iommu:io_page_fault` lines (include/trace/events/iommu.h, class iommu_error) into
   * `faults`, for the reader to drain and merge by line. Default false: map/unmap only.
   */
  readonly faults?: boolean;
  /** Give each map/unmap event the `ts` of its line (seconds), when the line has one. Default false. */
  readonly timestamps?: boolean;
}

/**
 * The four lost-event markers a text trace can hold (one per ring-buffer overrun seen by the reader):
 * - kernel `cat trace`: "CPU:%d [LOST %lu EVENTS]" and, when the count is unknown, "CPU:%d [LOST EVENTS]"
 *   (torvalds/linux kernel/trace/trace.c:print_trace_line);
 * - `trace-cmd report`: "CPU:%d [%lld EVENTS DROPPED]" and "CPU:%d [EVENTS DROPPED]"
 *   (rostedt/trace-cmd@3ce20923 tracecmd/trace-read.c:trace_show_data).
 * A trace.dat page that carries the ring buffer's missed-events flag is the fifth source ("page").
 */
export type LostEventForm = "lost-count" | "lost" | "dropped-count" | "dropped" | "page";
export const LOST_EVENT_FORMS: readonly LostEventForm[] = ["lost-count", "lost", "dropped-count", "dropped", "page"];

/** Line numbers kept per kind of problem, so memory stays bounded on a bad trace. */
export const FIRST_LINES_KEPT = 10;

export interface FtraceStats {
  lines: number;
  maps: number;
  unmaps: number;
  comments: number;
  blank: number;
  /** Lines that are not iommu map/unmap events (other tracepoints, trace-cmd headers, ...). */
  otherLines: number;
  /** Lost-event markers of every form: the ring buffer overflowed, so maps or unmaps may be missing. */
  lostEventMarkers: number;
  /** Events lost, summed over the markers that give a count. */
  lostEvents: number;
  /** Markers that give no count ("[LOST EVENTS]", "[EVENTS DROPPED]", a flagged page without one). */
  lostMarkersWithoutCount: number;
  /** Markers per form (see LostEventForm). */
  readonly lostByForm: Record<LostEventForm, number>;
  /** Line numbers of the first lost-event markers. */
  readonly lostLines: number[];
  /** Lines longer than 64 KiB: not a trace line, counted among otherLines too. */
  overlongLines: number;
  /** Malformed iommu lines skipped (skipMalformed). */
  malformed: number;
  /** The first malformed lines' numbers. */
  readonly malformedLines: number[];
  /** The last line had no newline and was cut inside an iommu event: its number; it was skipped. */
  truncatedLastLine: number | null;
  /** The last line had no newline but parsed (it may still have lost digits at the end): its number. */
  unterminatedLastLine: number | null;
  /** Timestamps (seconds) of the first and last iommu event that had one. */
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  /** CPUs of the iommu events and lost-event markers, ascending. */
  readonly cpus: number[];
  /** The first `maxMessages` malformed-line messages, in full InputError text. */
  readonly messages: string[];
  /** Events parsed in each payload format. */
  oldFormat: number;
  rangeFormat: number;
}

/** A line longer than this is not a trace line; only its count is kept, so memory stays bounded. */
const MAX_LINE = 1 << 16;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Streaming parser: push chunks of any size, get the events of the complete lines so far. */
export class FtraceParser {
  readonly fileName: string;
  readonly stats: FtraceStats;
  private readonly skipMalformed: boolean;
  private readonly maxMessages: number;
  private carry = "";
  private carryOverlong = false;
  private lineNo = 0;
  /**
   * Search cache: in the string being scanned (generation `hitGen`), the first "map:" at or after
   * `hitFrom` is at `hitPos` (Infinity: none). A generation number, not the string itself, names the
   * text, because comparing two equal-length chunks with === may compare their contents.
   */
  private gen = 0;
  private hitGen = -1;
  private hitFrom = 0;
  private hitPos = 0;
  /** Scanner cursor, set by the number readers. */
  private cur = 0;
  /** io_page_fault lines parsed so far and not yet drained (null: not asked for). */
  readonly faults: IommuFaultEvent[] | null;
  private readonly timestamps: boolean;
  /** The timestamp noteHeader found on the last event's line, -1 when it had none. */
  private headerTs = -1;
  /** The same search cache as for "map:", for "io_page_fault:". */
  private faultGen = -1;
  private faultFrom = 0;
  private faultPos = 0;

  constructor(options: FtraceParseOptions = {}) {
    this.fileName = options.fileName ?? "trace";
    this.skipMalformed = options.skipMalformed ?? false;
    this.maxMessages = options.maxMessages ?? 5;
    this.lineNo = (options.firstLine ?? 1) - 1;
    this.faults = options.faults === true ? [] : null;
    this.timestamps = options.timestamps ?? false;
    this.stats = {
      lines: 0,
      maps: 0,
      unmaps: 0,
      comments: 0,
      blank: 0,
      otherLines: 0,
      lostEventMarkers: 0,
      lostEvents: 0,
      lostMarkersWithoutCount: 0,
      lostByForm: { "lost-count": 0, lost: 0, "dropped-count": 0, dropped: 0, page: 0 },
      lostLines: [],
      overlongLines: 0,
      malformed: 0,
      malformedLines: [],
      truncatedLastLine: null,
      unterminatedLastLine: null,
      firstTimestamp: null,
      lastTimestamp: null,
      cpus: [],
      messages: [],
      oldFormat: 0,
      rangeFormat: 0,
    };
  }

  /** Parses every complete line in `carry + chunk`; keeps the unterminated tail for the next call. */
  push(chunk: string): TraceEvent[] {
    const out: TraceEvent[] = [];
    let pos = 0;
    if (this.carry.length > 0 || this.carryOverlong) {
      const nl = chunk.indexOf("\n");
      if (nl < 0) {
        this.appendCarry(chunk, 0, chunk.length);
        return out;
      }
      this.appendCarry(chunk, 0, nl);
      this.flushCarry(out);
      pos = nl + 1;
    }
    const len = chunk.length;
    this.gen++;
    while (pos < len) {
      const nl = chunk.indexOf("\n", pos);
      if (nl < 0) {
        this.appendCarry(chunk, pos, len);
        break;
      }
      this.lineNo++;
      this.parseLine(chunk, pos, nl, out);
      pos = nl + 1;
    }
    return out;
  }

  /**
   * Parses the complete lines of raw UTF-8 bytes[from, to) (`to` just after a newline) into `out`, as
   * push() of their text would: a well-formed map/unmap line is read from its bytes (ftrace-bytes.ts),
   * any other line is decoded with `text` and goes through the string scanner, which keeps its counters
   * and its messages. Only between whole lines: nothing may be carried from an earlier push().
   */
  pushLines<B extends Uint8Array>(bytes: B, from: number, to: number, out: TraceEvent[], text: Utf8Slice<B>): void {
    if (this.carry.length > 0 || this.carryOverlong) throw new RangeError("FtraceParser.pushLines: a partial line is carried from push()");
    if (to > from && bytes[to - 1] !== 10) throw new RangeError("FtraceParser.pushLines: the bytes do not end with a newline");
    const st = this.stats;
    const r = this.scanned;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = from;
    while (pos < to) {
      this.lineNo++;
      let nl = scanEventLine(bytes, view, pos, to, r);
      if (nl < 0) {
        nl = bytes.indexOf(10, pos);
        const line = text(bytes, pos, nl);
        this.gen++;
        this.parseLine(line, 0, line.length, out);
        pos = nl + 1;
        continue;
      }
      pos = nl + 1;
      st.lines++;
      if (r.range) st.rangeFormat++;
      else st.oldFormat++;
      let ts = r.ts;
      if (ts >= 0) {
        if (st.firstTimestamp === null) st.firstTimestamp = ts;
        st.lastTimestamp = ts;
      }
      if (r.cpu >= 0) this.noteCpu(r.cpu);
      if (!this.timestamps) ts = -1;
      const line = this.lineNo;
      if (r.unmap) {
        st.unmaps++;
        const iova = r.iova;
        const size = r.size;
        const unmappedSize = r.unmappedSize;
        out.push(ts < 0 ? { type: "iommuUnmap", iova, size, unmappedSize, line } : { type: "iommuUnmap", iova, size, unmappedSize, line, ts });
      } else {
        st.maps++;
        const iova = r.iova;
        const paddr = r.paddr;
        const size = r.size;
        out.push(ts < 0 ? { type: "iommuMap", iova, paddr, size, line } : { type: "iommuMap", iova, paddr, size, line, ts });
      }
    }
  }

  /** The fast path's result for one line, reused. */
  private readonly scanned = newScannedEvent();

  /** The last line when the input does not end with a newline. */
  end(): TraceEvent[] {
    const out: TraceEvent[] = [];
    if (this.carry.length > 0 || this.carryOverlong) {
      // A capture stopped mid-write ends in a cut line: reported and skipped, never fatal.
      this.atLastLine = true;
      try {
        this.flushCarry(out);
      } finally {
        this.atLastLine = false;
      }
      if (this.stats.truncatedLastLine === null) this.stats.unterminatedLastLine = this.lineNo;
    }
    return out;
  }

  /** Set while the unterminated last line is parsed: a failure there is a cut, not a malformed line. */
  private atLastLine = false;

  private appendCarry(chunk: string, from: number, to: number): void {
    if (this.carryOverlong) return;
    if (this.carry.length + (to - from) > MAX_LINE) {
      this.carry = "";
      this.carryOverlong = true;
      return;
    }
    this.carry += chunk.slice(from, to);
  }

  private flushCarry(out: TraceEvent[]): void {
    this.lineNo++;
    if (this.carryOverlong) {
      this.stats.lines++;
      this.stats.otherLines++;
      this.stats.overlongLines++;
    } else {
      const line = this.carry;
      this.gen++;
      this.parseLine(line, 0, line.length, out);
    }
    this.carry = "";
    this.carryOverlong = false;
  }

  /** Classifies one line [start, end) of `s` (no newline inside) and appends its event, if any. */
  private parseLine(s: string, start: number, end: number, out: TraceEvent[]): void {
    const st = this.stats;
    st.lines++;
    if (end > start && s.charCodeAt(end - 1) === CR) end--;
    let p = start;
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (p === end) {
      st.blank++;
      return;
    }
    if (s.charCodeAt(p) === HASH) {
      st.comments++;
      return;
    }
    let i = this.findMapToken(s, p);
    while (i < end) {
      const ev = this.tryEvent(s, p, i, end);
      if (ev !== undefined) {
        if (ev !== null) out.push(ev);
        return;
      }
      i = this.findMapToken(s, i + 1);
    }
    st.otherLines++;
    if (this.faults !== null && this.findFaultToken(s, p) < end) this.parseFault(s, p, end);
    if (s.charCodeAt(p) === 67 /* C */) this.countLost(s, p, end);
  }

  /** Position of the first "io_page_fault:" at or after `from` in `s`, cached as findMapToken is. */
  private findFaultToken(s: string, from: number): number {
    if (this.faultGen === this.gen && from >= this.faultFrom && from <= this.faultPos) return this.faultPos;
    const i = s.indexOf("io_page_fault:", from);
    this.faultGen = this.gen;
    this.faultFrom = from;
    this.faultPos = i < 0 ? Infinity : i;
    return this.faultPos;
  }

  /** An io_page_fault line (faults.ts reads it); a malformed one fails as a malformed map line does. */
  private parseFault(s: string, p: number, end: number): void {
    let f: DeviceFault | null;
    try {
      f = parseFaultLine(s.slice(p, end), this.fileName, this.lineNo);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const prefix = `${this.fileName}: line ${this.lineNo}: `;
      this.fail(err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message);
      return;
    }
    if (f === null || this.faults === null) return;
    this.stats.otherLines--;
    this.faults.push({ type: "iommuFault", fault: f, line: this.lineNo });
  }

  /** Position of the first "map:" at or after `from` in `s`, through the cache. */
  private findMapToken(s: string, from: number): number {
    if (this.hitGen === this.gen && from >= this.hitFrom && from <= this.hitPos) return this.hitPos;
    const i = s.indexOf("map:", from);
    this.hitGen = this.gen;
    this.hitFrom = from;
    this.hitPos = i < 0 ? Infinity : i;
    return this.hitPos;
  }

  /**
   * `map:` found at `i`: undefined when it is not an event name (keep looking), null for a malformed line
   * that was skipped, else the event.
   */
  private tryEvent(s: string, lineStart: number, i: number, end: number): TraceEvent | null | undefined {
    const after = i + 4;
    if (after < end && !isBlank(s.charCodeAt(after))) return undefined;
    let unmap = false;
    let ts = i;
    if (i - 2 >= lineStart && s.charCodeAt(i - 2) === 117 /* u */ && s.charCodeAt(i - 1) === 110 /* n */) {
      unmap = true;
      ts = i - 2;
    }
    if (ts - 6 >= lineStart && s.startsWith("iommu:", ts - 6)) ts -= 6;
    if (ts > lineStart) {
      let q = ts - 1;
      if (!isBlank(s.charCodeAt(q))) return undefined;
      while (q >= lineStart && isBlank(s.charCodeAt(q))) q--;
      if (q >= lineStart) {
        if (s.charCodeAt(q) !== COLON || q - 1 < lineStart || !isDigit(s.charCodeAt(q - 1))) return undefined;
      }
    }
    return unmap ? this.parseUnmap(s, after, end, lineStart, ts) : this.parseMap(s, after, end, lineStart, ts);
  }

  /**
   * Notes the header of a well-formed event line (its name at `nameStart`) and returns its timestamp
   * when the events carry one, else -1.
   */
  private eventTs(s: string, lineStart: number, nameStart: number): number {
    this.noteHeader(s, lineStart, nameStart);
    return this.timestamps ? this.headerTs : -1;
  }

  // The events are built whole, with or without `ts`: an object spread with `ts` added after it made
  // every consumer's property reads several times slower.
  private parseMap(s: string, p: number, end: number, lineStart: number, nameStart: number): IommuMapEvent | null {
    p = this.payloadStart(s, p, end, "map");
    if (p < 0) return null;
    const iova = this.hexField(s, p, end, "map", "iova");
    if (iova < 0) return null;
    p = this.cur;
    const rangeEnd = this.rangeEnd(s, p, end, "map");
    if (rangeEnd === -2) return null;
    p = this.cur;
    if (!s.startsWith(" paddr=0x", p)) return this.fail("map event without paddr=0x");
    const paddr = this.hexField(s, p + 9, end, "map", "paddr");
    if (paddr < 0) return null;
    p = this.cur;
    if (!s.startsWith(" size=", p)) return this.fail("map event without size=");
    const size = this.decField(s, p + 6, end, "size");
    if (size < 0) return null;
    if (!this.checkTail(s, this.cur, end, "size")) return null;
    if (!this.checkRange(iova, size, rangeEnd)) return null;
    this.stats.maps++;
    if (rangeEnd < 0) this.stats.oldFormat++;
    else this.stats.rangeFormat++;
    const ts = this.eventTs(s, lineStart, nameStart);
    const line = this.lineNo;
    return ts < 0 ? { type: "iommuMap", iova, paddr, size, line } : { type: "iommuMap", iova, paddr, size, line, ts };
  }

  private parseUnmap(s: string, p: number, end: number, lineStart: number, nameStart: number): IommuUnmapEvent | null {
    p = this.payloadStart(s, p, end, "unmap");
    if (p < 0) return null;
    const iova = this.hexField(s, p, end, "unmap", "iova");
    if (iova < 0) return null;
    p = this.cur;
    const rangeEnd = this.rangeEnd(s, p, end, "unmap");
    if (rangeEnd === -2) return null;
    p = this.cur;
    if (!s.startsWith(" size=", p)) return this.fail("unmap event without size=");
    const size = this.decField(s, p + 6, end, "size");
    if (size < 0) return null;
    p = this.cur;
    if (!s.startsWith(" unmapped_size=", p)) return this.fail("unmap event without unmapped_size=");
    const unmappedSize = this.decField(s, p + 15, end, "unmapped_size");
    if (unmappedSize < 0) return null;
    if (!this.checkTail(s, this.cur, end, "unmapped_size")) return null;
    if (!this.checkRange(iova, size, rangeEnd)) return null;
    this.stats.unmaps++;
    if (rangeEnd < 0) this.stats.oldFormat++;
    else this.stats.rangeFormat++;
    const ts = this.eventTs(s, lineStart, nameStart);
    const line = this.lineNo;
    return ts < 0 ? { type: "iommuUnmap", iova, size, unmappedSize, line } : { type: "iommuUnmap", iova, size, unmappedSize, line, ts };
  }

  /** After the event name: blanks, `IOMMU:`, blanks, `iova=0x`. Returns the position of the first hex digit. */
  private payloadStart(s: string, p: number, end: number, kind: string): number {
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (!s.startsWith("IOMMU:", p) || p + 6 > end) {
      this.fail(`${kind} event without "IOMMU:" after the event name`);
      return -1;
    }
    p += 6;
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (!s.startsWith("iova=0x", p) || p + 7 > end) {
      this.fail(`${kind} event without iova=0x`);
      return -1;
    }
    return p + 7;
  }

  /** The optional ` - 0x<end>` of the range format: -1 when absent, -2 after a failure, else the end. */
  private rangeEnd(s: string, p: number, end: number, kind: string): number {
    if (!s.startsWith(" - 0x", p)) {
      this.cur = p;
      return -1;
    }
    const v = this.hexField(s, p + 5, end, kind, "end of range");
    return v < 0 ? -2 : v;
  }

  /** Hex digits at `p` (1 to 16 of them); sets `cur` after them. -1 after a failure. */
  private hexField(s: string, p: number, end: number, kind: string, field: string): number {
    let v = 0;
    const start = p;
    while (p < end) {
      const c = s.charCodeAt(p);
      const d = c < 128 ? (HEX[c] as number) : -1;
      if (d < 0) break;
      v = v * 16 + d;
      p++;
    }
    const n = p - start;
    if (n === 0) return this.failNum(`${kind} event: ${field} is not a hex number`);
    if (n > 16) return this.failNum(`${kind} event: ${field} has more than 16 hex digits`);
    if (v > MAX_SAFE) return this.failNum(`${kind} event: ${field} 0x${s.slice(start, p)} is above 2^53, beyond what the model represents`);
    this.cur = p;
    return v;
  }

  /** %zu at `p`; sets `cur` after it. -1 after a failure. */
  private decField(s: string, p: number, end: number, field: string): number {
    let v = 0;
    const start = p;
    while (p < end) {
      const c = s.charCodeAt(p);
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
      p++;
    }
    if (p === start) return this.failNum(`${field}= is not a decimal number`);
    if (p - start > 20 || v > MAX_SAFE) return this.failNum(`${field}=${s.slice(start, p)} is above 2^53, beyond what the model represents`);
    this.cur = p;
    return v;
  }

  private checkTail(s: string, p: number, end: number, last: string): boolean {
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (p === end) return true;
    this.fail(`unexpected text after ${last}=: "${s.slice(p, Math.min(end, p + 24))}"`);
    return false;
  }

  /** The range format prints iova + size as the end; anything else is a corrupt line. */
  private checkRange(iova: number, size: number, rangeEnd: number): boolean {
    if (rangeEnd < 0 || rangeEnd === iova + size) return true;
    this.fail(`range end 0x${rangeEnd.toString(16)} is not iova + size (0x${(iova + size).toString(16)})`);
    return false;
  }

  /** One of the four marker forms at `p` (the line starts with "CPU"); anything else stays an other line. */
  private countLost(s: string, p: number, end: number): void {
    if (!s.startsWith("CPU:", p)) return;
    let q = p + 4;
    const cpu = this.digitsAt(s, q, end);
    if (cpu < 0) return;
    q = this.cur;
    if (!s.startsWith(" [", q)) return;
    q += 2;
    let form: LostEventForm;
    let n = -1;
    if (s.startsWith("LOST ", q)) {
      q += 5;
      if (s.startsWith("EVENTS]", q)) {
        form = "lost";
        q += 7;
      } else {
        n = this.digitsAt(s, q, end);
        if (n < 0 || !s.startsWith(" EVENTS]", this.cur)) return;
        form = "lost-count";
        q = this.cur + 8;
      }
    } else if (s.startsWith("EVENTS DROPPED]", q)) {
      form = "dropped";
      q += 15;
    } else {
      n = this.digitsAt(s, q, end);
      if (n < 0 || !s.startsWith(" EVENTS DROPPED]", this.cur)) return;
      form = "dropped-count";
      q = this.cur + 16;
    }
    while (q < end && isBlank(s.charCodeAt(q))) q++;
    if (q !== end) return;
    this.noteLost(form, n < 0 ? null : n, cpu);
  }

  /** Counts one lost-event marker; `count` null when the marker gives none. */
  private noteLost(form: LostEventForm, count: number | null, cpu: number | null): void {
    const st = this.stats;
    st.otherLines--;
    st.lostEventMarkers++;
    st.lostByForm[form]++;
    if (count !== null) st.lostEvents += count;
    else st.lostMarkersWithoutCount++;
    if (st.lostLines.length < FIRST_LINES_KEPT) st.lostLines.push(this.lineNo);
    if (cpu !== null) this.noteCpu(cpu);
  }

  /** Decimal digits at `p` (at most 15); sets `cur` after them; -1 when there are none. */
  private digitsAt(s: string, p: number, end: number): number {
    let v = 0;
    const start = p;
    while (p < end && p - start < 15) {
      const c = s.charCodeAt(p);
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
      p++;
    }
    if (p === start) return -1;
    this.cur = p;
    return v;
  }

  private noteCpu(cpu: number): void {
    const cpus = this.stats.cpus;
    if (this.cpuSeen[cpu] === 1) return;
    if (cpu < this.cpuSeen.length) this.cpuSeen[cpu] = 1;
    else if (cpus.includes(cpu)) return;
    let i = cpus.length;
    while (i > 0 && (cpus[i - 1] as number) > cpu) i--;
    cpus.splice(i, 0, cpu);
  }

  private readonly cpuSeen = new Uint8Array(4096);

  /**
   * The header before the event name at `nameStart`: `... [<cpu>] <flags> <secs>.<frac>: `. Notes the
   * timestamp and the CPU when they are there; a bare line has neither.
   */
  private noteHeader(s: string, lineStart: number, nameStart: number): void {
    this.headerTs = -1;
    let q = nameStart - 1;
    while (q >= lineStart && isBlank(s.charCodeAt(q))) q--;
    if (q < lineStart || s.charCodeAt(q) !== COLON) return;
    const tsEnd = q;
    q--;
    while (q >= lineStart && (isDigit(s.charCodeAt(q)) || s.charCodeAt(q) === 46)) q--;
    const ts = decimalAt(s, q + 1, tsEnd);
    if (q + 1 < tsEnd && Number.isFinite(ts)) {
      const st = this.stats;
      if (st.firstTimestamp === null) st.firstTimestamp = ts;
      st.lastTimestamp = ts;
      this.headerTs = ts;
    }
    // The CPU is the nearest "[digits]" before the timestamp (a flags column may sit between them).
    const close = s.lastIndexOf("]", q);
    if (close < lineStart || q - close > 12) return;
    const open = s.lastIndexOf("[", close);
    if (open < lineStart || close - open < 2 || close - open > 6) return;
    const cpu = this.digitsAt(s, open + 1, close);
    if (cpu >= 0 && this.cur === close) this.noteCpu(cpu);
  }

  private failNum(problem: string): number {
    this.fail(problem);
    return -1;
  }

  /** Throws, or in skip mode counts the line and keeps the first few messages. */
  private fail(problem: string): null {
    if (this.atLastLine) {
      this.stats.truncatedLastLine = this.lineNo;
      return null;
    }
    const err = new InputError(this.fileName, `line ${this.lineNo}`, problem);
    if (!this.skipMalformed) throw err;
    this.stats.malformed++;
    if (this.stats.malformedLines.length < FIRST_LINES_KEPT) this.stats.malformedLines.push(this.lineNo);
    if (this.stats.messages.length < this.maxMessages) this.stats.messages.push(err.message);
    return null;
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Number(s.slice(from, to)) for digits with at most one '.' (a timestamp), without the string: up to 15
 * digits the value is an exact integer over an exact power of ten, and one IEEE division rounds that
 * quotient as Number() rounds the decimal. Anything else goes to Number().
 */
export function decimalAt(s: string, from: number, to: number): number {
  let v = 0;
  let digits = 0;
  let dot = -1;
  for (let p = from; p < to; p++) {
    const c = s.charCodeAt(p);
    if (c >= ZERO && c <= NINE) {
      v = v * 10 + (c - ZERO);
      digits++;
    } else if (c === 46 && dot < 0) dot = p;
    else return Number(s.slice(from, to));
  }
  if (digits === 0 || digits > 15) return Number(s.slice(from, to));
  return dot < 0 ? v : v / (POW10[to - dot - 1] as number);
}

export interface FtraceParseResult {
  readonly events: TraceEvent[];
  readonly stats: FtraceStats;
}

/** Parses a whole trace held in memory. */
export function parseFtrace(text: string, options: FtraceParseOptions = {}): FtraceParseResult {
  const parser = new FtraceParser(options);
  const events = parser.push(text);
  for (const ev of parser.end()) events.push(ev);
  return { events, stats: parser.stats };
}

/**
 * One line: its event, or null when it is not an iommu map/unmap line (comment, blank, other event).
 * A malformed iommu line throws an InputError naming `fileName` and `line <lineNo>`.
 */
export function parseTraceLine(line: string, fileName = "trace", lineNo = 1): TraceEvent | null {
  if (line.includes("\n")) throw new RangeError(`parseTraceLine: the line contains a newline at ${line.indexOf("\n")}`);
  const parser = new FtraceParser({ fileName, firstLine: lineNo });
  // One whole line, so a malformed one is an error, not a cut last line.
  return parser.push(line + "\n")[0] ?? null;
}

// ---------------------------------------------------------------------------------------------------
// Formatting

/** Where a line came from: the ftrace header fields. */
export interface TraceLineHeader {
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  /** Seconds. */
  readonly ts: number;
  /** `cat trace` irq/preempt flags column, e.g. "d..1."; omitted when undefined or "". */
  readonly flags?: string;
  /** `trace` (default): `cat trace` layout; `trace-cmd`: `trace-cmd report` layout (no flags column). */
  readonly layout?: "trace" | "trace-cmd";
}

/** The TP_printk text of the event, exactly as the kernel prints it in `format` (the dma layer's formatter). */
export function formatTracePayload(ev: TraceEvent, format: TracepointFormat): string {
  return formatKernelPayload(
    ev.type === "iommuMap"
      ? { kind: "map", iova: ev.iova, paddr: ev.paddr, size: ev.size }
      : { kind: "unmap", iova: ev.iova, size: ev.size, unmapped: ev.unmappedSize },
    format,
  );
}

/** A whole trace line: the header, the event name (`map` / `unmap`) and the payload. */
export function formatTraceEvent(ev: TraceEvent, format: TracepointFormat, header: TraceLineHeader): string {
  if (!Number.isInteger(header.pid) || header.pid < 0) throw new RangeError(`formatTraceEvent: pid ${header.pid} is not a non-negative integer`);
  if (!Number.isInteger(header.cpu) || header.cpu < 0) throw new RangeError(`formatTraceEvent: cpu ${header.cpu} is not a non-negative integer`);
  if (!(header.ts >= 0)) throw new RangeError(`formatTraceEvent: timestamp ${header.ts} is negative`);
  const name = ev.type === "iommuMap" ? "map" : "unmap";
  const cpu = `[${String(header.cpu).padStart(3, "0")}]`;
  const ts = header.ts.toFixed(6).padStart(12);
  const payload = formatTracePayload(ev, format);
  if (header.layout === "trace-cmd") {
    // trace_show_data's "%16s-%-5d [%03d]" and " %5llu.%06llu:", then print_event_name's " %s: " padded with
    // 20 - strlen(name) spaces (rostedt/trace-cmd tracecmd/trace-read.c). Simplification: the latency field
    // trace-cmd prints by default since 1e713bfc (2024) is left out, as older trace-cmd did.
    return `${header.comm.padStart(16)}-${String(header.pid).padEnd(5)} ${cpu} ${ts}: ${name}: ${" ".repeat(Math.max(0, 20 - name.length))}${payload}`;
  }
  const flags = header.flags !== undefined && header.flags !== "" ? ` ${header.flags}` : "";
  return `${header.comm.padStart(16)}-${String(header.pid).padEnd(7)} ${cpu}${flags} ${ts}: ${name}: ${payload}`;
}
