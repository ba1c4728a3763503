// SPDX-License-Identifier: GPL-2.0-only
/**
 * The held / in-use series: one sample whenever table memory or the live L2 count changed, thinned
 * evenly once there are more than `maxSamples`, and a last sample at the end of the run.
 */
import type { Sample } from "../types.ts";
import { tableOwners } from "../domains.ts";
import type { System } from "../system.ts";
import type { Observer, RunEnd } from "./observer.ts";

export const DEFAULT_MAX_SAMPLES = 2000;

export class SamplesObserver implements Observer<readonly Sample[]> {
  private readonly sys: System;
  private readonly max: number;
  private readonly samples: Sample[] = [];
  private stride = 1;
  private lastHeld = -1;
  private lastLive = -1;
  private sampledVersion = -1;

  constructor(sys: System, maxSamples = DEFAULT_MAX_SAMPLES) {
    this.sys = sys;
    this.max = maxSamples;
  }

  private liveL2(): number {
    let n = 0;
    for (const d of tableOwners(this.sys)) n += d.table.l2TablesLive();
    return n;
  }

  settled(events: number): void {
    const mem = this.sys.mem;
    if (mem.version === this.sampledVersion) return;
    this.sampledVersion = mem.version;
    const u = mem.currentUsage();
    const live = this.liveL2();
    if (u.heldBytes === this.lastHeld && live === this.lastLive) return;
    this.lastHeld = u.heldBytes;
    this.lastLive = live;
    if (events % this.stride !== 0 && events !== 0) return;
    this.samples.push({ event: events, heldBytes: u.heldBytes, inUseBytes: u.inUseBytes, liveL2Tables: live });
    if (this.samples.length > this.max) {
      // Keep every other sample and double the stride: the series stays evenly spaced and bounded.
      let w = 0;
      for (let r = 0; r < this.samples.length; r += 2) this.samples[w++] = this.samples[r] as Sample;
      this.samples.length = w;
      this.stride *= 2;
    }
  }

  finish(end: RunEnd): readonly Sample[] {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && last.event === end.events) return this.samples;
    const u = this.sys.mem.usage();
    return [...this.samples, { event: end.events, heldBytes: u.heldBytes, inUseBytes: u.inUseBytes, liveL2Tables: this.liveL2() }];
  }
}
