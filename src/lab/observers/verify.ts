// SPDX-License-Identifier: GPL-2.0-only
/**
 * Verification of every new leaf: the hardware walk (probe: no side effects) must equal the driver's
 * iova_to_phys and the physical address the workload intended. A mismatch counts once per leaf or
 * faulting page. At the end every live mapping is probed again (a final sweep).
 */
import { SZ_4K, hex } from "../../core/u32.ts";
import type { IommuDomain } from "../../dma/iommu-core.ts";
import { fourGbBusToCpuOrSelf, WalkRecord } from "../../iommu/walker.ts";
import type { Route, System } from "../system.ts";
import type { LiveMapping, Observer, Piece, RunEnd } from "./observer.ts";

const FIRST_MISMATCHES = 5;

export interface VerifyOut {
  readonly translationMismatches: number;
  /** Mapped pages whose driver iova_to_phys said 0 although the walk was right. */
  readonly iovaToPhysZero: number;
  readonly mismatchNotes: readonly string[];
  readonly zeroNotes: readonly string[];
}

export class VerifyObserver implements Observer<VerifyOut> {
  private readonly sys: System;
  private mismatches = 0;
  private zero = 0;
  private readonly first: string[] = [];
  /** The walk record every probe writes into, and the piece being checked: a verification allocates nothing. */
  private readonly rec = new WalkRecord();
  private piece: Piece | null = null;
  private device = "";
  private domain: IommuDomain | null = null;
  private route: Route | null = null;
  private routeOf: string | null = null;

  constructor(sys: System) {
    this.sys = sys;
  }

  mapped(m: LiveMapping): void {
    // Routes are fixed at boot: a run of mappings of one device (every core map of a trace) looks its route up once.
    if (m.device !== this.routeOf) {
      this.route = this.sys.route(m.device);
      this.routeOf = m.device;
    }
    const route = this.route as Route;
    const d = route.domain.state;
    if (!d.ok) return;
    this.domain = d.domain;
    this.device = m.device;
    const m4u = route.m4u;
    for (const p of m.pieces) {
      this.piece = p;
      // One probe per leaf, in IOVA order (M4u.probeRun: PT_BASE -> L1 -> L2 through physical memory,
      // the L1 word read once per MiB): inside a leaf both the walk and iova_to_phys are base + offset,
      // so one correct address proves the whole entry (a 1 MiB section is one probe, not 256).
      const offset = p.iova % SZ_4K;
      const pfn = (p.iova - offset) / SZ_4K;
      if (p.bytes > 0) m4u.probeRun(this.rec, pfn, offset, p.bytes, this.visit);
      else if (offset + p.bytes > 0) {
        // An empty piece inside a page still has its page probed (the page-by-page loop's rule).
        m4u.probePageInto(this.rec, pfn, offset);
        this.visit(this.rec, pfn, offset);
      }
    }
    this.piece = null;
  }

  /** Checks one leaf's probe: built once, so probeRun's callback allocates nothing. */
  private readonly visit = (rec: WalkRecord, pfn: number, off: number): void => {
    const p = this.piece as Piece;
    const iova = pfn * SZ_4K + off;
    const want = p.pa + (iova - p.iova);
    const sw = this.driverCpuPa((this.domain as IommuDomain).iovaToPhys(iova));
    // -1 for a fault (want is never negative): a number | null local would box every PA of 2^31 or more.
    const hwPa = rec.ok ? rec.pa : -1;
    if (hwPa === want && sw === 0 && want !== 0) {
      // iova_to_phys returns 0 both for "no mapping" and for a page whose 32-bit output address is
      // 0 (v4.19 4GB mode: CPU PA 0x1_0000_0000): a kernel quirk, not a wrong walk.
      this.zero++;
      return;
    }
    if (hwPa !== want || sw !== want) {
      this.mismatches++;
      if (this.first.length < FIRST_MISMATCHES) {
        const walk = rec.ok ? hex(rec.pa) : `fault (${rec.fault ?? "?"} at L${rec.level})`;
        this.first.push(`iova ${hex(iova)} (${this.device}): intended ${hex(want)}, iova_to_phys ${hex(sw)}, hardware walk ${walk}`);
      }
    }
  };

  /**
   * The driver's iova_to_phys as a CPU physical address. In 4GB mode the 4.19 driver returns the M4U's
   * bus address (pa | BIT(32)); later drivers clear bit 32 themselves. Either way the CPU address is
   * what the workload intended.
   */
  private driverCpuPa(pa: number): number {
    if (pa === 0 || !this.sys.platform.iommu4gbMode) return pa;
    return fourGbBusToCpuOrSelf(pa);
  }

  finish(end: RunEnd): VerifyOut {
    for (const m of end.live) this.mapped(m);
    return {
      translationMismatches: this.mismatches,
      iovaToPhysZero: this.zero,
      mismatchNotes: this.first.map((m) => `translation mismatch: ${m}`),
      zeroNotes:
        this.zero > 0
          ? [
              `iova_to_phys returned 0 for ${this.zero} correctly mapped pages whose 32-bit output address is 0 (the driver cannot tell them from unmapped ones)`,
            ]
          : [],
    };
  }
}
