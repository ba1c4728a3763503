// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streams an ftrace text file (or stdin) through the FtraceParser in 1 MiB reads, so a trace of any
 * length is parsed in memory bounded by one chunk plus the events of that chunk. A StringDecoder
 * carries a UTF-8 character split across two reads (comm names can hold any bytes).
 */
import { closeSync, fstatSync, openSync, read } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { createRequire } from "node:module";
import type cliProgress from "cli-progress";
import { InputError } from "../core/errors.ts";
import { fsProblem } from "./errors.ts";
import type { TraceRecord } from "../workload/events.ts";
import { FtraceParser } from "../workload/ftrace.ts";
import type { FtraceStats } from "../workload/ftrace.ts";

export interface TraceInputOptions {
  /** Count malformed iommu lines and go on; otherwise the first one is an InputError naming its line. */
  readonly skipMalformed: boolean;
  /** Progress bar on stderr; "auto": only when stderr is a terminal and CI is not set. */
  readonly progress: boolean | "auto";
  /** Bytes per read. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** Malformed-line messages kept in skip mode. Default 5. */
  readonly maxMessages?: number;
  /**
   * Also yield the trace's iommu:io_page_fault lines (IommuFaultEvent, merged in line order) and give
   * map/unmap events their timestamps, for fault attribution. Default false.
   */
  readonly faults?: boolean;
  /** Where "-" reads from. Default process.stdin. */
  readonly stdin?: AsyncIterable<Buffer | string>;
}

export interface TraceInputStats {
  bytesRead: number;
  /** File size; null for stdin. */
  readonly totalBytes: number | null;
  /** Events yielded so far. */
  events: number;
  /** Wall time from the first read to the end of the input. */
  elapsedMs: number;
  /** The parser's counters: lines, maps, unmaps, comments, blank, otherLines, malformed, messages, … */
  readonly ftrace: FtraceStats;
}

export interface TraceInput {
  /** As given; "-" for stdin. */
  readonly path: string;
  /** The name errors and messages use ("stdin" for "-"). */
  readonly name: string;
  readonly stats: TraceInputStats;
  /**
   * The events, a batch per read. Throws InputError for a malformed line (unless skipMalformed), a read
   * failure, or an input with no iommu events at all. Can be iterated once.
   */
  batches(): AsyncGenerator<TraceRecord[]>;
  /** Closes the file when batches() will not be run to the end (it closes it itself when it ends). */
  close(): void;
}

const DEFAULT_CHUNK = 1 << 20;

/** Lines the parser did not turn into events and that are not errors. */
export function skippedLines(s: FtraceStats): number {
  return s.comments + s.blank + s.otherLines;
}

/**
 * Opens `path` ("-": stdin) for streaming. A missing or unreadable path, a directory, an empty file or
 * a binary trace-cmd/gzip file is an InputError now; the rest is found while reading.
 */
export function openTrace(path: string, opts: TraceInputOptions): TraceInput {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 4) throw new RangeError(`openTrace: chunkBytes ${chunkBytes} is not an integer >= 4`);
  const isStdin = path === "-";
  const name = isStdin ? "stdin" : path;
  let fd = -1;
  let totalBytes: number | null = null;
  if (isStdin && opts.stdin === undefined && process.stdin.isTTY === true) {
    throw new InputError("stdin", "", "is a terminal; pipe a trace in (e.g. cat trace.txt | iommu-lab … -) or give a file");
  }
  if (!isStdin) {
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw new InputError(path, "", `cannot open the trace (${fsProblem(err)})`);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new InputError(path, "", "is a directory, not a trace file");
      if (st.isFile()) {
        totalBytes = st.size;
        if (st.size === 0) throw new InputError(path, "", "the trace file is empty (no iommu:map or iommu:unmap events)");
      }
    } catch (err) {
      closeSync(fd);
      if (err instanceof InputError) throw err;
      throw new InputError(path, "", `cannot read the trace (${fsProblem(err)})`);
    }
  }
  const withFaultLines = opts.faults ?? false;
  const parser = new FtraceParser({
    fileName: name,
    skipMalformed: opts.skipMalformed,
    faults: withFaultLines,
    timestamps: withFaultLines,
    ...(opts.maxMessages === undefined ? {} : { maxMessages: opts.maxMessages }),
  });
  const stats: TraceInputStats = { bytesRead: 0, totalBytes, events: 0, elapsedMs: 0, ftrace: parser.stats };
  let used = false;

  async function* batches(): AsyncGenerator<TraceRecord[]> {
    if (used) throw new RangeError(`openTrace(${name}): batches() can be iterated only once`);
    used = true;
    const bar = wantProgress(opts.progress) ? new Progress(totalBytes) : null;
    const t0 = performance.now();
    const decoder = new StringDecoder("utf8");
    let first = true;
    const take = (bytes: Buffer | string): TraceRecord[] => {
      if (first) {
        first = false;
        checkNotBinary(name, bytes);
      }
      stats.bytesRead += typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length;
      const text = typeof bytes === "string" ? bytes : decoder.write(bytes);
      const evs = withFaults(parser.push(text), parser);
      stats.events += evs.length;
      return evs;
    };
    try {
      if (isStdin) {
        for await (const chunk of opts.stdin ?? (process.stdin as AsyncIterable<Buffer | string>)) {
          const evs = take(chunk);
          bar?.update(stats, t0);
          if (evs.length > 0) yield evs;
        }
      } else {
        const buf = Buffer.allocUnsafe(chunkBytes);
        for (;;) {
          const n = await readAt(fd, buf, name, stats.bytesRead);
          if (n === 0) break;
          // The parser keeps only substrings of the decoded text, never views of `buf`, so reuse is safe.
          const evs = take(buf.subarray(0, n));
          bar?.update(stats, t0);
          if (evs.length > 0) yield evs;
        }
      }
      const last: TraceRecord[] = parser.push(decoder.end());
      for (const ev of parser.end()) last.push(ev);
      const tail = withFaults(last, parser);
      stats.events += tail.length;
      stats.elapsedMs = performance.now() - t0;
      if (tail.length > 0) yield tail;
      if (stats.events === 0) throw new InputError(name, "", noEventsProblem(stats));
    } finally {
      stats.elapsedMs = performance.now() - t0;
      bar?.stop();
      close();
    }
  }

  function close(): void {
    if (fd >= 0) closeSync(fd);
    fd = -1;
  }

  return { path, name, stats, batches, close };
}

/** The parser's events of one push with the fault lines it found in them, merged in line order. */
function withFaults(evs: TraceRecord[], parser: FtraceParser): TraceRecord[] {
  const faults = parser.faults;
  if (faults === null || faults.length === 0) return evs;
  const out: TraceRecord[] = [];
  let f = 0;
  for (const ev of evs) {
    while (f < faults.length && (faults[f] as TraceRecord).line < ev.line) out.push(faults[f++] as TraceRecord);
    out.push(ev);
  }
  while (f < faults.length) out.push(faults[f++] as TraceRecord);
  faults.length = 0;
  return out;
}

/** Every event of a trace in memory: for small traces and tests (the CLI streams `batches()`). */
export async function readAllTraceEvents(input: TraceInput): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  for await (const batch of input.batches()) for (const ev of batch) out.push(ev);
  return out;
}

/** One line about what was read, e.g. for stderr at the end of a replay. */
export function describeTraceInput(input: TraceInput): string {
  const s = input.stats;
  const f = s.ftrace;
  const parts = [`${f.maps.toLocaleString("en-US")} maps + ${f.unmaps.toLocaleString("en-US")} unmaps from ${f.lines.toLocaleString("en-US")} lines (${mib(s.bytesRead)})`];
  const skipped = skippedLines(f);
  if (skipped > 0) parts.push(`${count(skipped, "other line")} ignored`);
  if (f.malformed > 0) parts.push(`${count(f.malformed, "malformed line")} skipped${f.messages[0] === undefined ? "" : ` (first: ${f.messages[0]})`}`);
  if (f.lostEventMarkers > 0) parts.push(`the ring buffer lost ${f.lostEvents.toLocaleString("en-US")} events in ${f.lostEventMarkers} places`);
  return `${input.name}: ${parts.join("; ")}`;
}

function count(n: number, what: string): string {
  return `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;
}

function noEventsProblem(s: TraceInputStats): string {
  const f = s.ftrace;
  if (f.malformed > 0) return `no usable iommu:map or iommu:unmap events (${count(f.malformed, "malformed line")} skipped; first: ${f.messages[0] ?? "?"})`;
  if (s.bytesRead === 0) return "the input is empty (no iommu:map or iommu:unmap events)";
  return `no iommu:map or iommu:unmap events in ${f.lines} lines (record with: echo 1 > /sys/kernel/tracing/events/iommu/map/enable; same for unmap)`;
}

/** trace-cmd's binary trace.dat and gzip start with magic bytes no text trace has. */
function checkNotBinary(name: string, first: Buffer | string): void {
  if (typeof first === "string" || first.length < 2) return;
  if (first[0] === 0x1f && first[1] === 0x8b) throw new InputError(name, "", "is gzip-compressed; decompress it first (e.g. zcat FILE | iommu-lab … -)");
  if (first.length >= 10 && first[0] === 0x17 && first[1] === 0x08 && first[2] === 0x44 && first.toString("latin1", 3, 10) === "tracing") {
    throw new InputError(name, "", "is a binary trace-cmd file; convert it with `trace-cmd report -i FILE > trace.txt`");
  }
}

function readAt(fd: number, buf: Buffer, name: string, at: number): Promise<number> {
  return new Promise((resolveRead, reject) => {
    read(fd, buf, 0, buf.length, null, (err, n) => {
      if (err) reject(new InputError(name, `byte ${at}`, `read failed (${fsProblem(err)})`));
      else resolveRead(n);
    });
  });
}


function wantProgress(p: boolean | "auto"): boolean {
  if (p !== "auto") return p;
  return process.stderr.isTTY === true && !process.env["CI"];
}

function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n.toLocaleString("en-US")} bytes`;
}

/** The bar: bytes read of the total, events, events per second; cleared when the input ends. */
class Progress {
  private readonly bar: cliProgress.SingleBar;
  private readonly total: number | null;

  constructor(total: number | null) {
    this.total = total;
    // Required here, not imported: worker threads, which never draw a bar, then never load it.
    const bars = createRequire(import.meta.url)("cli-progress") as typeof cliProgress;
    this.bar = new bars.SingleBar(
      {
        stream: process.stderr,
        format: total === null ? "trace {done} | {events} events | {rate} events/s" : "trace [{bar}] {percentage}% | {done}/{size} | {events} events | {rate} events/s",
        clearOnComplete: true,
        // A hidden cursor would stay hidden after Ctrl-C (restoring it needs a SIGINT handler that stops exit).
        hideCursor: false,
        barsize: 24,
        fps: 10,
      },
      bars.Presets.shades_classic,
    );
    this.bar.start(total ?? 0, 0, { done: mib(0), size: total === null ? "" : mib(total), events: "0", rate: "0" });
  }

  update(s: TraceInputStats, t0: number): void {
    const secs = (performance.now() - t0) / 1000;
    this.bar.update(this.total === null ? 0 : s.bytesRead, {
      done: mib(s.bytesRead),
      events: s.events.toLocaleString("en-US"),
      rate: secs > 0 ? Math.round(s.events / secs).toLocaleString("en-US") : "0",
    });
  }

  stop(): void {
    this.bar.stop();
  }
}
