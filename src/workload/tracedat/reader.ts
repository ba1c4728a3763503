// SPDX-License-Identifier: GPL-2.0-only
/**
 * A decoder for trace-cmd's trace.dat, file versions 6 and 7, written from the format documents
 * (rostedt/trace-cmd@3ce20923 Documentation/trace-cmd/trace-cmd.dat.v6.5.txt and trace-cmd.dat.v7.5.txt)
 * and checked against `trace-cmd report` (test/workload/tracedat.test.ts). It yields the iommu:map and
 * iommu:unmap records as TraceEvents, in the order `trace-cmd report` prints them: the per-CPU streams
 * merged by timestamp, the lower CPU first on a tie (rostedt/trace-cmd@3ce20923
 * lib/trace-cmd/trace-input.c:tracecmd_iterate_events picks a strictly smaller timestamp).
 *
 * The iommu events' layout comes from the file's own format section; nothing about offsets is assumed.
 * The ring-buffer page and event headers follow the file's header_page / header_event text:
 *   page:  u64 timestamp, local_t commit (its size from header_page), then the data; commit bit 31 set
 *          means events were lost before this page, bit 30 that their count is stored after the data;
 *   event: u32 { type_len:5, time_delta:27 } (type_len in the high bits on a big-endian file), then
 *          type_len 1..28: type_len*4 bytes of data; 0: a u32 length and length-4 bytes of data;
 *          29 padding (time_delta 0: the rest of the page); 30 time extend, 31 absolute time stamp.
 * Simplified: only the top instance's flyrecord buffer is read (instances are other tracing buffers);
 * latency-format files are refused; the absolute time stamp's upper bits above 59 are not carried.
 */
import { InputError } from "../../core/errors.ts";
import type { IommuMapEvent, IommuUnmapEvent, TraceEvent } from "../events.ts";
import { FIRST_LINES_KEPT, type FtraceStats } from "../ftrace.ts";
import { field, parseEventFormat, type EventFormat, type FormatField } from "./format-text.ts";

export type Compression = "none" | "zlib" | "zstd";

/** Decompressors for v7's sections; each gets the compressed bytes and the uncompressed size. */
export interface Codecs {
  readonly zlib: (data: Uint8Array, size: number) => Uint8Array;
  readonly zstd: (data: Uint8Array, size: number) => Uint8Array;
}

export interface TraceDatOptions {
  readonly fileName: string;
  readonly codecs: Codecs;
  /** Filled in: records (as lines), maps, unmaps, other records, lost pages, timestamps, CPUs. */
  readonly stats: FtraceStats;
}

export interface TraceDat {
  readonly version: number;
  readonly compression: Compression;
  readonly bigEndian: boolean;
  readonly pageSize: number;
  readonly events: TraceEvent[];
}

export const TRACE_DAT_MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67] as const;

export function isTraceDat(b: Uint8Array): boolean {
  if (b.length < TRACE_DAT_MAGIC.length) return false;
  return TRACE_DAT_MAGIC.every((v, i) => b[i] === v);
}

const MISSING_EVENTS = 0x8000_0000;
const MISSING_STORED = 0x4000_0000;
const COMMIT_MASK = 0x07ff_ffff;
const TS_SHIFT = 27;

/** Bounds-checked reads in the file's byte order; a short read is an InputError naming the place. */
class Bytes {
  readonly b: Uint8Array;
  private readonly dv: DataView;
  readonly le: boolean;
  readonly name: string;
  readonly what: string;
  pos = 0;

  constructor(b: Uint8Array, le: boolean, name: string, what: string) {
    this.b = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.le = le;
    this.name = name;
    this.what = what;
  }

  fail(problem: string, at = this.pos): never {
    throw new InputError(this.name, `${this.what} byte ${at}`, problem);
  }

  need(n: number): void {
    if (!(n >= 0) || this.pos + n > this.b.length) this.fail(`cut off: ${n} more bytes needed, ${Math.max(0, this.b.length - this.pos)} left`);
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, this.le);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, this.le);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; above 2^53 it is an InputError (no real offset or size is that large). */
  u64(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos + (this.le ? 0 : 4), this.le);
    const hi = this.dv.getUint32(this.pos + (this.le ? 4 : 0), this.le);
    if (hi >= 0x20_0000) this.fail("a 64-bit value above 2^53");
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }

  /** An unsigned value of `size` bytes at `at` (not moving pos). */
  uint(at: number, size: number): number {
    if (at < 0 || at + size > this.b.length) this.fail(`a ${size}-byte field is past the end of the record`, at);
    if (size === 1) return this.b[at] as number;
    if (size === 2) return this.dv.getUint16(at, this.le);
    if (size === 4) return this.dv.getUint32(at, this.le);
    if (size === 8) {
      const lo = this.dv.getUint32(at + (this.le ? 0 : 4), this.le);
      const hi = this.dv.getUint32(at + (this.le ? 4 : 0), this.le);
      return hi * 0x1_0000_0000 + lo;
    }
    this.fail(`a field of ${size} bytes is not an integer field`, at);
  }

  cstring(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) this.fail("a string without its terminating NUL");
    const s = latin1(this.b.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  seek(at: number): void {
    if (!(at >= 0) || at > this.b.length) this.fail(`an offset ${at} outside the file (${this.b.length} bytes)`);
    this.pos = at;
  }
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Format texts are ASCII (C declarations and a printf format); other bytes pass through as latin1. */
function utf8(b: Uint8Array): string {
  return latin1(b);
}

/** The parts of the metadata this decoder uses. */
interface Meta {
  commitSize: number;
  formats: EventFormat[];
}

interface CpuData {
  readonly cpu: number;
  readonly data: Uint8Array;
}

/** Decodes a whole trace.dat held in memory. */
export function readTraceDat(bytes: Uint8Array, opts: TraceDatOptions): TraceDat {
  const name = opts.fileName;
  if (!isTraceDat(bytes)) throw new InputError(name, "", 'is not a trace.dat (no 0x17 0x08 0x44 "tracing" magic)');
  const head = new Bytes(bytes, true, name, "header");
  head.pos = 10;
  const versionText = head.cstring();
  const version = Number(versionText);
  if (version !== 6 && version !== 7) throw new InputError(name, "header", `trace.dat file version "${versionText}" is not read (versions 6 and 7 are)`);
  const endian = head.u8();
  if (endian > 1) head.fail(`endianness byte ${endian} is neither 0 (little) nor 1 (big)`);
  const le = endian === 0;
  const r = new Bytes(bytes, le, name, "header");
  r.pos = head.pos;
  const longSize = r.u8();
  if (longSize !== 4 && longSize !== 8) r.fail(`long size ${longSize} is neither 4 nor 8`);
  const pageSize = r.u32();
  if (pageSize < 64 || pageSize > 1 << 24 || (pageSize & (pageSize - 1)) !== 0) r.fail(`page size ${pageSize} is not a power of two from 64 to 16 MiB`);
  const meta: Meta = { commitSize: 8, formats: [] };
  let compression: Compression = "none";
  let cpus: CpuData[];
  if (version === 6) {
    cpus = readV6(r, meta);
  } else {
    const cname = r.cstring();
    r.cstring(); // the compressor's version
    if (cname !== "none" && cname !== "zlib" && cname !== "zstd") r.fail(`compression "${cname}" is not read (none, zlib and zstd are)`);
    compression = cname as Compression;
    cpus = readV7(r, meta, compression, opts.codecs);
  }
  const events = decodeRecords(name, le, pageSize, meta, cpus, opts.stats);
  return { version, compression, bigEndian: !le, pageSize, events };
}

// ---------------------------------------------------------------------------------------------------
// Metadata

function headerInfo(r: Bytes, meta: Meta): void {
  const tag = r.cstring();
  if (tag !== "header_page") r.fail(`expected "header_page", found "${tag.slice(0, 20)}"`);
  const page = utf8(r.take(r.u64()));
  const commit = /field:\s*local_t\s+commit;\s*offset:\d+;\s*size:(\d+);/.exec(page);
  if (commit !== null) meta.commitSize = Number(commit[1]);
  if (meta.commitSize !== 4 && meta.commitSize !== 8) r.fail(`header_page commit size ${meta.commitSize} is neither 4 nor 8`);
  const tag2 = r.cstring();
  if (tag2 !== "header_event") r.fail(`expected "header_event", found "${tag2.slice(0, 20)}"`);
  r.take(r.u64());
}

function ftraceFormats(r: Bytes): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) r.take(r.u64());
}

function eventFormats(r: Bytes, meta: Meta): void {
  const systems = r.u32();
  for (let s = 0; s < systems; s++) {
    const system = r.cstring();
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      const fmt = parseEventFormat(system, utf8(r.take(r.u64())));
      if (fmt !== null) meta.formats.push(fmt);
    }
  }
}

function readV6(r: Bytes, meta: Meta): CpuData[] {
  headerInfo(r, meta);
  ftraceFormats(r);
  eventFormats(r, meta);
  r.take(r.u32()); // kallsyms
  r.take(r.u32()); // printk formats
  r.take(r.u64()); // saved cmdlines
  const ncpus = r.u32();
  let kind = latin1(r.take(10));
  if (kind === "options  \0") {
    for (;;) {
      const id = r.u16();
      if (id === 0) break;
      r.take(r.u32());
    }
    kind = latin1(r.take(10));
  }
  if (kind === "latency  \0") r.fail("a latency-format trace.dat holds text, not records; use trace-cmd report on it");
  if (kind !== "flyrecord\0") r.fail(`expected "flyrecord", found "${kind.replace(/\0/g, "")}"`);
  const cpus: CpuData[] = [];
  for (let cpu = 0; cpu < ncpus; cpu++) {
    const off = r.u64();
    const size = r.u64();
    const at = r.pos;
    r.seek(off);
    r.need(size);
    cpus.push({ cpu, data: r.b.subarray(off, off + size) });
    r.pos = at;
  }
  return cpus;
}

const SEC_OPTIONS = 0;
const OPT_BUFFER = 3;
const OPT_BUFFER_TEXT = 22;
const OPT_HEADER_INFO = 16;
const OPT_EVENT_FORMATS = 18;
const SEC_FL_COMPRESS = 1;

/** A v7 section at `at`: its id and its (uncompressed) body. */
function section(r: Bytes, at: number, compression: Compression, codecs: Codecs): { id: number; flags: number; body: Bytes } {
  r.seek(at);
  const id = r.u16();
  const flags = r.u16();
  r.u32(); // description string id
  const size = r.u64();
  let body = r.take(size);
  if ((flags & SEC_FL_COMPRESS) !== 0) {
    const h = new Bytes(body, r.le, r.name, `section ${id}`);
    const zsize = h.u32();
    const usize = h.u32();
    body = inflate(h, h.take(zsize), usize, compression, codecs);
  }
  return { id, flags, body: new Bytes(body, r.le, r.name, `section ${id}`) };
}

function inflate(at: Bytes, data: Uint8Array, size: number, compression: Compression, codecs: Codecs): Uint8Array {
  if (compression === "none") at.fail('a compressed section in a file whose compression is "none"');
  let out: Uint8Array;
  try {
    out = compression === "zlib" ? codecs.zlib(data, size) : codecs.zstd(data, size);
  } catch (err) {
    at.fail(`${compression} data does not decompress (${err instanceof Error ? err.message : String(err)})`);
  }
  if (out.length !== size) at.fail(`${compression} data gave ${out.length} bytes, the header says ${size}`);
  return out;
}

function readV7(r: Bytes, meta: Meta, compression: Compression, codecs: Codecs): CpuData[] {
  let next = r.u64();
  const offsets = new Map<number, number>();
  let buffer: { offset: number; cpus: { cpu: number; off: number; size: number }[] } | null = null;
  const visited = new Set<number>();
  while (next !== 0) {
    if (visited.has(next)) r.fail(`the options sections loop back to byte ${next}`);
    visited.add(next);
    const sec = section(r, next, compression, codecs);
    if (sec.id !== SEC_OPTIONS) r.fail(`the section at byte ${next} is ${sec.id}, not an options section`);
    next = 0;
    const o = sec.body;
    while (o.pos < o.b.length) {
      const id = o.u16();
      const size = o.u32();
      const data = new Bytes(o.take(size), r.le, r.name, `option ${id}`);
      if (id === 0) {
        next = data.u64();
        break;
      }
      if (id >= 16 && id <= 21) offsets.set(id, data.u64());
      else if (id === OPT_BUFFER) {
        const offset = data.u64();
        const instance = data.cstring();
        data.cstring(); // trace clock
        data.u32(); // page size of this buffer
        const n = data.u32();
        const cpus: { cpu: number; off: number; size: number }[] = [];
        for (let i = 0; i < n; i++) cpus.push({ cpu: data.u32(), off: data.u64(), size: data.u64() });
        if (instance === "" && buffer === null) buffer = { offset, cpus };
      } else if (id === OPT_BUFFER_TEXT) {
        data.u64();
        if (data.cstring() === "") r.fail("a latency-format trace.dat holds text, not records; use trace-cmd report on it");
      }
    }
  }
  const hi = offsets.get(OPT_HEADER_INFO);
  if (hi === undefined) r.fail("no HEADER_INFO option");
  headerInfo(section(r, hi, compression, codecs).body, meta);
  const ef = offsets.get(OPT_EVENT_FORMATS);
  if (ef !== undefined) eventFormats(section(r, ef, compression, codecs).body, meta);
  if (buffer === null) return [];
  r.seek(buffer.offset);
  r.u16();
  const flags = r.u16();
  const compressed = (flags & SEC_FL_COMPRESS) !== 0;
  return buffer.cpus.map(({ cpu, off, size }) => {
    r.seek(off);
    if (!compressed || size === 0) {
      r.need(size);
      return { cpu, data: r.b.subarray(off, off + size) };
    }
    // Compressed flyrecord data: u32 chunk count, then per chunk u32 zsize, u32 size, zsize bytes. The
    // chunks are read from the offset on, as trace-cmd reads them (tracecmd_load_chunks_info): the size
    // recorded beside the offset leaves out the 4-byte count in files trace-cmd 3.1 writes.
    const c = new Bytes(r.b.subarray(off), r.le, r.name, `CPU ${cpu} data`);
    const count = c.u32();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const zsize = c.u32();
      const usize = c.u32();
      const out = inflate(c, c.take(zsize), usize, compression, codecs);
      parts.push(out);
      total += out.length;
    }
    const data = new Uint8Array(total);
    let p = 0;
    for (const part of parts) {
      data.set(part, p);
      p += part.length;
    }
    return { cpu, data };
  });
}

// ---------------------------------------------------------------------------------------------------
// Records

interface IommuLayout {
  readonly id: number;
  readonly unmap: boolean;
  readonly iova: FormatField;
  readonly paddr: FormatField | undefined;
  readonly size: FormatField;
  readonly unmapped: FormatField | undefined;
  readonly range: boolean;
}

function layouts(name: string, meta: Meta): { byId: Map<number, IommuLayout>; typeField: FormatField } {
  const byId = new Map<number, IommuLayout>();
  let typeField: FormatField = { name: "common_type", type: "unsigned short", offset: 0, size: 2, signed: false };
  for (const f of meta.formats) {
    const t = field(f, "common_type");
    if (t !== undefined) typeField = t;
    if (f.system !== "iommu" || (f.name !== "map" && f.name !== "unmap")) continue;
    const unmap = f.name === "unmap";
    const iova = field(f, "iova");
    const size = field(f, "size");
    const paddr = field(f, "paddr");
    const unmapped = field(f, "unmapped_size");
    if (iova === undefined || size === undefined || (unmap ? unmapped === undefined : paddr === undefined)) {
      throw new InputError(name, `format of iommu:${f.name}`, `lacks the ${unmap ? "iova, size and unmapped_size" : "iova, paddr and size"} fields`);
    }
    byId.set(f.id, { id: f.id, unmap, iova, size, paddr, unmapped, range: f.printFmt.includes(" - 0x") });
  }
  return { byId, typeField };
}

/** One record in a CPU's stream. */
interface Rec {
  ts: number;
  /** Offset of the record's data in the CPU's bytes; -1 for a lost-events marker. */
  at: number;
  len: number;
  lost: number | null;
}

function decodeRecords(name: string, le: boolean, pageSize: number, meta: Meta, cpus: CpuData[], st: FtraceStats): TraceEvent[] {
  const { byId, typeField } = layouts(name, meta);
  const streams = cpus.map((c) => ({
    cpu: c.cpu,
    bytes: new Bytes(c.data, le, name, `CPU ${c.cpu} data`),
    recs: cpuRecords(name, le, pageSize, meta.commitSize, c),
    i: 0,
  }));
  const out: TraceEvent[] = [];
  let seq = 0;
  for (;;) {
    let best = -1;
    let bestTs = Infinity;
    for (let k = 0; k < streams.length; k++) {
      const s = streams[k] as (typeof streams)[number];
      const rec = s.recs[s.i];
      if (rec !== undefined && rec.ts < bestTs) {
        best = k;
        bestTs = rec.ts;
      }
    }
    if (best < 0) break;
    const s = streams[best] as (typeof streams)[number];
    const rec = s.recs[s.i++] as Rec;
    if (rec.at < 0) {
      st.lostEventMarkers++;
      st.lostByForm.page++;
      if (rec.lost !== null) st.lostEvents += rec.lost;
      else st.lostMarkersWithoutCount++;
      if (st.lostLines.length < FIRST_LINES_KEPT) st.lostLines.push(seq + 1);
      noteCpu(st, s.cpu);
      continue;
    }
    seq++;
    st.lines++;
    const b = s.bytes;
    const type = b.uint(rec.at + typeField.offset, typeField.size);
    const lay = byId.get(type);
    if (lay === undefined) {
      st.otherLines++;
      continue;
    }
    const get = (f: FormatField): number => {
      if (f.offset + f.size > rec.len) b.fail(`record ${seq}: field ${f.name} is past the record's ${rec.len} bytes`, rec.at);
      const v = b.uint(rec.at + f.offset, f.size);
      if (!Number.isSafeInteger(v)) b.fail(`record ${seq}: field ${f.name} is above 2^53, beyond what the model represents`, rec.at);
      return v;
    };
    const iova = get(lay.iova);
    const size = get(lay.size);
    let ev: IommuMapEvent | IommuUnmapEvent;
    if (lay.unmap) {
      ev = { type: "iommuUnmap", iova, size, unmappedSize: get(lay.unmapped as FormatField), line: seq };
      st.unmaps++;
    } else {
      ev = { type: "iommuMap", iova, paddr: get(lay.paddr as FormatField), size, line: seq };
      st.maps++;
    }
    if (lay.range) st.rangeFormat++;
    else st.oldFormat++;
    const secs = rec.ts / 1e9;
    if (st.firstTimestamp === null) st.firstTimestamp = secs;
    st.lastTimestamp = secs;
    noteCpu(st, s.cpu);
    out.push(ev);
  }
  return out;
}

function noteCpu(st: FtraceStats, cpu: number): void {
  if (st.cpus.includes(cpu)) return;
  let i = st.cpus.length;
  while (i > 0 && (st.cpus[i - 1] as number) > cpu) i--;
  st.cpus.splice(i, 0, cpu);
}

/** The records of one CPU, page by page, with their absolute timestamps (ns). */
function cpuRecords(name: string, le: boolean, pageSize: number, commitSize: number, c: CpuData): Rec[] {
  const b = new Bytes(c.data, le, name, `CPU ${c.cpu} data`);
  const recs: Rec[] = [];
  const headerSize = 8 + commitSize;
  for (let page = 0; page + headerSize <= c.data.length; page += pageSize) {
    b.pos = page;
    let ts = b.u64();
    const commitWord = commitSize === 8 ? b.uint(b.pos + (le ? 0 : 4), 4) : b.uint(b.pos, 4);
    b.pos += commitSize;
    const commit = commitWord & COMMIT_MASK;
    const dataStart = page + headerSize;
    const end = dataStart + commit;
    if (end > Math.min(page + pageSize, c.data.length)) b.fail(`page ${page / pageSize}: commit ${commit} runs past the page`, page);
    if ((commitWord & MISSING_EVENTS) !== 0) {
      let lost: number | null = null;
      if ((commitWord & MISSING_STORED) !== 0 && end + commitSize <= page + pageSize) lost = b.uint(end, commitSize);
      recs.push({ ts, at: -1, len: 0, lost });
    }
    let p = dataStart;
    while (p + 4 <= end) {
      const word = b.uint(p, 4);
      const typeLen = le ? word & 0x1f : word >>> 27;
      const delta = le ? word >>> 5 : word & 0x07ff_ffff;
      p += 4;
      if (typeLen === 29) {
        if (delta === 0) break;
        const len = b.uint(p, 4);
        ts += delta;
        p += len;
        continue;
      }
      if (typeLen === 30) {
        ts += b.uint(p, 4) * 2 ** TS_SHIFT + delta;
        p += 4;
        continue;
      }
      if (typeLen === 31) {
        ts = b.uint(p, 4) * 2 ** TS_SHIFT + delta;
        p += 4;
        continue;
      }
      let len: number;
      if (typeLen === 0) {
        const n = b.uint(p, 4);
        if (n < 4) b.fail(`page ${page / pageSize}: an event length of ${n}`, p);
        len = (n - 4 + 3) & ~3;
        p += 4;
      } else {
        len = typeLen * 4;
      }
      if (p + len > end) b.fail(`page ${page / pageSize}: an event of ${len} bytes runs past the page's data`, p);
      ts += delta;
      recs.push({ ts, at: p, len, lost: null });
      p += len;
    }
  }
  return recs;
}
