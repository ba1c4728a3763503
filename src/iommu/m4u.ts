// SPDX-License-Identifier: GPL-2.0-only
/**
 * An M4U-like IOMMU: the PT_BASE register, a TLB (and optional walk cache), the table walker and a
 * fault record. It reads registers and physical memory only; the iommu-dma layer drives its TLB
 * maintenance as mtk_iommu does (range flush after map and at iotlb_sync, full flush on resume/fault).
 *
 * Writing PT_BASE does not invalidate the TLB: the driver writes it once per bank at attach, before any
 * translation; a re-attach that changes it must flush, as the runtime resume path's full flush does.
 */
import { SZ_4K } from "../core/u32.ts";
import type { PhysMemory } from "../phys/memory.ts";
import type { Era } from "../core/era.ts";
import { ioPgtableCfgFor } from "../phys/iommu-plan.ts";
import type { IommuInstance, Platform } from "../phys/platform.ts";
import { DEFAULT_TLB_ENTRIES, Tlb, WalkCache, tlbAddrDecodePfn, tlbAddrPfn } from "./tlb.ts";
import type { Access, Fault, FaultType, IommuHardware, Translation } from "./types.ts";
import {
  checkWalkConfig,
  faultOfRecord,
  l1EntryCount,
  leafOfRecord,
  probeRunInto,
  tlbHitFault,
  ttbrToL1Base,
  WalkRecord,
  walk,
  walkInto,
  walkPageInto,
} from "./walker.ts";
import type { Leaf, WalkConfig } from "./walker.ts";

export interface M4uConfig extends WalkConfig {
  /** TLB entries (fully associative, LRU). */
  readonly tlbEntries: number;
  /** L1 table-descriptor cache entries; 0 = none (the default: mtk_iommu documents none). */
  readonly walkCacheEntries: number;
}

/** MT8173's M4U as the latest driver configures it: ias 32, MTK_EXT, NO_PERMS, no TTBR extension. */
export function mt8173Config(fourGbMode: boolean, overrides: Partial<M4uConfig> = {}): M4uConfig {
  return {
    ias: 32,
    mtkExt: true,
    mtkTtbrExt: false,
    fourGbMode,
    noPerms: true,
    tlbEntries: DEFAULT_TLB_ENTRIES,
    walkCacheEntries: 0,
    ...overrides,
  };
}

/**
 * The M4U config a platform implies for the single-domain session (4GB mode from the platform's flag).
 * It stays at ias 32 whatever the platform's instances say, because the session's domain builds an
 * ias-32 table (src/dma/iommu-core.ts mtkV7sConfig); a system with the instances' own tables uses
 * m4uConfigForInstance.
 */
export function m4uConfigFor(platform: Platform, overrides: Partial<M4uConfig> = {}): M4uConfig {
  return mt8173Config(platform.iommu4gbMode, overrides);
}

/**
 * The walker config of one IOMMU instance under `era`: ias and the MTK extensions from the
 * io_pgtable_cfg its driver builds (src/phys/iommu-plan.ts); msm_iommu walks with permissions and no MTK bits.
 */
export function m4uConfigForInstance(inst: IommuInstance, era: Era, enable4GB: boolean, overrides: Partial<M4uConfig> = {}): M4uConfig {
  const cfg = ioPgtableCfgFor(inst, era, enable4GB);
  if (inst.driver === "msm_iommu") return armV7sConfig(overrides);
  return {
    ias: cfg.ias,
    // The M4U decodes PTE bits 9/4/5 as PA bits 32-34 whatever quirk the kernel's text names them by
    // (4.19's ARM_MTK_4GB sets the same bit 9), as mt8173Config does for every era.
    mtkExt: true,
    mtkTtbrExt: cfg.ttbrExt,
    fourGbMode: enable4GB && inst.flags.includes("HAS_4GB_MODE"),
    noPerms: true,
    tlbEntries: DEFAULT_TLB_ENTRIES,
    walkCacheEntries: 0,
    ...overrides,
  };
}

/** A plain ARM short-descriptor walker with permissions (the selftest's ARM_NS config): no MTK bits. */
export function armV7sConfig(overrides: Partial<M4uConfig> = {}): M4uConfig {
  return {
    ias: 32,
    mtkExt: false,
    mtkTtbrExt: false,
    fourGbMode: false,
    noPerms: false,
    tlbEntries: DEFAULT_TLB_ENTRIES,
    walkCacheEntries: 0,
    ...overrides,
  };
}

export interface M4uCounters {
  readonly translations: number;
  readonly walks: number;
  /** Descriptor words the walker read from memory. */
  readonly descriptorReads: number;
  readonly tlbHits: number;
  readonly tlbMisses: number;
  readonly tlbFills: number;
  readonly tlbEvictions: number;
  readonly tlbInvalidated: number;
  readonly walkCacheHits: number;
  readonly rangeFlushes: number;
  readonly fullFlushes: number;
  readonly faults: Readonly<Record<FaultType, number>>;
}

/** Where M4u.translatePage answers: the CPU PA, or the fault. */
export interface PageTranslation {
  pa: number;
  fault: Fault | null;
}

export class M4u implements IommuHardware {
  static readonly MAX_RECORDED_FAULTS = 10000;
  readonly config: M4uConfig;
  readonly phys: PhysMemory;
  /** The first faults, in order (capped); `counters().faults` counts them all. */
  readonly faults: Fault[] = [];
  private readonly tlb: Tlb;
  private readonly walkCache: WalkCache | null;
  /** translatePage's walk record (read out before anything can walk again). */
  private readonly walkRec = new WalkRecord();
  private readonly iovaLimit: number;
  private readonly iovaLimitPfn: number;
  private ptBase = 0;
  private l1Base = 0;
  private translations = 0;
  private walks = 0;
  private descriptorReads = 0;
  private rangeFlushes = 0;
  private fullFlushes = 0;
  private readonly faultCounts: Record<FaultType, number> = {
    translation: 0,
    permission: 0,
    "walk-bus-error": 0,
    "invalid-pa": 0,
  };

  constructor(phys: PhysMemory, config: M4uConfig) {
    checkWalkConfig(config);
    if (!Number.isInteger(config.walkCacheEntries) || config.walkCacheEntries < 0) {
      throw new RangeError(`M4U walkCacheEntries ${config.walkCacheEntries}: must be a non-negative integer`);
    }
    this.phys = phys;
    this.config = config;
    this.iovaLimit = 2 ** config.ias;
    this.iovaLimitPfn = this.iovaLimit / SZ_4K;
    this.tlb = new Tlb(config.tlbEntries);
    this.walkCache = config.walkCacheEntries > 0 ? new WalkCache(config.walkCacheEntries) : null;
  }

  /** REG_MMU_PT_BASE_ADDR as last written (reset value 0). */
  get ptBaseRegister(): number {
    return this.ptBase;
  }

  /** The L1 table PA the hardware decodes from PT_BASE. */
  get l1TablePa(): number {
    return this.l1Base;
  }

  writePtBase(ttbr: number): void {
    this.l1Base = ttbrToL1Base(ttbr, this.config);
    this.ptBase = ttbr;
  }

  /** The driver's range flush for IOVAs [start, end] (inclusive), through the START/END registers. */
  flushRange(start: number, end: number): void {
    this.checkIova(start, "flushRange start");
    this.checkIova(end, "flushRange end");
    if (end < start) throw new RangeError(`flushRange: end 0x${end.toString(16)} < start 0x${start.toString(16)}`);
    this.rangeFlushes++;
    if (this.nothingCached()) return;
    this.invalidatePages(tlbAddrPfn(start), tlbAddrPfn(end));
  }

  /** F_MMU_INV_RANGE with REG_MMU_INVLD_START_A/END_A as written (MTK_IOMMU_TLB_ADDR encoding). */
  writeInvalidateRange(startReg: number, endReg: number): void {
    this.rangeFlushes++;
    // Nothing cached, nothing to drop: the common case (a flush after every map, a TLB that trace
    // replay never fills) costs a count.
    if (this.nothingCached()) return;
    this.invalidatePages(tlbAddrDecodePfn(startReg), tlbAddrDecodePfn(endReg));
  }

  /** Drops what pages [first, last] hold: from the START page to the END page's last byte. */
  private invalidatePages(first: number, last: number): void {
    if (last < first) return;
    this.tlb.invalidatePages(first, last);
    this.walkCache?.invalidateRange(first * SZ_4K, last * SZ_4K + 0xfff, l1EntryCount(this.config.ias));
  }

  flushAll(): void {
    this.fullFlushes++;
    this.tlb.invalidateAll();
    this.walkCache?.invalidateAll();
  }

  translate(iova: number, access: Access): Translation {
    this.checkIova(iova, "translate");
    this.translations++;
    const hit = this.tlb.lookup(iova);
    if (hit !== undefined) {
      const fault = tlbHitFault(hit, iova, access);
      if (fault !== null) {
        this.record(fault);
        return { ok: false, fault, steps: [] };
      }
      const offset = iova - hit.iovaBase;
      return {
        ok: true,
        iova,
        pa: hit.paBase + offset,
        busPa: hit.busPaBase + offset,
        pageSize: hit.pageSize,
        writable: hit.writable,
        fromTlb: true,
        steps: [],
      };
    }
    this.walks++;
    const r = walk(this.phys, this.config, this.l1Base, iova, access, true, this.walkCache);
    this.descriptorReads += r.reads;
    if (r.leaf !== null) this.tlb.fill(r.leaf);
    if (!r.translation.ok) this.record(r.translation.fault);
    return r.translation;
  }

  /**
   * translate() for a DMA master's page access, without the Translation object: the same checks,
   * counters, TLB lookup and fill, and fault record, with the answer in `out` (`out.pa` when it returns
   * true, else `out.fault`, the Fault translate() would carry).
   */
  translatePage(out: PageTranslation, iova: number, access: Access): boolean {
    this.checkIova(iova, "translate");
    this.translations++;
    const hit = this.tlb.lookup(iova);
    if (hit !== undefined) {
      const fault = tlbHitFault(hit, iova, access);
      if (fault !== null) {
        this.record(fault);
        out.fault = fault;
        return false;
      }
      out.pa = hit.paBase + (iova - hit.iovaBase);
      out.fault = null;
      return true;
    }
    this.walks++;
    const rec = this.walkRec;
    walkInto(rec, this.phys, this.config, this.l1Base, iova, access, true, this.walkCache);
    this.descriptorReads += rec.reads;
    if (rec.leaf) this.tlb.fill(leafOfRecord(rec));
    if (!rec.ok) {
      const fault = faultOfRecord(rec, iova, access);
      this.record(fault);
      out.fault = fault;
      return false;
    }
    out.pa = rec.pa;
    out.fault = null;
    return true;
  }

  probe(iova: number): Translation {
    this.checkIova(iova, "probe");
    return walk(this.phys, this.config, this.l1Base, iova, "read", false, null).translation;
  }

  /**
   * probe() without allocation, for per-leaf verification: the same walk (PT_BASE's L1, then the L2 its
   * descriptor points to, both read from physical memory; no TLB, no counters, no fault record),
   * written into the caller's reusable record. Returns `rec.ok`; then `rec.pa` and `rec.pageSize` hold,
   * else `rec.fault` and `rec.level`. `walkResultOf(rec, iova, "read").translation` is what probe() returns.
   */
  probeInto(rec: WalkRecord, iova: number): boolean {
    this.checkIova(iova, "probe");
    return walkInto(rec, this.phys, this.config, this.l1Base, iova, "read", false, null);
  }

  /** probeInto for IOVA `pfn` * 4 KiB + `offset`: page frame numbers stay small integers (no heap numbers). */
  probePageInto(rec: WalkRecord, pfn: number, offset = 0): boolean {
    if (!(pfn >>> 0 === pfn && pfn < this.iovaLimitPfn && offset >>> 0 === offset && offset < SZ_4K)) {
      throw new RangeError(`M4U probe: page ${pfn} offset ${offset} is outside [0, 2^${this.config.ias})`);
    }
    return walkPageInto(rec, this.phys, this.config, this.l1Base, pfn, offset, "read", false, null);
  }

  /**
   * probePageInto for every leaf of `bytes` at IOVA `pfn` * 4 KiB + `offset`, in IOVA order, calling
   * `visit` after each (see walker.ts probeRunInto): one call per mapping for the verification, with
   * the L1 word read once per MiB. `visit` must not write tables; a pre-built function allocates nothing.
   */
  probeRun(rec: WalkRecord, pfn: number, offset: number, bytes: number, visit: (rec: WalkRecord, pfn: number, offset: number) => void): void {
    if (!(bytes > 0)) return;
    const endPfn = pfn + Math.ceil((offset + bytes) / SZ_4K);
    if (!(pfn >>> 0 === pfn && endPfn <= this.iovaLimitPfn && offset >>> 0 === offset && offset < SZ_4K)) {
      throw new RangeError(`M4U probe: ${bytes} bytes at page ${pfn} offset ${offset} reach outside [0, 2^${this.config.ias})`);
    }
    probeRunInto(rec, this.phys, this.config, this.l1Base, pfn, offset, endPfn, visit);
  }

  counters(): M4uCounters {
    return {
      translations: this.translations,
      walks: this.walks,
      descriptorReads: this.descriptorReads,
      tlbHits: this.tlb.hits,
      tlbMisses: this.tlb.misses,
      tlbFills: this.tlb.fills,
      tlbEvictions: this.tlb.evictions,
      tlbInvalidated: this.tlb.invalidated,
      walkCacheHits: this.walkCache?.hits ?? 0,
      rangeFlushes: this.rangeFlushes,
      fullFlushes: this.fullFlushes,
      faults: { ...this.faultCounts },
    };
  }

  /** TLB contents, least recently used first (a snapshot). */
  tlbEntries(): Leaf[] {
    return this.tlb.entries();
  }

  /** The TLB entry that would serve `iova`, without touching counters or LRU order. */
  tlbPeek(iova: number): Leaf | undefined {
    return this.tlb.peek(iova);
  }

  /** Walk-cache contents as [L1 index, descriptor] pairs (empty when there is no walk cache). */
  walkCacheEntries(): [number, number][] {
    return this.walkCache?.entries() ?? [];
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  private nothingCached(): boolean {
    return this.tlb.size === 0 && (this.walkCache === null || this.walkCache.size === 0);
  }

  private record(fault: Fault): void {
    this.faultCounts[fault.type]++;
    if (this.faults.length < M4u.MAX_RECORDED_FAULTS) this.faults.push(fault);
  }

  private checkIova(iova: number, what: string): void {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova >= this.iovaLimit) {
      throw new RangeError(`M4U ${what}: IOVA ${iova} is outside [0, 2^${this.config.ias})`);
    }
  }
}
