// SPDX-License-Identifier: GPL-2.0-only
/**
 * What each device cost: its mappings, the bytes they map, the L2 tables allocated while its maps ran
 * (tables "caused" by it: the first map into a 1 MiB slot allocates the slot's table, whoever shares it
 * later), and the peak IOVA it held live (each piece rounded out to whole 4 KiB pages, as the IOVA
 * allocator hands out page-granular ranges). A trace replay's core maps all belong to "trace": the
 * replay does not carry the task or CPU of its lines.
 */
import { SZ_4K } from "../../core/u32.ts";
import type { DeviceAttribution } from "../types.ts";
import type { System } from "../system.ts";
import type { LiveMapping, Observer } from "./observer.ts";

interface Row {
  maps: number;
  bytesMapped: number;
  l2TablesCaused: number;
  liveIovaBytes: number;
  peakLiveIovaBytes: number;
}

function iovaSpan(m: LiveMapping): number {
  let n = 0;
  for (const p of m.pieces) {
    const start = p.iova - (p.iova % SZ_4K);
    n += Math.ceil((p.iova + p.bytes - start) / SZ_4K) * SZ_4K;
  }
  return n;
}

export class AttributionObserver implements Observer<readonly DeviceAttribution[]> {
  private readonly sys: System;
  private readonly rows = new Map<string, Row>();
  /** The device whose map ran in the current event, if any. */
  private current: Row | null = null;
  private l2Seen: number;
  /** The row last looked up (rows are never removed): a run of one device's mappings finds it at once. */
  private lastDevice: string | null = null;
  private lastRow: Row | null = null;

  constructor(sys: System) {
    this.sys = sys;
    this.l2Seen = sys.mem.l2Allocated;
  }

  private row(device: string): Row {
    if (device === this.lastDevice && this.lastRow !== null) return this.lastRow;
    let r = this.rows.get(device);
    if (r === undefined) {
      r = { maps: 0, bytesMapped: 0, l2TablesCaused: 0, liveIovaBytes: 0, peakLiveIovaBytes: 0 };
      this.rows.set(device, r);
    }
    this.lastDevice = device;
    this.lastRow = r;
    return r;
  }

  mapped(m: LiveMapping): void {
    const r = this.row(m.device);
    r.maps++;
    for (const p of m.pieces) r.bytesMapped += p.bytes;
    r.liveIovaBytes += iovaSpan(m);
    if (r.liveIovaBytes > r.peakLiveIovaBytes) r.peakLiveIovaBytes = r.liveIovaBytes;
    this.current = r;
  }

  unmapped(m: LiveMapping): void {
    const r = (m.device === this.lastDevice ? this.lastRow : null) ?? this.rows.get(m.device);
    if (r !== undefined) r.liveIovaBytes -= iovaSpan(m);
  }

  settled(): void {
    const l2 = this.sys.mem.l2Allocated;
    // Tables allocated by a map that then failed have no mapping to charge; they stay unattributed.
    if (this.current !== null) this.current.l2TablesCaused += l2 - this.l2Seen;
    this.l2Seen = l2;
    this.current = null;
  }

  finish(): readonly DeviceAttribution[] {
    return [...this.rows]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([device, r]) => ({ device, maps: r.maps, bytesMapped: r.bytesMapped, l2TablesCaused: r.l2TablesCaused, peakLiveIovaBytes: r.peakLiveIovaBytes }));
  }
}
