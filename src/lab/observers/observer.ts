// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one interface every observer of a run implements. The executor calls the hooks as the system
 * runs; `finish` hands over what the observer saw. An observer reads the system, never changes it:
 * translations are probed (no TLB fill, no fault record), never translated.
 */
import type { DmaReport } from "../../iommu/dma-master.ts";

/** One piece of a live mapping: `bytes` at `iova` should reach `pa`. */
export interface Piece {
  readonly iova: number;
  readonly pa: number;
  readonly bytes: number;
}

/** A mapping the workload made: a DMA-API buffer or a core iommu_map of a trace. */
export interface LiveMapping {
  readonly device: string;
  readonly pieces: readonly Piece[];
}

/** One device transfer through the IOMMU, as the master reported it. */
export interface DeviceAccess {
  readonly device: string;
  readonly write: boolean;
  readonly report: DmaReport;
  /** The CPU physical address the workload meant for a bus address of the buffer, or null outside it. */
  intended(iova: number): number | null;
}

/** What a run leaves for `finish`: the mappings still live, in the order they were made. */
export interface RunEnd {
  readonly events: number;
  readonly live: Iterable<LiveMapping>;
}

export interface Observer<Out> {
  /** Every leaf of a new mapping is new. */
  mapped?(m: LiveMapping): void;
  /** A live mapping was unmapped (or forgotten by a core unmap that overlapped it). */
  unmapped?(m: LiveMapping): void;
  accessed?(a: DeviceAccess): void;
  /** A workload phase begins (before its first event). */
  phase?(name: string): void;
  /** After each event the system executed; `events` counts them (0: the booted system). */
  settled?(events: number): void;
  finish(end: RunEnd): Out;
}
