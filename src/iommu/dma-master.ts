// SPDX-License-Identifier: GPL-2.0-only
/**
 * A DMA master: a device that reads and writes its buffers through the IOMMU into physical memory, one
 * 4 KiB IOVA page at a time (each page is one translation, as each burst is on the bus). A faulting page
 * moves no data here and the transfer goes on: the real M4U redirects a faulting access to its protect
 * buffer (REG_MMU_IVRP_PADDR), which the model does not hold. A translated PA that is not RAM is a bus
 * error recorded by PhysMemory.
 */
import { SZ_4K } from "../core/u32.ts";
import type { PhysMemory } from "../phys/memory.ts";
import { M4u, type PageTranslation } from "./m4u.ts";
import type { Access, Fault, IommuHardware } from "./types.ts";

export interface PhysRange {
  readonly pa: number;
  readonly bytes: number;
}

/** One page-bounded piece of a transfer. */
export interface DmaChunk {
  readonly iova: number;
  readonly bytes: number;
  /** Where it went, or null when the translation faulted. */
  readonly pa: number | null;
  /** Words of this chunk that hit a non-RAM address. */
  readonly busErrors: number;
}

export interface DmaReport {
  readonly device: string;
  readonly access: Access;
  readonly iova: number;
  readonly bytes: number;
  /** Bytes that reached RAM. */
  readonly bytesTransferred: number;
  readonly faults: readonly Fault[];
  readonly busErrors: number;
  /** Physical ranges touched, in transfer order, adjacent pieces merged. */
  readonly ranges: readonly PhysRange[];
  readonly chunks: readonly DmaChunk[];
}

export interface DmaReadReport extends DmaReport {
  /** The words read; 0 where the access faulted or hit a bus error. */
  readonly words: Uint32Array;
}

/** A u32 per word, or a function of the byte offset into the transfer. */
export type DmaPattern = number | ((byteOffset: number) => number);

export class DmaMaster {
  readonly name: string;
  private readonly iommu: IommuHardware;
  private readonly phys: PhysMemory;
  /** The M4U itself when `iommu` is one: its translatePage answers into `page`, no Translation object. */
  private readonly m4u: M4u | null;
  private readonly page: PageTranslation = { pa: 0, fault: null };

  constructor(name: string, iommu: IommuHardware, phys: PhysMemory) {
    this.name = name;
    this.iommu = iommu;
    this.phys = phys;
    this.m4u = iommu instanceof M4u ? iommu : null;
  }

  write(iova: number, bytes: number, pattern: DmaPattern): DmaReport {
    return this.transfer("write", iova, bytes, pattern, null);
  }

  read(iova: number, bytes: number): DmaReadReport {
    return this.transfer("read", iova, bytes, 0, new Uint32Array(bytes / 4)) as DmaReadReport;
  }

  /**
   * Moves the words of one transfer page by page: a write stores `pattern`, a read fills `words` (given
   * exactly for reads, and then returned in the report). One loop for both, without a closure per word.
   */
  private transfer(access: Access, iova: number, bytes: number, pattern: DmaPattern, words: Uint32Array | null): DmaReport {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova % 4 !== 0) {
      throw new RangeError(`DMA ${access} by ${this.name}: IOVA ${iova} is not a 4-byte aligned non-negative integer`);
    }
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 4 !== 0) {
      throw new RangeError(`DMA ${access} by ${this.name}: length ${bytes} is not a positive multiple of 4`);
    }
    const phys = this.phys;
    const faults: Fault[] = [];
    const chunks: DmaChunk[] = [];
    const ranges: { pa: number; bytes: number }[] = [];
    let transferred = 0;
    let busErrors = 0;
    for (let at = iova, end = iova + bytes; at < end; ) {
      const next = Math.min(end, at - (at % SZ_4K) + SZ_4K);
      const len = next - at;
      let tPa = 0;
      let tFault: Fault | null = null;
      const m4u = this.m4u;
      if (m4u !== null) {
        if (m4u.translatePage(this.page, at, access)) tPa = this.page.pa;
        else tFault = this.page.fault;
      } else {
        const t = this.iommu.translate(at, access);
        if (t.ok) tPa = t.pa;
        else tFault = t.fault;
      }
      if (tFault !== null) {
        faults.push(tFault);
        chunks.push({ iova: at, bytes: len, pa: null, busErrors: 0 });
      } else {
        let ok = 0;
        for (let off = 0; off < len; off += 4) {
          const pa = tPa + off;
          if (words === null) {
            // A word that is not RAM is a bus error (PhysMemory records it).
            const value = typeof pattern === "number" ? pattern >>> 0 : pattern(at - iova + off) >>> 0;
            if (phys.write32(pa, value)) ok++;
          } else if (!phys.isRam(pa, 4)) {
            phys.read32(pa);
          } else {
            words[(at - iova + off) / 4] = phys.read32(pa);
            ok++;
          }
        }
        const errs = len / 4 - ok;
        busErrors += errs;
        transferred += ok * 4;
        chunks.push({ iova: at, bytes: len, pa: tPa, busErrors: errs });
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last.pa + last.bytes === tPa) last.bytes += len;
        else ranges.push({ pa: tPa, bytes: len });
      }
      at = next;
    }
    if (words === null) return { device: this.name, access, iova, bytes, bytesTransferred: transferred, faults, busErrors, ranges, chunks };
    const report: DmaReadReport = { device: this.name, access, iova, bytes, bytesTransferred: transferred, faults, busErrors, ranges, chunks, words };
    return report;
  }
}

export interface StrayAccess {
  readonly iova: number;
  readonly bytes: number;
  /** Where the IOVA should have gone (null: it should not have been mapped at all). */
  readonly intendedPa: number | null;
  readonly actualPa: number;
  /** Whose memory it hit, when a `whoOwns` callback was given. */
  readonly owner: string | null;
}

/**
 * Chunks of a transfer that landed somewhere other than intended. `intendedPa(iova)` gives the PA the
 * byte at `iova` should reach (null: unmapped); `whoOwns(pa)` names the owner of a PA (e.g. a buddy's
 * ownerOf) for the report.
 */
export function findStrayDma(report: DmaReport, intendedPa: (iova: number) => number | null, whoOwns?: (pa: number) => string | null): StrayAccess[] {
  const out: StrayAccess[] = [];
  for (const c of report.chunks) {
    if (c.pa === null) continue;
    const want = intendedPa(c.iova);
    if (want === c.pa) continue;
    out.push({ iova: c.iova, bytes: c.bytes, intendedPa: want, actualPa: c.pa, owner: whoOwns === undefined ? null : whoOwns(c.pa) });
  }
  return out;
}
