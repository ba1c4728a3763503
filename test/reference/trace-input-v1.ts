// SPDX-License-Identifier: GPL-2.0-only
// Reference copy, for test/cli/trace-bytes-equivalence.test.ts only: the string-only ftrace text path as it
// was before the byte-level fast path (main at 43b8460, src/cli/trace-input.ts). Not maintained; do not import from src/.
/**
 * Streams a trace (a file, a FIFO, `<(zcat …)`, or stdin for "-") in 1 MiB reads, one pass, never probing
 * a size it cannot know. What it holds is told by its first bytes, not its name:
 * - gzip (1f 8b): inflated on the fly with node:zlib, then looked at again;
 * - trace-cmd's trace.dat (17 08 44 "tracing"): held in memory and decoded (src/workload/tracedat);
 * - anything else: ftrace text through the FtraceParser, in memory bounded by one chunk plus the events
 *   of that chunk. A StringDecoder carries a UTF-8 character split across two reads.
 */
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, read, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { trackedTempDir } from "../../src/cli/io.ts";
import { StringDecoder } from "node:string_decoder";
import { Readable } from "node:stream";
import { createGunzip, inflateSync } from "node:zlib";
import { decompress as zstdDecompress } from "fzstd";
import { createRequire } from "node:module";
import type cliProgress from "cli-progress";
import { InputError } from "../../src/core/errors.ts";
import { fsProblem } from "../../src/cli/errors.ts";
import type { TraceRecord } from "../../src/workload/events.ts";
import { FtraceParser } from "./ftrace-v1.ts";
import type { FtraceStats } from "./ftrace-v1.ts";
import { isTraceDat, readTraceDat, type Codecs } from "../../src/workload/tracedat/index.ts";
import { traceQuality, type ReplayFindings, type TraceQuality } from "../../src/workload/trace-quality.ts";

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
   * Also yield a text trace's iommu:io_page_fault lines (IommuFaultEvent, merged in line order) and give
   * map/unmap events their timestamps, for fault attribution. Default false. (trace.dat: neither.)
   */
  readonly faults?: boolean;
  /** Where "-" reads from. Default process.stdin. */
  readonly stdin?: AsyncIterable<Buffer | string>;
  /** The name errors and messages use; default the path ("stdin" for "-"). */
  readonly name?: string;
}

export interface TraceInputStats {
  bytesRead: number;
  /** File size; null for stdin, a FIFO or a device. */
  readonly totalBytes: number | null;
  /** How the trace is stored, once its first bytes were seen: "ftrace text", "ftrace text (gzip)", "trace.dat v7 (zstd)". */
  format: string;
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
  /** What the trace did not tell, with the replayer's findings when it was replayed. */
  quality(replay: ReplayFindings | null): TraceQuality;
}

/** trace.dat's compressed sections: zlib through node:zlib, zstd through fzstd (pure JavaScript). */
export const TRACE_DAT_CODECS: Codecs = {
  zlib: (data) => new Uint8Array(inflateSync(data)),
  zstd: (data) => zstdDecompress(data),
};

/** A trace.dat is decoded whole; past this it is refused rather than exhausting memory. */
const MAX_TRACE_DAT = 1 << 30;

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
  const name = opts.name ?? (isStdin ? "stdin" : path);
  let fd = -1;
  let totalBytes: number | null = null;
  if (isStdin && opts.stdin === undefined && process.stdin.isTTY === true) {
    throw new InputError("stdin", "", "is a terminal; pipe a trace in (e.g. cat trace.txt | iommu-lab … -) or give a file");
  }
  if (!isStdin) {
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw new InputError(name, "", `cannot open the trace (${fsProblem(err)})`);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new InputError(name, "", "is a directory, not a trace file");
      // Only a regular file has a size to trust; a FIFO, `<(zcat …)` or a device is read to its end.
      if (st.isFile()) {
        totalBytes = st.size;
        // A spooled copy of a stream (named other than its path) was a pipe the user gave, not a file.
        if (st.size === 0) throw new InputError(name, "", `${name !== path ? "the input" : "the trace file"} is empty (no iommu:map or iommu:unmap events)`);
      }
    } catch (err) {
      closeSync(fd);
      if (err instanceof InputError) throw err;
      throw new InputError(name, "", `cannot read the trace (${fsProblem(err)})`);
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
  const stats: TraceInputStats = { bytesRead: 0, totalBytes, format: "ftrace text", events: 0, elapsedMs: 0, ftrace: parser.stats };
  let used = false;

  /** The raw bytes, counted for the progress bar. */
  async function* raw(): AsyncGenerator<Buffer> {
    if (isStdin) {
      const it = (opts.stdin ?? (process.stdin as AsyncIterable<Buffer | string>))[Symbol.asyncIterator]();
      for (;;) {
        let r: IteratorResult<Buffer | string>;
        try {
          r = await it.next();
        } catch (err) {
          throw new InputError(name, `byte ${stats.bytesRead}`, `read failed (${fsProblem(err)})`);
        }
        if (r.done === true) return;
        const b = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
        stats.bytesRead += b.length;
        yield b;
      }
    }
    for (;;) {
      // A fresh buffer per read: the gzip and trace.dat paths keep the chunks they are given.
      const buf = Buffer.allocUnsafe(chunkBytes);
      const n = await readAt(fd, buf, name, stats.bytesRead);
      if (n === 0) return;
      stats.bytesRead += n;
      yield buf.subarray(0, n);
    }
  }

  async function* batches(): AsyncGenerator<TraceRecord[]> {
    if (used) throw new RangeError(`openTrace(${name}): batches() can be iterated only once`);
    used = true;
    const bar = wantProgress(opts.progress) ? new Progress(totalBytes) : null;
    const t0 = performance.now();
    try {
      let source: AsyncIterator<Buffer> = raw();
      let first = await nextNonEmpty(source);
      let gzip = false;
      if (first !== null && first[0] === 0x1f && first[1] === 0x8b) {
        gzip = true;
        source = gunzip(name, first, source);
        first = await nextNonEmpty(source);
      }
      if (first !== null && isTraceDat(first)) {
        const bytes = await collect(name, first, source);
        const dat = readTraceDat(bytes, { fileName: name, codecs: TRACE_DAT_CODECS, stats: parser.stats });
        stats.format = `trace.dat v${dat.version}${dat.compression === "none" ? "" : ` (${dat.compression})`}${gzip ? " (gzip)" : ""}`;
        bar?.update(stats, t0);
        for (let i = 0; i < dat.events.length; i += 65_536) {
          const batch = dat.events.slice(i, i + 65_536);
          stats.events += batch.length;
          yield batch;
        }
      } else {
        stats.format = gzip ? "ftrace text (gzip)" : "ftrace text";
        const decoder = new StringDecoder("utf8");
        let chunk = first;
        while (chunk !== null) {
          const evs = withFaults(parser.push(decoder.write(chunk)), parser);
          stats.events += evs.length;
          bar?.update(stats, t0);
          if (evs.length > 0) yield evs;
          const r = await source.next();
          chunk = r.done === true ? null : r.value;
        }
        const last: TraceRecord[] = parser.push(decoder.end());
        for (const ev of parser.end()) last.push(ev);
        const tail = withFaults(last, parser);
        stats.events += tail.length;
        if (tail.length > 0) yield tail;
      }
      stats.elapsedMs = performance.now() - t0;
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

  return { path, name, stats, batches, close, quality: (replay) => traceQuality(stats.format, stats.ftrace, replay) };
}

async function nextNonEmpty(it: AsyncIterator<Buffer>): Promise<Buffer | null> {
  for (;;) {
    const r = await it.next();
    if (r.done === true) return null;
    if (r.value.length > 0) return r.value;
  }
}

/** `first` and the rest of `it`, inflated; a corrupt or cut gzip stream is an InputError. */
async function* gunzip(name: string, first: Buffer, it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  async function* all(): AsyncGenerator<Buffer> {
    yield first;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield r.value;
    }
  }
  const z = createGunzip();
  const src = Readable.from(all());
  // pipe() does not carry a read failure on; without this the inflater would wait for ever.
  src.on("error", (err) => z.destroy(err));
  const out = src.pipe(z);
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(name, "", `is not a valid gzip stream (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    src.destroy();
  }
}

async function collect(name: string, first: Buffer, it: AsyncIterator<Buffer>): Promise<Uint8Array> {
  const parts = [first];
  let total = first.length;
  for (;;) {
    const r = await it.next();
    if (r.done === true) break;
    total += r.value.length;
    if (total > MAX_TRACE_DAT)
      throw new InputError(name, "", `a trace.dat above ${MAX_TRACE_DAT / (1 << 20)} MiB is not read (convert it: trace-cmd report -i FILE > trace.txt)`);
    parts.push(r.value);
  }
  return Buffer.concat(parts, total);
}

/**
 * A trace that can be read only once (stdin, a FIFO, `<(zcat …)`) copied as it comes into a private
 * temporary file, so that each strategy of a comparison can read it; null for a regular file. The bytes
 * are copied unchanged (a gzip stays compressed). The temporary is removed by cleanup(), on exit and on
 * SIGINT/SIGTERM.
 */
export async function spoolTrace(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<{ path: string; cleanup: () => void } | null> {
  if (path !== "-") {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch (err) {
      throw new InputError(path, "", `cannot open the trace (${fsProblem(err)})`);
    }
    if (st.isFile() || st.isDirectory()) return null;
  } else if (process.stdin.isTTY === true && stdin === process.stdin) {
    throw new InputError("stdin", "", "is a terminal; pipe a trace in (e.g. cat trace.txt | iommu-lab … -) or give a file");
  }
  const t = trackedTempDir("iommu-lab-spool-", tmpdir());
  const file = join(t.dir, "trace");
  try {
    await pipeline(path === "-" ? stdin : createReadStream(path), createWriteStream(file));
  } catch (err) {
    t.remove();
    throw new InputError(path === "-" ? "stdin" : path, "", `read failed (${fsProblem(err)})`);
  }
  return { path: file, cleanup: t.remove };
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
  const parts = [
    `${f.maps.toLocaleString("en-US")} maps + ${f.unmaps.toLocaleString("en-US")} unmaps from ${f.lines.toLocaleString("en-US")} lines (${mib(s.bytesRead)})`,
  ];
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
        format:
          total === null
            ? "trace {done} | {events} events | {rate} events/s"
            : "trace [{bar}] {percentage}% | {done}/{size} | {events} events | {rate} events/s",
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
