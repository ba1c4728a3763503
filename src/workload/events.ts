// SPDX-License-Identifier: GPL-2.0-only
/**
 * The events a workload produces. A runner executes them in order against one DMA domain; nothing here
 * holds state or knows about page tables, so the same stream can drive any strategy and any era.
 *
 * Two levels:
 *
 * - DMA-API events (from scenarios and device profiles). Buffers are named by `handle`, a small integer
 *   the workload assigns (unique for the whole run, never reused), so later events refer to a buffer
 *   without knowing its IOVA. The runner keeps `handle -> {dma_addr, pages}`.
 *   - `alloc`      dma_alloc_attrs(dev, bytes, &handle, gfp, attrs): the dma layer allocates the pages
 *                  itself (iommu_dma_alloc_remap or a contiguous block), tagged `tag` as their owner.
 *   - `mapSingle`  the runner first takes a 2^order block from the PageSource (`paddrSource`, owner tag
 *                  `paddrSource.owner`), then dma_map_single(pa + offset, bytes, dir).
 *   - `mapSg`      the runner takes one block per segment (scattered pages, as vb2-dma-sg or a dma-buf
 *                  exporter would hold them), then dma_map_sg over the list.
 *   - `unmap`      dma_unmap_single / dma_unmap_sg of a mapSingle / mapSg handle; the runner then frees
 *                  the pages it took for it.
 *   - `free`       dma_free_attrs of an alloc handle.
 *   - `access`     the device reads or writes [offset, offset + bytes) of a live buffer through the IOMMU
 *                  (a sample of what the device touches, not every byte it moves).
 * - Core events (from ftrace): `iommuMap` / `iommuUnmap` are iommu_map / iommu_unmap calls as the
 *   `iommu:map` / `iommu:unmap` tracepoints recorded them; the runner sends them straight to the domain.
 *
 * Markers: `device` declares a master before its first use; `phase` marks boot / steady / teardown.
 * A page-allocation failure in the runner (NULL from the PageSource) is the runner's result to record,
 * not an error in the workload; later events on that handle are then skipped by the runner.
 */
import type { DmaDirection } from "../dma/dma-api.ts";

/** DMA_ATTR_* names a workload may pass to dma_alloc_attrs. */
export type DmaAttr =
  | "DMA_ATTR_WRITE_COMBINE"
  | "DMA_ATTR_NO_KERNEL_MAPPING"
  | "DMA_ATTR_FORCE_CONTIGUOUS"
  | "DMA_ATTR_ALLOC_SINGLE_PAGES"
  | "DMA_ATTR_PRIVILEGED";
export const DMA_ATTRS: readonly DmaAttr[] = [
  "DMA_ATTR_WRITE_COMBINE",
  "DMA_ATTR_NO_KERNEL_MAPPING",
  "DMA_ATTR_FORCE_CONTIGUOUS",
  "DMA_ATTR_ALLOC_SINGLE_PAGES",
  "DMA_ATTR_PRIVILEGED",
];

/** The gfp a dma_alloc_attrs caller passes: blocking (remap path) or atomic (one contiguous block). */
export type AllocGfp = "GFP_KERNEL" | "GFP_ATOMIC";

/** Physical memory for one mapSingle buffer: a 2^order page block; the buffer starts `offset` bytes in. */
export interface PaddrSource {
  readonly order: number;
  readonly offset: number;
  /** Owner tag for PageSource.allocPages, e.g. "vdec:bitstream". */
  readonly owner: string;
}

/** One scatterlist entry: a 2^order block of which the first `bytes` are mapped. */
export interface SgSegment {
  readonly order: number;
  readonly bytes: number;
}

export interface DeviceEvent {
  readonly type: "device";
  readonly device: string;
  /** dev_is_dma_coherent(): MT8173 multimedia masters are not. */
  readonly coherent: boolean;
}

export interface PhaseEvent {
  readonly type: "phase";
  readonly phase: "boot" | "steady" | "teardown";
  /** Index of the phase in the scenario's list. */
  readonly index: number;
}

export interface AllocEvent {
  readonly type: "alloc";
  readonly device: string;
  readonly bytes: number;
  readonly handle: number;
  readonly gfp: AllocGfp;
  readonly attrs: readonly DmaAttr[];
  /** Owner tag of the pages, e.g. "display:fb0". */
  readonly tag: string;
}

export interface FreeEvent {
  readonly type: "free";
  readonly handle: number;
}

export interface MapSingleEvent {
  readonly type: "mapSingle";
  readonly device: string;
  readonly paddrSource: PaddrSource;
  readonly bytes: number;
  readonly dir: DmaDirection;
  readonly handle: number;
}

export interface MapSgEvent {
  readonly type: "mapSg";
  readonly device: string;
  readonly segments: readonly SgSegment[];
  readonly dir: DmaDirection;
  readonly handle: number;
  readonly owner: string;
}

export interface UnmapEvent {
  readonly type: "unmap";
  readonly handle: number;
}

export interface AccessEvent {
  readonly type: "access";
  readonly device: string;
  readonly handle: number;
  readonly offset: number;
  readonly bytes: number;
  readonly write: boolean;
}

/** iommu_map(domain, iova, paddr, size) as traced. `line` is the trace line (0 when not from a trace). */
export interface IommuMapEvent {
  readonly type: "iommuMap";
  readonly iova: number;
  readonly paddr: number;
  readonly size: number;
  readonly line: number;
}

/** iommu_unmap(domain, iova, size) as traced, with the bytes the kernel reported unmapped. */
export interface IommuUnmapEvent {
  readonly type: "iommuUnmap";
  readonly iova: number;
  readonly size: number;
  readonly unmappedSize: number;
  readonly line: number;
}

export type TraceEvent = IommuMapEvent | IommuUnmapEvent;

export type DmaApiEvent = AllocEvent | FreeEvent | MapSingleEvent | MapSgEvent | UnmapEvent | AccessEvent;

export type WorkloadEvent = DeviceEvent | PhaseEvent | DmaApiEvent | TraceEvent;

export type WorkloadEventType = WorkloadEvent["type"];

/** Bytes a mapSg event maps (the sum of its segments). */
export function sgBytes(ev: MapSgEvent): number {
  let n = 0;
  for (const s of ev.segments) n += s.bytes;
  return n;
}

export interface EventCounts {
  readonly total: number;
  readonly byType: Readonly<Record<WorkloadEventType, number>>;
  /** Events that create a mapping: alloc, mapSingle, mapSg, iommuMap. */
  readonly maps: number;
  /** Events that remove one: free, unmap, iommuUnmap. */
  readonly unmaps: number;
  /** Bytes requested by the mapping events. */
  readonly bytesMapped: number;
}

/** Counts a finite event stream (consumes it). */
export function countEvents(events: Iterable<WorkloadEvent>): EventCounts {
  const byType: Record<WorkloadEventType, number> = {
    device: 0,
    phase: 0,
    alloc: 0,
    free: 0,
    mapSingle: 0,
    mapSg: 0,
    unmap: 0,
    access: 0,
    iommuMap: 0,
    iommuUnmap: 0,
  };
  let total = 0;
  let bytesMapped = 0;
  for (const ev of events) {
    total++;
    byType[ev.type]++;
    switch (ev.type) {
      case "alloc":
      case "mapSingle":
      case "iommuMap":
        bytesMapped += ev.type === "iommuMap" ? ev.size : ev.bytes;
        break;
      case "mapSg":
        bytesMapped += sgBytes(ev);
        break;
      default:
        break;
    }
  }
  return {
    total,
    byType,
    maps: byType.alloc + byType.mapSingle + byType.mapSg + byType.iommuMap,
    unmaps: byType.free + byType.unmap + byType.iommuUnmap,
    bytesMapped,
  };
}
