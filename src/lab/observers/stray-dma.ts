// SPDX-License-Identifier: GPL-2.0-only
/** Device writes that landed in memory other than the intended buffer, and whose memory they hit. */
import { findStrayDma } from "../../iommu/dma-master.ts";
import type { System } from "../system.ts";
import type { DeviceAccess, Observer } from "./observer.ts";

export interface StrayDmaOut {
  readonly strayDmaWrites: number;
  readonly strayDmaVictims: Readonly<Record<string, number>>;
}

export class StrayDmaObserver implements Observer<StrayDmaOut> {
  private readonly sys: System;
  private writes = 0;
  private readonly victims: Record<string, number> = {};

  constructor(sys: System) {
    this.sys = sys;
  }

  accessed(a: DeviceAccess): void {
    if (!a.write) return;
    const km = this.sys.km;
    for (const s of findStrayDma(
      a.report,
      (at) => a.intended(at),
      (pa) => km.buddy.ownerOf(pa),
    )) {
      this.writes++;
      const victim = s.owner ?? (km.phys.isRam(s.actualPa) ? "free memory" : "not RAM");
      this.victims[victim] = (this.victims[victim] ?? 0) + 1;
    }
  }

  finish(): StrayDmaOut {
    return { strayDmaWrites: this.writes, strayDmaVictims: { ...this.victims } };
  }
}
