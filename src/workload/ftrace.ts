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
import type { IommuMapEvent, IommuUnmapEvent, TraceEvent } from "./events.ts";

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
}

export interface FtraceStats {
  lines: number;
  maps: number;
  unmaps: number;
  comments: number;
  blank: number;
  /** Lines that are not iommu map/unmap events (other tracepoints, trace-cmd headers, ...). */
  otherLines: number;
  /** `CPU:n [LOST m EVENTS]` markers: the ring buffer overflowed, so maps or unmaps may be missing. */
  lostEventMarkers: number;
  lostEvents: number;
  /** Malformed iommu lines skipped (skipMalformed). */
  malformed: number;
  /** The first `maxMessages` malformed-line messages, in full InputError text. */
  readonly messages: string[];
  /** Events parsed in each payload format. */
  oldFormat: number;
  rangeFormat: number;
}

/** A line longer than this is not a trace line; only its count is kept, so memory stays bounded. */
const MAX_LINE = 1 << 16;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_HASH = 35;
const CH_COLON = 58;
const CH_0 = 48;
const CH_9 = 57;

/** Value of an ASCII hex digit, -1 for any other code below 128. */
const HEX_VALUE: Readonly<Int8Array> = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[CH_0 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[97 + i] = 10 + i;
    t[65 + i] = 10 + i;
  }
  return t;
})();

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

  constructor(options: FtraceParseOptions = {}) {
    this.fileName = options.fileName ?? "trace";
    this.skipMalformed = options.skipMalformed ?? false;
    this.maxMessages = options.maxMessages ?? 5;
    this.lineNo = (options.firstLine ?? 1) - 1;
    this.stats = {
      lines: 0,
      maps: 0,
      unmaps: 0,
      comments: 0,
      blank: 0,
      otherLines: 0,
      lostEventMarkers: 0,
      lostEvents: 0,
      malformed: 0,
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

  /** The last line when the input does not end with a newline. */
  end(): TraceEvent[] {
    const out: TraceEvent[] = [];
    if (this.carry.length > 0 || this.carryOverlong) this.flushCarry(out);
    return out;
  }

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
    if (end > start && s.charCodeAt(end - 1) === CH_CR) end--;
    let p = start;
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (p === end) {
      st.blank++;
      return;
    }
    if (s.charCodeAt(p) === CH_HASH) {
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
    if (s.startsWith("CPU", p)) this.countLost(s, p, end);
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
        if (s.charCodeAt(q) !== CH_COLON || q - 1 < lineStart || !isDigit(s.charCodeAt(q - 1))) return undefined;
      }
    }
    return unmap ? this.parseUnmap(s, after, end) : this.parseMap(s, after, end);
  }

  private parseMap(s: string, p: number, end: number): IommuMapEvent | null {
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
    return { type: "iommuMap", iova, paddr, size, line: this.lineNo };
  }

  private parseUnmap(s: string, p: number, end: number): IommuUnmapEvent | null {
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
    return { type: "iommuUnmap", iova, size, unmappedSize, line: this.lineNo };
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
      const d = c < 128 ? (HEX_VALUE[c] as number) : -1;
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
      if (c < CH_0 || c > CH_9) break;
      v = v * 10 + (c - CH_0);
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

  private countLost(s: string, p: number, end: number): void {
    // "CPU:2 [LOST 1234 EVENTS]" (cat trace) or "CPU 2 [LOST 1234 EVENTS]"-like trace-cmd text.
    const line = s.slice(p, Math.min(end, p + 80));
    const at = line.indexOf("[LOST ");
    if (at < 0) return;
    let q = at + 6;
    let n = 0;
    let digits = 0;
    while (q < line.length) {
      const c = line.charCodeAt(q);
      if (c < CH_0 || c > CH_9) break;
      n = n * 10 + (c - CH_0);
      digits++;
      q++;
    }
    if (digits === 0 || !line.startsWith(" EVENTS]", q)) return;
    this.stats.lostEventMarkers++;
    this.stats.lostEvents += n;
  }

  private failNum(problem: string): number {
    this.fail(problem);
    return -1;
  }

  /** Throws, or in skip mode counts the line and keeps the first few messages. */
  private fail(problem: string): null {
    const err = new InputError(this.fileName, `line ${this.lineNo}`, problem);
    if (!this.skipMalformed) throw err;
    this.stats.malformed++;
    if (this.stats.messages.length < this.maxMessages) this.stats.messages.push(err.message);
    return null;
  }
}

function isBlank(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB;
}

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
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
  const events = parser.push(line);
  const last = parser.end();
  return events[0] ?? last[0] ?? null;
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
    return `${header.comm.padStart(16)}-${header.pid} ${cpu} ${ts}: ${`${name}:`.padEnd(20)} ${payload}`;
  }
  const flags = header.flags !== undefined && header.flags !== "" ? ` ${header.flags}` : "";
  return `${header.comm.padStart(16)}-${String(header.pid).padEnd(7)} ${cpu}${flags} ${ts}: ${name}: ${payload}`;
}
