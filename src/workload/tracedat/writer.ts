// SPDX-License-Identifier: GPL-2.0-only
/**
 * A trace.dat writer (versions 6 and 7, little-endian, 64-bit kernel layout) for tests and the fuzz
 * harness: `trace-cmd record` needs a kernel with tracefs, which a test machine may not give. It writes
 * what the format documents describe (see reader.ts) with the iommu event formats as a 64-bit kernel's
 * tracefs prints them for include/trace/events/iommu.h (TRACE_EVENT(map) / TRACE_EVENT(unmap):
 * u64 iova, u64 paddr, size_t size / u64 iova, size_t size, size_t unmapped_size), so `trace-cmd report`
 * can read the files and be compared with the decoder.
 */
import type { IommuMapEvent, IommuUnmapEvent } from "../events.ts";
import type { TracepointFormat } from "../ftrace.ts";
import type { Compression } from "./reader.ts";

export interface DatRecord {
  /** Nanoseconds, non-decreasing per CPU. */
  readonly ts: number;
  readonly pid: number;
  /** null: a record of another event (the format section's other:other_event). */
  readonly event: IommuMapEvent | IommuUnmapEvent | null;
}

/** One CPU's stream: records, and `lost` markers that start a new page flagged with missed events. */
export type DatItem = DatRecord | { readonly lost: number | null };

export interface DatWriteOptions {
  readonly version: 6 | 7;
  /** v7 only; zlib or zstd need `compress`. */
  readonly compression?: Compression;
  /** Compresses one block: zlib format (RFC 1950) or a zstd frame. */
  readonly compress?: (data: Uint8Array) => Uint8Array;
  readonly format?: TracepointFormat;
  readonly pageSize?: number;
  /** Per CPU, in order. */
  readonly cpus: readonly (readonly DatItem[])[];
  /** pid -> comm for the saved cmdlines. */
  readonly comms?: ReadonlyMap<number, string>;
}

export const MAP_ID = 1201;
export const UNMAP_ID = 1202;
/** An event ID the iommu formats do not use, for records of "other" events. */
export const OTHER_ID = 1300;

const HEADER_PAGE =
  "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n" +
  "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n" +
  "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n" +
  "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";

const HEADER_EVENT =
  "# compressed entry header\n\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n" +
  "\tpadding     : type == 29\n\ttime_extend : type == 30\n\ttime_stamp : type == 31\n\tdata max type_len  == 28\n";

const COMMON =
  "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" +
  "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" +
  "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" +
  "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";

export function iommuFormatText(event: "map" | "unmap" | "other", format: TracepointFormat): string {
  if (event === "other") {
    return `name: other_event\nID: ${OTHER_ID}\nformat:\n${COMMON}\tfield:int value;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: "value=%d", REC->value\n`;
  }
  const range = format === "range";
  if (event === "map") {
    return (
      `name: map\nID: ${MAP_ID}\nformat:\n${COMMON}` +
      "\tfield:u64 iova;\toffset:8;\tsize:8;\tsigned:0;\n\tfield:u64 paddr;\toffset:16;\tsize:8;\tsigned:0;\n\tfield:size_t size;\toffset:24;\tsize:8;\tsigned:0;\n\n" +
      (range
        ? 'print fmt: "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu", REC->iova, REC->iova + REC->size, REC->paddr, REC->size\n'
        : 'print fmt: "IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu", REC->iova, REC->paddr, REC->size\n')
    );
  }
  return (
    `name: unmap\nID: ${UNMAP_ID}\nformat:\n${COMMON}` +
    "\tfield:u64 iova;\toffset:8;\tsize:8;\tsigned:0;\n\tfield:size_t size;\toffset:16;\tsize:8;\tsigned:0;\n\tfield:size_t unmapped_size;\toffset:24;\tsize:8;\tsigned:0;\n\n" +
    (range
      ? 'print fmt: "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu", REC->iova, REC->iova + REC->size, REC->size, REC->unmapped_size\n'
      : 'print fmt: "IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu", REC->iova, REC->size, REC->unmapped_size\n')
  );
}

/** Little-endian byte builder. */
class Out {
  private parts: Uint8Array[] = [];
  length = 0;
  raw(b: Uint8Array): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  str(s: string): this {
    // ASCII only: format texts, section names and the comms this writer is given.
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
    return this.raw(b);
  }
  cstr(s: string): this {
    return this.str(s).raw(new Uint8Array([0]));
  }
  u8(v: number): this {
    return this.raw(new Uint8Array([v]));
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    return this.raw(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.raw(b);
  }
  u64(v: number): this {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, v % 0x1_0000_0000, true);
    dv.setUint32(4, Math.floor(v / 0x1_0000_0000), true);
    return this.raw(b);
  }
  pad(to: number): this {
    const n = (to - (this.length % to)) % to;
    return this.raw(new Uint8Array(n));
  }
  bytes(): Uint8Array {
    const b = new Uint8Array(this.length);
    let p = 0;
    for (const part of this.parts) {
      b.set(part, p);
      p += part.length;
    }
    this.parts = [b];
    return b;
  }
}

/** One CPU's ring-buffer pages. */
function cpuPages(items: readonly DatItem[], pageSize: number): Uint8Array {
  const pages: Uint8Array[] = [];
  let page: Uint8Array | null = null;
  let dv: DataView | null = null;
  let used = 0;
  let last = 0;
  const data = 16;
  const close = (): void => {
    if (page !== null && dv !== null) {
      const flags = dv.getUint32(8, true);
      dv.setUint32(8, (flags | (used - data)) >>> 0, true);
      pages.push(page);
    }
    page = null;
    dv = null;
  };
  const open = (ts: number, lost: number | null | undefined): void => {
    close();
    page = new Uint8Array(pageSize);
    dv = new DataView(page.buffer);
    dv.setUint32(0, ts % 0x1_0000_0000, true);
    dv.setUint32(4, Math.floor(ts / 0x1_0000_0000), true);
    used = data;
    last = ts;
    if (lost !== undefined) {
      // commit bit 31: events lost before this page; bit 30: the count is stored after the data.
      dv.setUint32(8, lost === null ? 0x8000_0000 : 0xc000_0000, true);
      if (lost !== null) lostCounts.set(page, lost);
    }
  };
  let lostNext: number | null | undefined;
  for (const it of items) {
    if ("lost" in it) {
      lostNext = it.lost;
      close();
      continue;
    }
    const payload = eventBytes(it);
    const need = 4 + payload.length + (it.ts - last >= 2 ** 27 ? 8 : 0);
    const reserve = 8; // room for a stored lost count after the data
    if (page === null || used + need + reserve > pageSize) {
      open(it.ts, lostNext);
      lostNext = undefined;
    }
    const p = page as unknown as Uint8Array;
    const v = dv as unknown as DataView;
    let delta = it.ts - last;
    if (delta >= 2 ** 27) {
      // time extend: type_len 30, the low 27 bits in time_delta, the rest in array[0].
      v.setUint32(used, ((delta % 2 ** 27) * 32 + 30) >>> 0, true);
      v.setUint32(used + 4, Math.floor(delta / 2 ** 27), true);
      used += 8;
      delta = 0;
    }
    v.setUint32(used, (delta * 32 + payload.length / 4) >>> 0, true);
    p.set(payload, used + 4);
    used += 4 + payload.length;
    last = it.ts;
  }
  close();
  // Stored lost counts go right after each flagged page's data.
  for (const pg of pages) {
    const v = new DataView(pg.buffer);
    const c = v.getUint32(8, true);
    if ((c & 0x4000_0000) !== 0) {
      const end = 16 + (c & 0x07ff_ffff);
      const n = lostCounts.get(pg) ?? 0;
      v.setUint32(end, n % 0x1_0000_0000, true);
      v.setUint32(end + 4, Math.floor(n / 0x1_0000_0000), true);
    }
  }
  const out = new Uint8Array(pages.length * pageSize);
  pages.forEach((pg, i) => out.set(pg, i * pageSize));
  return out;
}
const lostCounts = new WeakMap<Uint8Array, number>();

function eventBytes(r: DatRecord): Uint8Array {
  const b = new Uint8Array(r.event === null ? 12 : 32);
  const v = new DataView(b.buffer);
  const u64 = (at: number, x: number): void => {
    v.setUint32(at, x % 0x1_0000_0000, true);
    v.setUint32(at + 4, Math.floor(x / 0x1_0000_0000), true);
  };
  v.setInt32(4, r.pid, true);
  const ev = r.event;
  if (ev === null) {
    v.setUint16(0, OTHER_ID, true);
  } else if (ev.type === "iommuMap") {
    v.setUint16(0, MAP_ID, true);
    u64(8, ev.iova);
    u64(16, ev.paddr);
    u64(24, ev.size);
  } else if (ev.type === "iommuUnmap") {
    v.setUint16(0, UNMAP_ID, true);
    u64(8, ev.iova);
    u64(16, ev.size);
    u64(24, ev.unmappedSize);
  }
  return b;
}

/** Writes a whole trace.dat. */
export function writeTraceDat(o: DatWriteOptions): Uint8Array {
  const pageSize = o.pageSize ?? 4096;
  const format = o.format ?? "old";
  const compression = o.version === 6 ? "none" : (o.compression ?? "none");
  if (compression !== "none" && o.compress === undefined) throw new RangeError(`writeTraceDat: ${compression} needs a compress function`);
  const cmdlines = [...(o.comms ?? new Map<number, string>())].map(([pid, comm]) => `${pid} ${comm}\n`).join("");
  const formats = [iommuFormatText("map", format), iommuFormatText("unmap", format)];
  const out = new Out();
  out
    .raw(new Uint8Array([0x17, 0x08, 0x44]))
    .str("tracing")
    .cstr(String(o.version))
    .u8(0)
    .u8(8)
    .u32(pageSize);
  const headerInfo = new Out().cstr("header_page").u64(HEADER_PAGE.length).str(HEADER_PAGE).cstr("header_event").u64(HEADER_EVENT.length).str(HEADER_EVENT);
  const eventFormats = new Out().u32(2).cstr("iommu").u32(2);
  for (const f of formats) eventFormats.u64(f.length).str(f);
  eventFormats.cstr("other").u32(1).u64(iommuFormatText("other", format).length).str(iommuFormatText("other", format));
  const cpuData = o.cpus.map((items) => cpuPages(items, pageSize));

  if (o.version === 6) {
    out.raw(headerInfo.bytes()).u32(0).raw(eventFormats.bytes()).u32(0).u32(0).u64(cmdlines.length).str(cmdlines);
    out.u32(o.cpus.length).str("flyrecord\0");
    const tableEnd = out.length + 16 * o.cpus.length;
    let at = Math.ceil(tableEnd / pageSize) * pageSize;
    for (const d of cpuData) {
      out.u64(at).u64(d.length);
      at += Math.ceil(d.length / pageSize) * pageSize;
    }
    for (const d of cpuData) out.pad(pageSize).raw(d);
    return out.bytes();
  }

  out.cstr(compression).cstr(compression === "none" ? "" : "1");
  const optionsAtField = out.length;
  out.u64(0);
  const compressed = compression !== "none";
  const section = (id: number, body: Uint8Array, mayCompress: boolean): number => {
    const at = out.length;
    let data = body;
    const flag = compressed && mayCompress ? 1 : 0;
    if (flag === 1) {
      const z = (o.compress as (d: Uint8Array) => Uint8Array)(body);
      data = new Out().u32(z.length).u32(body.length).raw(z).bytes();
    }
    out.u16(id).u16(flag).u32(0).u64(data.length).raw(data);
    return at;
  };
  const offs = new Map<number, number>();
  offs.set(16, section(16, headerInfo.bytes(), true));
  offs.set(17, section(17, new Out().u32(0).bytes(), true));
  offs.set(18, section(18, eventFormats.bytes(), true));
  offs.set(19, section(19, new Out().u32(0).bytes(), true));
  offs.set(20, section(20, new Out().u32(0).bytes(), true));
  offs.set(21, section(21, new Out().u64(cmdlines.length).str(cmdlines).bytes(), true));
  // The flyrecord section: its header, padding to a page, then each CPU's data (chunked if compressed).
  const blobs = cpuData.map((d) => {
    if (!compressed || d.length === 0) return d;
    const chunks = new Out();
    const chunkBytes = pageSize * 4;
    const n = Math.ceil(d.length / chunkBytes);
    chunks.u32(n);
    for (let i = 0; i < n; i++) {
      const part = d.subarray(i * chunkBytes, (i + 1) * chunkBytes);
      const z = (o.compress as (d: Uint8Array) => Uint8Array)(part);
      chunks.u32(z.length).u32(part.length).raw(z);
    }
    return chunks.bytes();
  });
  const bufferAt = out.length;
  let total = 0;
  const headerLen = 16;
  let at = Math.ceil((bufferAt + headerLen) / pageSize) * pageSize;
  const cpuOffs: number[] = [];
  for (const b of blobs) {
    cpuOffs.push(at);
    at += Math.ceil(b.length / pageSize) * pageSize;
  }
  total = at - (bufferAt + headerLen);
  out
    .u16(3)
    .u16(compressed ? 1 : 0)
    .u32(0)
    .u64(total);
  for (const b of blobs) out.pad(pageSize).raw(b);
  out.pad(pageSize);
  // The options section last; the header's offset field points at it.
  const opts = new Out();
  for (const [id, off] of offs) opts.u16(id).u32(8).u64(off);
  opts.u16(8).u32(4).u32(o.cpus.length);
  const buf = new Out().u64(bufferAt).cstr("").cstr("local").u32(pageSize).u32(o.cpus.length);
  blobs.forEach((b, i) =>
    buf
      .u32(i)
      .u64(cpuOffs[i] as number)
      .u64(b.length),
  );
  const bufBytes = buf.bytes();
  opts.u16(3).u32(bufBytes.length).raw(bufBytes);
  opts.u16(0).u32(8).u64(0);
  const optionsAt = section(0, opts.bytes(), false);
  const bytes = out.bytes();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  dv.setUint32(optionsAtField, optionsAt % 0x1_0000_0000, true);
  dv.setUint32(optionsAtField + 4, Math.floor(optionsAt / 0x1_0000_0000), true);
  return bytes;
}

/** A zstd frame of raw (stored) blocks: valid zstd that any decoder reads, for tests without an encoder. */
export function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const out = new Out();
  out.u32(0xfd2fb528);
  // Frame header descriptor: single segment, 4-byte content size (FCS flag 2), no checksum, no dict.
  out.u8(0b1010_0000).u32(data.length);
  const max = 128 * 1024 - 1;
  if (data.length === 0) {
    out.raw(new Uint8Array([1, 0, 0]));
    return out.bytes();
  }
  for (let p = 0; p < data.length; p += max) {
    const part = data.subarray(p, Math.min(data.length, p + max));
    const last = p + max >= data.length ? 1 : 0;
    const h = (part.length << 3) | (0 << 1) | last;
    out.raw(new Uint8Array([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff])).raw(part);
  }
  return out.bytes();
}
