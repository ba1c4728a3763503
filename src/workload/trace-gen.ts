// SPDX-License-Identifier: GPL-2.0-only
/**
 * Synthetic `iommu:map` / `iommu:unmap` traces shaped like an MT8173 'elm' Chromebook playing video:
 * display, video decoder and encoder, MDP, JPEG and small streaming maps, all behind the one M4U.
 *
 * How the kernel of the time turns a buffer into traced calls (v4.19 drivers/iommu/dma-iommu.c and
 * iommu.c), which is what the generator imitates:
 * - IOVAs come top-down from the domain's allocator, size-aligned (alloc_iova(..., size_aligned)), so a
 *   1 MiB buffer gets a 1 MiB-aligned IOVA and an 8 MiB one an 8 MiB-aligned one; recently freed IOVAs
 *   are handed out again first, as the per-CPU IOVA rcaches do.
 * - dma_alloc_attrs without FORCE_CONTIGUOUS (iommu_dma_alloc) takes pages in chunks of the domain's
 *   page sizes below MAX_ORDER (1 MiB, 64 KiB, 4 KiB), largest first, falling back when a high-order
 *   allocation fails; iommu_map_sg then calls iommu_map once per chunk, so one buffer is several
 *   `map` lines at consecutive IOVAs.
 * - FORCE_CONTIGUOUS / CMA buffers and dma_map_single are one `map` of the whole buffer; CMA aligns
 *   the block to its order, capped at 1 MiB (CONFIG_CMA_ALIGNMENT 8).
 * - user-pointer buffers (vb2-dma-sg) are mapped page by page.
 * - the buffer is released with one `unmap` of its whole IOVA range (dma_free / dma_unmap_sg).
 * Device mix, buffer sizes, chunk-failure rates and hold times are this model's choices, not
 * measurements. A small share of unmaps hit nothing live, as when a trace starts after the map.
 */
import { alignUp, getOrder, PAGE_SIZE } from "../core/bits.ts";
import { Rng } from "../core/rng.ts";
import { SZ_1M, SZ_4K, SZ_64K } from "../core/u32.ts";
import type { TraceEvent } from "./events.ts";
import { formatTraceEvent } from "./ftrace.ts";
import type { TraceLineHeader, TracepointFormat } from "./ftrace.ts";

export type TraceLayout = "cat" | "trace-cmd";
export const TRACE_LAYOUTS: readonly TraceLayout[] = ["cat", "trace-cmd"];
export const TRACE_FORMATS: readonly TracepointFormat[] = ["old", "range"];

export interface TraceGenOptions {
  /** Number of map + unmap events (the trace has exactly this many). */
  readonly events: number;
  readonly seed: number;
  /** Tracepoint payload. Default "old" (v4.19, the MT8173 regression's kernel). */
  readonly format?: TracepointFormat;
  /** `cat trace` or `trace-cmd report` lines. Default "cat". */
  readonly layout?: TraceLayout;
  /** Live `map` calls (not buffers) the generator keeps below; it hovers around half. Default 4096. */
  readonly maxLiveMappings?: number;
  /** Share of unmaps that match nothing live. Default 0.001. */
  readonly orphanUnmapRate?: number;
  /** Physical memory the pages come from. Default elm's 4 GiB: 0x4000_0000-0x1_4000_0000. */
  readonly dram?: { readonly start: number; readonly end: number };
  /** Start with the tracer's header (`# tracer: nop` block, or trace-cmd's `cpus=` line). Default true. */
  readonly header?: boolean;
  /** Lines per yielded chunk. Default 4096. */
  readonly chunkLines?: number;
}

/**
 * Where the allocator's IOVA space ends (exclusive), for the kernels that print the format: the "old"
 * payload (v4.19-v5.16) comes from kernels whose MT8173 aperture is the full 4 GiB, so a 4.19 or 5.10
 * trace tops out at 0xFFFF_F000; the "range" payload (v5.17+) is written here as v6.4+ writes it, with
 * mtk_iommu's 8 MiB reserved gap at 0xFF80_0000 (5.17-6.3 would still use the full 4 GiB).
 */
export function traceGenIovaTop(format: TracepointFormat): number {
  return format === "old" ? 0x1_0000_0000 : 0xff80_0000;
}
const ELM_DRAM = { start: 0x4000_0000, end: 0x1_4000_0000 } as const;
/** 8 MiB: the largest buffer the device mix asks for. */
const MAX_IOVA_ORDER = 11;
const CPUS = 4;

type Layout = "contig" | "chunks" | "pages";

interface BufferKind {
  readonly bytes: number;
  readonly weight: number;
  readonly layout: Layout;
}

interface Device {
  readonly comm: string;
  readonly pid: number;
  readonly weight: number;
  readonly buffers: readonly BufferKind[];
}

/** 1080p ARGB8888 scanout; NV12 frames at 1080p and 720p; all page-aligned. */
const FB_1080P = 1920 * 1080 * 4;
const NV12_1080P = alignUp((1920 * 1088 * 3) / 2, PAGE_SIZE);
const NV12_720P = alignUp((1280 * 720 * 3) / 2, PAGE_SIZE);

const DEVICES: readonly Device[] = [
  {
    comm: "VizCompositorTh",
    pid: 1487,
    weight: 5,
    buffers: [
      { bytes: FB_1080P, weight: 2, layout: "chunks" },
      { bytes: 960 * 544 * 4, weight: 1, layout: "chunks" },
      { bytes: 64 * 64 * 4, weight: 1, layout: "contig" },
    ],
  },
  {
    comm: "V4L2DecoderThr",
    pid: 2210,
    weight: 25,
    buffers: [
      { bytes: SZ_1M, weight: 3, layout: "contig" },
      { bytes: NV12_1080P, weight: 3, layout: "chunks" },
      { bytes: 33 * SZ_4K, weight: 2, layout: "chunks" },
      { bytes: SZ_64K, weight: 1, layout: "contig" },
    ],
  },
  {
    comm: "V4L2EncoderThr",
    pid: 2240,
    weight: 10,
    buffers: [
      { bytes: NV12_720P, weight: 2, layout: "chunks" },
      { bytes: 512 * 1024, weight: 2, layout: "contig" },
    ],
  },
  {
    comm: "ImageProcessor",
    pid: 2301,
    weight: 10,
    buffers: [
      { bytes: NV12_1080P, weight: 2, layout: "chunks" },
      { bytes: FB_1080P, weight: 1, layout: "chunks" },
    ],
  },
  {
    comm: "JpegDecodeThr",
    pid: 2400,
    weight: 10,
    buffers: [
      { bytes: 256 * 1024, weight: 1, layout: "contig" },
      { bytes: 2 * SZ_1M, weight: 1, layout: "chunks" },
      { bytes: 128 * 1024, weight: 1, layout: "pages" },
    ],
  },
  {
    comm: "kworker/u8:2",
    pid: 97,
    weight: 40,
    buffers: [
      { bytes: SZ_4K, weight: 6, layout: "contig" },
      { bytes: 2 * SZ_4K, weight: 3, layout: "contig" },
      { bytes: 4 * SZ_4K, weight: 2, layout: "contig" },
      { bytes: SZ_64K, weight: 1, layout: "contig" },
    ],
  },
];

/** Chunk sizes iommu_dma_alloc tries, largest first, with the chance a high-order allocation fails. */
const CHUNKS: readonly (readonly [bytes: number, failChance: number])[] = [
  [SZ_1M, 0.35],
  [SZ_64K, 0.1],
  [SZ_4K, 0],
];

/** One generated event with the header of its line. `event.line` is its line number in the text. */
export interface GeneratedEvent {
  readonly event: TraceEvent;
  readonly header: TraceLineHeader;
}

interface LiveBuffer {
  readonly pfn: number;
  readonly order: number;
  readonly bytes: number;
  readonly maps: number;
  readonly device: Device;
}

/** The header lines the generator starts with for a layout. */
export function traceHeaderLines(layout: TraceLayout, format: TracepointFormat, events: number): string[] {
  if (layout === "trace-cmd") return [`cpus=${CPUS}`];
  return [
    "# tracer: nop",
    "#",
    `# entries-in-buffer/entries-written: ${events}/${events}   #P:${CPUS}`,
    "#",
    "#                                _-----=> irqs-off",
    "#                               / _----=> need-resched",
    "#                              | / _---=> hardirq/softirq",
    "#                              || / _--=> preempt-depth",
    "#                              ||| /     delay",
    "#           TASK-PID     CPU#  ||||   TIMESTAMP  FUNCTION",
    "#              | |         |   ||||      |         |",
  ];
}

/** The events and line headers of a generated trace, in order. Deterministic per options. */
export function* generateTraceEvents(options: TraceGenOptions): Generator<GeneratedEvent> {
  const o = resolve(options);
  const rng = new Rng(o.seed);
  const iova = new IovaBuddy(traceGenIovaTop(o.format) / PAGE_SIZE, MAX_IOVA_ORDER);
  const live: LiveBuffer[] = [];
  let liveMaps = 0;
  let line = o.header ? traceHeaderLines(o.layout, o.format, o.events).length : 0;
  let emitted = 0;
  let tsUs = 120_000_000 + rng.int(1_000_000_000);
  const layout: TraceLineHeader["layout"] = o.layout === "cat" ? "trace" : "trace-cmd";
  // 4.19 prints four flag columns; v5.12+ adds a fifth (migrate-disable), as the range format is newer.
  const flags = o.format === "old" ? "...1" : "...1.";

  const headerFor = (dev: Device): TraceLineHeader => {
    tsUs += 3 + rng.int(250);
    return { comm: dev.comm, pid: dev.pid, cpu: rng.int(CPUS), ts: tsUs / 1e6, flags, layout };
  };
  const unmapEvent = (iovaAddr: number, bytes: number): TraceEvent => ({
    type: "iommuUnmap",
    iova: iovaAddr,
    size: bytes,
    unmappedSize: bytes,
    line: ++line,
  });
  const release = (i: number): GeneratedEvent => {
    const b = live[i] as LiveBuffer;
    live[i] = live[live.length - 1] as LiveBuffer;
    live.pop();
    liveMaps -= b.maps;
    iova.free(b.pfn, b.order);
    emitted++;
    return { event: unmapEvent(b.pfn * SZ_4K, b.bytes), header: headerFor(b.device) };
  };

  while (emitted < o.events) {
    const pUnmap = Math.min(0.95, liveMaps / o.maxLive);
    if (live.length > 0 && (liveMaps >= o.maxLive || rng.next() < pUnmap)) {
      if (rng.next() < o.orphanRate) {
        // An IOVA the trace never saw mapped: free in our allocator, so it matches nothing live.
        const dev = rng.weighted(DEVICE_WEIGHTS);
        const kind = rng.weighted(kindWeights(dev));
        const order = getOrder(kind.bytes);
        const pfn = iova.alloc(order);
        if (pfn >= 0) {
          iova.free(pfn, order);
          emitted++;
          yield { event: unmapEvent(pfn * SZ_4K, kind.bytes), header: headerFor(dev) };
          continue;
        }
      }
      yield release(rng.int(live.length));
      continue;
    }
    const dev = rng.weighted(DEVICE_WEIGHTS);
    const kind = rng.weighted(kindWeights(dev));
    const order = getOrder(kind.bytes);
    let pfn = iova.alloc(order);
    while (pfn < 0) {
      // IOVA space fragmented: a live buffer gives its range back before the new one is mapped.
      if (live.length === 0) throw new RangeError(`generateTrace: no IOVA space for ${kind.bytes} bytes with nothing live`);
      yield release(0);
      if (emitted >= o.events) return;
      pfn = iova.alloc(order);
    }
    const pieces = splitBuffer(rng, kind, o.dram);
    const base = pfn * SZ_4K;
    let off = 0;
    let maps = 0;
    for (const piece of pieces) {
      if (emitted >= o.events) break;
      const ev: TraceEvent = { type: "iommuMap", iova: base + off, paddr: piece.paddr, size: piece.bytes, line: ++line };
      off += piece.bytes;
      maps++;
      emitted++;
      yield { event: ev, header: headerFor(dev) };
    }
    live.push({ pfn, order, bytes: kind.bytes, maps, device: dev });
    liveMaps += maps;
  }
}

/** The trace text in chunks of whole lines, each ending with a newline. Deterministic per options. */
export function* generateTrace(options: TraceGenOptions): Generator<string> {
  const o = resolve(options);
  let lines: string[] = o.header ? traceHeaderLines(o.layout, o.format, o.events) : [];
  for (const { event, header } of generateTraceEvents(options)) {
    lines.push(formatTraceEvent(event, o.format, header));
    if (lines.length >= o.chunkLines) {
      yield lines.join("\n") + "\n";
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join("\n") + "\n";
}

/** The whole trace as one string (for small traces; stream `generateTrace` for big ones). */
export function generateTraceText(options: TraceGenOptions): string {
  let s = "";
  for (const chunk of generateTrace(options)) s += chunk;
  return s;
}

// ---------------------------------------------------------------------------------------------------

interface Resolved {
  readonly events: number;
  readonly seed: number;
  readonly format: TracepointFormat;
  readonly layout: TraceLayout;
  readonly maxLive: number;
  readonly orphanRate: number;
  readonly dram: { readonly start: number; readonly end: number };
  readonly header: boolean;
  readonly chunkLines: number;
}

function resolve(o: TraceGenOptions): Resolved {
  if (!Number.isSafeInteger(o.events) || o.events < 0) throw new RangeError(`generateTrace: events ${o.events} is not a non-negative integer`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffff_ffff) throw new RangeError(`generateTrace: seed ${o.seed} is not an integer in [0, 2^32)`);
  const format = o.format ?? "old";
  if (!TRACE_FORMATS.includes(format)) throw new RangeError(`generateTrace: format "${String(format)}" is not one of ${TRACE_FORMATS.join(", ")}`);
  const layout = o.layout ?? "cat";
  if (!TRACE_LAYOUTS.includes(layout)) throw new RangeError(`generateTrace: layout "${String(layout)}" is not one of ${TRACE_LAYOUTS.join(", ")}`);
  const maxLive = o.maxLiveMappings ?? 4096;
  if (!Number.isInteger(maxLive) || maxLive < 1 || maxLive > 1 << 20)
    throw new RangeError(`generateTrace: maxLiveMappings ${maxLive} is not an integer in [1, 2^20]`);
  const orphanRate = o.orphanUnmapRate ?? 0.001;
  if (!(orphanRate >= 0 && orphanRate <= 1)) throw new RangeError(`generateTrace: orphanUnmapRate ${orphanRate} is not in [0, 1]`);
  const dram = o.dram ?? ELM_DRAM;
  if (!(dram.start % SZ_1M === 0 && dram.end - dram.start >= 16 * SZ_1M && Number.isSafeInteger(dram.end))) {
    throw new RangeError(`generateTrace: dram 0x${dram.start.toString(16)}-0x${dram.end.toString(16)} must start 1 MiB-aligned and hold at least 16 MiB`);
  }
  const chunkLines = o.chunkLines ?? 4096;
  if (!Number.isInteger(chunkLines) || chunkLines < 1) throw new RangeError(`generateTrace: chunkLines ${chunkLines} is not a positive integer`);
  return { events: o.events, seed: o.seed, format, layout, maxLive, orphanRate, dram, header: o.header ?? true, chunkLines };
}

const DEVICE_WEIGHTS: readonly (readonly [Device, number])[] = DEVICES.map((d) => [d, d.weight] as const);
const KIND_WEIGHTS = new Map<Device, readonly (readonly [BufferKind, number])[]>(DEVICES.map((d) => [d, d.buffers.map((b) => [b, b.weight] as const)]));

function kindWeights(dev: Device): readonly (readonly [BufferKind, number])[] {
  return KIND_WEIGHTS.get(dev) as readonly (readonly [BufferKind, number])[];
}

interface Piece {
  readonly paddr: number;
  readonly bytes: number;
}

/** A block of `bytes` at a random `align`-aligned place in DRAM. */
function physBlock(rng: Rng, dram: { readonly start: number; readonly end: number }, bytes: number, align: number): number {
  const slots = Math.floor((dram.end - dram.start - bytes) / align) + 1;
  return dram.start + rng.int(slots) * align;
}

function splitBuffer(rng: Rng, kind: BufferKind, dram: { readonly start: number; readonly end: number }): Piece[] {
  const bytes = kind.bytes;
  if (kind.layout === "contig") {
    const align = Math.min(SZ_1M, SZ_4K * 2 ** getOrder(bytes));
    return [{ paddr: physBlock(rng, dram, bytes, align), bytes }];
  }
  const out: Piece[] = [];
  let left = bytes;
  while (left > 0) {
    let chunk = SZ_4K;
    if (kind.layout === "chunks") {
      for (const [size, fail] of CHUNKS) {
        if (size <= left && (fail === 0 || rng.next() >= fail)) {
          chunk = size;
          break;
        }
      }
    }
    out.push({ paddr: physBlock(rng, dram, chunk, chunk), bytes: chunk });
    left -= chunk;
  }
  return out;
}

/**
 * A binary buddy over IOVA page frames [0, topPfn), handing out the highest free block first and
 * reusing the most recently freed one. Free lists are stacks with lazy deletion: an entry is live only
 * while `freeAt` still maps its frame to that order, so merging never searches a list.
 */
class IovaBuddy {
  private readonly maxOrder: number;
  private readonly lists: number[][] = [];
  private readonly counts: number[] = [];
  private readonly freeAt = new Map<number, number>();

  constructor(topPfn: number, maxOrder: number) {
    this.maxOrder = maxOrder;
    for (let k = 0; k <= maxOrder; k++) {
      this.lists.push([]);
      this.counts.push(0);
    }
    const block = 2 ** maxOrder;
    for (let pfn = 0; pfn + block <= topPfn; pfn += block) this.push(pfn, maxOrder);
  }

  /** First frame of a free 2^order block, or -1 when none is left. */
  alloc(order: number): number {
    let k = order;
    let pfn = -1;
    for (; k <= this.maxOrder; k++) {
      pfn = this.pop(k);
      if (pfn >= 0) break;
    }
    if (pfn < 0) return -1;
    // Top-down: the request takes the upper half, the lower half stays free.
    while (k > order) {
      k--;
      this.push(pfn, k);
      pfn += 2 ** k;
    }
    return pfn;
  }

  free(pfn: number, order: number): void {
    while (order < this.maxOrder) {
      const buddy = (pfn ^ (1 << order)) >>> 0;
      if (this.freeAt.get(buddy) !== order) break;
      this.freeAt.delete(buddy);
      this.counts[order] = (this.counts[order] as number) - 1;
      pfn = Math.min(pfn, buddy);
      order++;
    }
    this.push(pfn, order);
  }

  private push(pfn: number, order: number): void {
    this.freeAt.set(pfn, order);
    const list = this.lists[order] as number[];
    list.push(pfn);
    const n = (this.counts[order] as number) + 1;
    this.counts[order] = n;
    if (list.length > 2 * n + 256) this.compact(order);
  }

  private pop(order: number): number {
    const list = this.lists[order] as number[];
    while (list.length > 0) {
      const pfn = list.pop() as number;
      if (this.freeAt.get(pfn) === order) {
        this.freeAt.delete(pfn);
        this.counts[order] = (this.counts[order] as number) - 1;
        return pfn;
      }
    }
    return -1;
  }

  /** Drops stale and repeated entries, keeping the newest copy's place in the stack. */
  private compact(order: number): void {
    const list = this.lists[order] as number[];
    const seen = new Set<number>();
    const kept: number[] = [];
    for (let i = list.length - 1; i >= 0; i--) {
      const pfn = list[i] as number;
      if (this.freeAt.get(pfn) === order && !seen.has(pfn)) {
        seen.add(pfn);
        kept.push(pfn);
      }
    }
    kept.reverse();
    this.lists[order] = kept;
  }
}
