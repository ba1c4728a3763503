// SPDX-License-Identifier: GPL-2.0-only
/**
 * The iommu core (iommu_map / iommu_unmap / iommu_map_sg) over one MediaTek M4U domain, wired as
 * mtk_iommu wires io-pgtable-arm-v7s to the hardware. MT8173 has one DMA domain, hence one v7s table,
 * for every client device of the SoC.
 *
 * TLB maintenance per era (`era.dma.mtkFlush`, src/core/era.ts):
 * - v4.19 `gather-ops`: the table carries mtk_iommu_gather_ops. tlb_add_flush writes the range
 *   registers at once (mtk_iommu_tlb_add_flush_nosync), tlb_sync polls. TLBI_ON_MAP makes every
 *   `.map` end with add_flush + sync; every cleared leaf issues add_flush; iotlb_sync only polls.
 * - later `sync-map`: the v7s cfg has no `.tlb` at all, so flush_walk and add_page do nothing; the
 *   driver adds each unmap request to the gather and iotlb_sync flushes [start, end] once;
 *   iotlb_sync_map flushes (iova, size) after every successful map.
 */
import type { DmaEraFeatures, Era } from "../core/era.ts";
import { EINVAL } from "../core/errors.ts";
import { lower32, SZ_4G, upper32 } from "../core/u32.ts";
import { __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, type Gfp } from "../mm/gfp.ts";
import type { IommuHardware } from "../iommu/types.ts";
import { MTK_4GB_MODE_REMAP_BASE } from "../iommu/walker.ts";
import type { TableMemory } from "../strategies/table-memory.ts";
import type { IoPgtableCfg } from "../phys/iommu-plan.ts";
import { quirkBits } from "../pgtable/config.ts";
import type { V7sQuirk } from "../pgtable/text.ts";
import type { AllocResult, DmaApi, EngineEnv, EngineLog, FlushOps, IotlbGather, PteLocation, V7sConfig, V7sPageTable } from "../pgtable/types.ts";
import { allocV7s } from "../pgtable/engine.ts";
import { iommuPgsizeInto, type PgsizeOut } from "./pgsize.ts";
import type { TraceSink } from "./trace.ts";

export { iommuPgsize, type PgsizeChoice } from "./pgsize.ts";

/** iommu_pgsize's answer, reused by every call (read at once into locals, so re-entry is harmless). */
const PGSIZE: PgsizeOut = { pgsize: 0, count: 0 };

/** mtk_iommu's pgsize_bitmap: SZ_4K | SZ_64K | SZ_1M | SZ_16M. */
export const MTK_PGSIZE_BITMAP = 0x0111_1000;

export interface KernelMessage {
  readonly level: "err" | "warn";
  readonly text: string;
}

/** Which maintenance to leave out, to show what a missing flush does to a device's view. */
export interface FlushSkips {
  /** iotlb_sync_map after a map (v4.19: the TLBI_ON_MAP add_flush from `.map`). */
  readonly map?: boolean;
  /** iotlb_sync after an unmap (v4.19: the leaf add_flush calls). */
  readonly unmap?: boolean;
  /** v4.19: the non-leaf add_flush + sync issued before an L2 table is freed. */
  readonly walk?: boolean;
}

export interface FlushRecord {
  readonly kind: "range" | "all";
  /** Inclusive IOVA range (0..0 for "all"). */
  readonly start: number;
  readonly end: number;
  /** Which maintenance point issued it. */
  readonly cause: "sync-map" | "iotlb-sync" | "tlbi-on-map" | "leaf" | "walk" | "flush-all";
  readonly skipped: boolean;
}

export interface DomainCounters {
  mapCalls: number;
  mapFailures: number;
  unmapCalls: number;
  bytesMapped: number;
  bytesUnmapped: number;
  rangeFlushes: number;
  fullFlushes: number;
  skippedFlushes: number;
  /** tlb_sync / iotlb_sync polls of CPE_DONE. */
  tlbSyncs: number;
  /** iotlb_sync with nothing gathered (the kernel then passes a bogus range; the model skips it). */
  emptyGatherSyncs: number;
  /** Table cache maintenance calls made through the DMA API (non-coherent walker). */
  tableDmaMaps: number;
  tableDmaSyncs: number;
}

export interface DomainMapResult {
  /** 0 or a negative errno. */
  readonly ret: number;
  /** Bytes the driver mapped before the call ended (all of them unmapped again on failure). */
  readonly mapped: number;
  /** Bytes the failure rollback unmapped. */
  readonly rolledBack: number;
}

export interface IommuDomainOptions {
  readonly era: Era;
  readonly mem: TableMemory;
  /** The engine's allocator; allocV7s by default. */
  readonly allocPgtable?: (cfg: V7sConfig, env: EngineEnv) => AllocResult;
  /** The M4U; null runs the software side only (flushes are counted, nothing is invalidated). */
  readonly hw?: IommuHardware | null;
  /** mtk_iommu's enable_4GB (the platform's iommu4gbMode). */
  readonly enable4GB?: boolean;
  /** Domain geometry; MT8173: 0 .. era.mt8173ApertureEnd. */
  readonly apertureStart?: number;
  readonly apertureEnd?: number;
  readonly skipFlush?: FlushSkips;
  readonly trace?: TraceSink | null;
  /** Keep a FlushRecord per flush in `flushLog`. */
  readonly recordFlushes?: boolean;
  /** Forwarded to V7sConfig.fitCheck. */
  readonly fitCheck?: boolean;
  /** io-pgtable quirks the table memory needs on top of the driver's (IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT). */
  readonly extraQuirks?: number;
  /** The instance's io_pgtable_cfg (ias, oas, quirk names); absent: MT8173's M4U under enable4GB. */
  readonly pgtableCfg?: IoPgtableCfg;
}

/**
 * The io_pgtable_cfg mtk_iommu_domain_finalise builds in `era`. `io` is an instance's (ias, oas and quirk
 * names from src/phys/iommu-plan.ts ioPgtableCfgFor), or, as a boolean (enable_4GB), MT8173's: the
 * era's quirk names (DmaEraFeatures.mtkQuirks), ias 32 and the era's oas. Either way the names become
 * bits as the era's io-pgtable text numbers them.
 */
export function mtkV7sConfig(era: Era, io: boolean | IoPgtableCfg, fitCheck?: boolean, extraQuirks = 0): V7sConfig {
  const own = typeof io === "boolean" ? null : io;
  const enable4GB = io === true;
  const names: readonly V7sQuirk[] =
    own !== null ? (own.quirks as readonly V7sQuirk[]) : enable4GB ? [...era.dma.mtkQuirks, ...era.dma.mtkQuirks4gb] : era.dma.mtkQuirks;
  const q = quirkBits(era, names);
  if (!q.ok) throw new RangeError(`mtkV7sConfig: era ${era.name}: ${q.refusal.message}`);
  return {
    quirks: q.bits | extraQuirks,
    ias: own?.ias ?? 32,
    oas: own?.oas ?? (enable4GB ? era.dma.mtkOas.fourGb : era.dma.mtkOas.normal),
    pgsizeBitmap: MTK_PGSIZE_BITMAP,
    coherentWalk: false,
    ...(fitCheck === undefined ? {} : { fitCheck }),
  };
}

/** x % a === 0 for a power of two a below 2^31: the low word of a non-negative integer says it exactly. */
function isAligned(x: number, a: number): boolean {
  return x >= 0 && Number.isSafeInteger(x) ? (x & (a - 1)) === 0 : x % a === 0;
}

/** "%pa" of a phys_addr_t on a 64-bit kernel: 0x and 16 zero-padded hex digits. */
function pa64(x: number): string {
  return "0x" + x.toString(16).padStart(16, "0");
}

interface MtkGather extends IotlbGather {
  start: number;
  end: number;
}

export type CreateDomainResult = { readonly ok: true; readonly domain: IommuDomain } | { readonly ok: false; readonly reason: string };

export class IommuDomain {
  readonly era: Era;
  readonly features: DmaEraFeatures;
  readonly hw: IommuHardware | null;
  readonly enable4GB: boolean;
  readonly pgsizeBitmap: number;
  readonly minPagesz: number;
  readonly apertureStart: number;
  readonly apertureEnd: number;
  readonly messages: KernelMessage[] = [];
  readonly flushLog: FlushRecord[] = [];
  readonly counters: DomainCounters = {
    mapCalls: 0,
    mapFailures: 0,
    unmapCalls: 0,
    bytesMapped: 0,
    bytesUnmapped: 0,
    rangeFlushes: 0,
    fullFlushes: 0,
    skippedFlushes: 0,
    tlbSyncs: 0,
    emptyGatherSyncs: 0,
    tableDmaMaps: 0,
    tableDmaSyncs: 0,
  };
  skipFlush: FlushSkips;
  trace: TraceSink | null;
  private readonly recordFlushes: boolean;
  private tableRef: V7sPageTable | null = null;
  /** What the core is doing while the engine calls back, to classify v4.19 add_flush calls. */
  private inOp: "map" | "unmap" | "idle" = "idle";
  /** mapNoSync's bytes mapped and rolled back (its DomainMapResult fields). */
  private lastMapped = 0;
  private lastRolledBack = 0;

  private constructor(opts: IommuDomainOptions) {
    this.era = opts.era;
    this.features = opts.era.dma;
    this.hw = opts.hw ?? null;
    this.enable4GB = opts.enable4GB ?? false;
    this.pgsizeBitmap = MTK_PGSIZE_BITMAP;
    this.minPagesz = MTK_PGSIZE_BITMAP & -MTK_PGSIZE_BITMAP;
    this.apertureStart = opts.apertureStart ?? 0;
    this.apertureEnd = opts.apertureEnd ?? opts.era.mt8173ApertureEnd;
    this.skipFlush = opts.skipFlush ?? {};
    this.trace = opts.trace ?? null;
    this.recordFlushes = opts.recordFlushes ?? false;
  }

  /**
   * mtk_iommu_domain_finalise + the first attach: allocate the v7s table with this domain's TLB
   * callbacks and a DMA API for the non-coherent walker, then write its TTBR to PT_BASE.
   */
  static create(opts: IommuDomainOptions): CreateDomainResult {
    const d = new IommuDomain(opts);
    const cfg = mtkV7sConfig(opts.era, opts.pgtableCfg ?? d.enable4GB, opts.fitCheck, opts.extraQuirks ?? 0);
    const log: EngineLog = {
      warn: (kind, text) => d.messages.push({ level: "warn", text: `${kind}: ${text}` }),
      error: (text) => d.messages.push({ level: "err", text }),
    };
    // The M4U's own struct device has no IOMMU: dma_map_single of a table is the identity.
    const dma: DmaApi = {
      mapSingle: (pa: number) => {
        d.counters.tableDmaMaps++;
        return pa;
      },
      unmapSingle: () => {},
      syncForDevice: (_at: PteLocation) => {
        d.counters.tableDmaSyncs++;
      },
    };
    const env: EngineEnv =
      d.features.mtkFlush === "gather-ops" ? { era: opts.era, mem: opts.mem, dma, log, tlb: d.gatherOps() } : { era: opts.era, mem: opts.mem, dma, log };
    const r = (opts.allocPgtable ?? allocV7s)(cfg, env);
    if (!r.ok) return { ok: false, reason: r.reason };
    d.tableRef = r.table;
    d.hw?.writePtBase(r.table.out.ttbr);
    return { ok: true, domain: d };
  }

  /**
   * A further domain on the table `owner` allocated (mtk_iommu_domain_finalise reusing share_dom->iop:
   * "Share pgtable when 2 MM IOMMU share the pgtable or one IOMMU use multiple iova ranges"): its own
   * aperture, hardware list, counters and messages, the owner's io-pgtable. PT_BASE is written again,
   * as each instance's attach writes the shared table's TTBR. `opts.mem` is ignored: the table's memory
   * is the owner's.
   */
  static sharing(owner: IommuDomain, opts: IommuDomainOptions): IommuDomain {
    const d = new IommuDomain(opts);
    d.tableRef = owner.table;
    d.hw?.writePtBase(owner.table.out.ttbr);
    return d;
  }

  get table(): V7sPageTable {
    if (this.tableRef === null) throw new TypeError("IommuDomain: the page table has been freed");
    return this.tableRef;
  }

  /** mtk_iommu_gather_ops (v4.19): every callback reaches the hardware at once. */
  private gatherOps(): FlushOps {
    return {
      tlbFlushAll: () => this.flushAll("flush-all"),
      // Once per page on v4.19 (TLBI_ON_MAP and every cleared leaf): one branch per cause, no lookups.
      tlbAddFlush: (iova: number, size: number, _granule: number, leaf: boolean) => {
        if (this.inOp === "map") this.flushRange(iova, size, "tlbi-on-map", this.skipFlush.map === true);
        else if (leaf) this.flushRange(iova, size, "leaf", this.skipFlush.unmap === true);
        else this.flushRange(iova, size, "walk", this.skipFlush.walk === true);
      },
      tlbSync: () => {
        this.counters.tlbSyncs++;
      },
    };
  }

  /**
   * Simplification: the M4U is always powered, so the range flush always reaches it; the kernel's
   * mtk_iommu_tlb_flush_range_sync skips an M4U with pm_runtime_get_if_in_use() <= 0 (MT8173 has no
   * PM_CLK_AO) and mtk_iommu_runtime_resume rewrites PT_BASE and flushes all on resume: the model flushes
   * at least as often as the kernel.
   */
  private flushRange(iova: number, size: number, cause: FlushRecord["cause"], skip: boolean): void {
    const end = iova + size - 1;
    if (this.recordFlushes) this.flushLog.push({ kind: "range", start: iova, end, cause, skipped: skip });
    if (skip) {
      this.counters.skippedFlushes++;
      return;
    }
    this.counters.rangeFlushes++;
    this.hw?.flushRange(iova, end);
  }

  private flushAll(cause: FlushRecord["cause"]): void {
    if (this.recordFlushes) this.flushLog.push({ kind: "all", start: 0, end: 0, cause, skipped: false });
    this.counters.fullFlushes++;
    this.hw?.flushAll();
  }

  /** flush_iotlb_all. */
  flushIotlbAll(): void {
    this.flushAll("flush-all");
  }

  /** The physical address mtk_iommu_map hands io-pgtable. */
  private driverPaddr(paddr: number): number {
    // Below 4 GiB the low word is the address itself (lower32's remainder is a libm call on a double).
    if (this.features.mtk4gbPaddr === "mask32") return paddr < SZ_4G ? paddr : lower32(paddr);
    if (this.enable4GB && upper32(paddr) % 2 === 0) return paddr + SZ_4G;
    return paddr;
  }

  /**
   * iommu_map(domain, iova, paddr, size, prot, gfp): the core loop, rollback on failure, trace_map
   * once per successful call, then iotlb_sync_map (a range flush) where the era has it.
   */
  map(iova: number, paddr: number, size: number, prot: number, gfp: Gfp): DomainMapResult {
    this.counters.mapCalls++;
    const ret = this.mapNoSync(iova, paddr, size, prot, gfp);
    const r: DomainMapResult = { ret, mapped: this.lastMapped, rolledBack: this.lastRolledBack };
    if (ret !== 0) {
      this.counters.mapFailures++;
      return r;
    }
    if (this.features.mtkFlush === "sync-map") this.flushRange(iova, size, "sync-map", this.skipFlush.map ?? false);
    return r;
  }

  /**
   * iommu_map_nosync (the body of iommu_map; iommu_map_sg calls it once per merged run): 0 or a negative
   * errno, with the bytes mapped and rolled back left in `lastMapped` and `lastRolledBack` (no result
   * object: iommu_map_sg calls this once per scatterlist entry on eras that do not merge).
   */
  private mapNoSync(iova: number, paddr: number, size: number, prot: number, gfp: Gfp): number {
    checkAddr("iommu_map iova", iova);
    checkAddr("iommu_map paddr", paddr);
    checkAddr("iommu_map size", size);
    this.lastMapped = 0;
    this.lastRolledBack = 0;
    if (this.features.rejectZoneGfp && (gfp & (__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) !== 0) {
      this.messages.push({ level: "warn", text: "WARN_ON_ONCE: gfp & (__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)" });
      return -EINVAL;
    }
    const min = this.minPagesz;
    // min_pagesz is a power of two below 2^31, so the low word of each (non-negative integer) address
    // says whether it is aligned: no float remainder.
    if (((iova | paddr | size) & (min - 1)) !== 0) {
      this.messages.push({
        level: "err",
        text: `unaligned: iova 0x${iova.toString(16)} pa ${pa64(paddr)} size 0x${size.toString(16)} min_pagesz 0x${min.toString(16)}`,
      });
      return -EINVAL;
    }
    const table = this.table;
    const batched = this.era.mapPagesBatched;
    let ret = 0;
    let mapped = 0;
    let curIova = iova;
    let curPa = paddr;
    let left = size;
    this.inOp = "map";
    try {
      while (left > 0) {
        // One page of the smallest size (every entry of a v4.19 scatterlist): aligned to it (checked
        // above), nothing else in the bitmap fits, so iommu_pgsize can only answer that page, once.
        const single = left === min;
        const pgsize = single ? min : iommuPgsizeInto(PGSIZE, this.pgsizeBitmap, curIova, curPa, left, batched);
        const count = single ? 1 : PGSIZE.count;
        let done: number;
        if (batched) {
          ret = table.mapPagesRet(curIova, this.driverPaddr(curPa), pgsize, count, prot, gfp);
          done = table.lastMapped;
          if (ret === 0 && done === 0) {
            throw new RangeError(
              `iommu_map: map_pages mapped nothing and returned 0 (prot 0x${prot.toString(16)} without IOMMU_READ|IOMMU_WRITE?): the kernel's loop would not terminate`,
            );
          }
        } else {
          // Before map_pages: one ops->map per page; a page counts once the call returns 0.
          ret = table.map(curIova, this.driverPaddr(curPa), pgsize, prot);
          done = ret === 0 ? pgsize : 0;
        }
        left -= done;
        mapped += done;
        if (ret !== 0) break;
        curIova += done;
        curPa += done;
      }
    } finally {
      this.inOp = "idle";
    }
    if (ret !== 0) {
      const rolledBack = this.unmap(iova, mapped);
      this.lastMapped = mapped;
      this.lastRolledBack = Math.max(0, rolledBack);
      return ret;
    }
    this.counters.bytesMapped += size;
    this.trace?.emit({ kind: "map", iova, paddr, size });
    this.lastMapped = mapped;
    return 0;
  }

  /**
   * iommu_unmap(domain, iova, size): bytes unmapped. Stops at the first piece the table refuses
   * (unmapped or a partial large entry); trace_unmap always reports requested and actual bytes; then
   * iotlb_sync. A misaligned request logs pr_err and returns 0 in every era: 4.19 __iommu_unmap returns
   * 0 before its iotlb_sync and trace_unmap (nojick/test419 968c1392:drivers/iommu/iommu.c); 6.x's
   * iommu_unmap wrapper still calls iommu_iotlb_sync on the empty gather (its bogus range is skipped here).
   */
  unmap(iova: number, size: number): number {
    checkAddr("iommu_unmap iova", iova);
    checkAddr("iommu_unmap size", size);
    this.counters.unmapCalls++;
    const min = this.minPagesz;
    const gather: MtkGather = { queued: false, start: Number.POSITIVE_INFINITY, end: 0 };
    let unmapped = 0;
    if (!isAligned(iova, min) || !isAligned(size, min)) {
      this.messages.push({
        level: "err",
        text: `unaligned: iova 0x${iova.toString(16)} size 0x${size.toString(16)} min_pagesz 0x${min.toString(16)}`,
      });
      if (this.features.mtkFlush === "gather-ops") return 0;
      this.iotlbSync(gather);
      return 0;
    }
    const table = this.table;
    const batched = this.era.mapPagesBatched;
    let cur = iova;
    this.inOp = "unmap";
    try {
      while (unmapped < size) {
        const pgsize = iommuPgsizeInto(PGSIZE, this.pgsizeBitmap, cur, cur, size - unmapped, batched);
        const count = PGSIZE.count;
        let done: number;
        if (batched) {
          // mtk_iommu_unmap adds the whole request to the gather before the table sees it.
          gather.start = Math.min(gather.start, cur);
          gather.end = Math.max(gather.end, cur + pgsize * count - 1);
          done = table.unmapPages(cur, pgsize, count, gather);
        } else {
          if (this.features.mtkFlush === "sync-map") {
            gather.start = Math.min(gather.start, cur);
            gather.end = Math.max(gather.end, cur + pgsize - 1);
          }
          done = table.unmap(cur, pgsize);
        }
        if (done === 0) break;
        cur += done;
        unmapped += done;
      }
    } finally {
      this.inOp = "idle";
    }
    this.counters.bytesUnmapped += unmapped;
    this.trace?.emit({ kind: "unmap", iova, size, unmapped });
    this.iotlbSync(gather);
    return unmapped;
  }

  /** iommu_iotlb_sync: MTK range-flushes the gathered span (v4.19: only polls the flush the leaves issued). */
  private iotlbSync(gather: MtkGather): void {
    this.counters.tlbSyncs++;
    if (this.features.mtkFlush === "gather-ops") return;
    if (gather.end < gather.start) {
      this.counters.emptyGatherSyncs++;
      return;
    }
    this.flushRange(gather.start, gather.end - gather.start + 1, "iotlb-sync", this.skipFlush.unmap ?? false);
  }

  /**
   * iommu_map_sg over already IOVA-aligned entries: one iommu_map per physically contiguous run where
   * the era merges (else per entry), one iotlb_sync_map over the whole span, unmap of everything on a
   * failure. Returns bytes mapped, or a negative errno (v4.19 returned 0 on failure; the errno is kept
   * here so callers can report it).
   */
  mapSg(iova: number, entries: readonly { readonly phys: number; readonly length: number }[], prot: number, gfp: Gfp): number {
    this.counters.mapCalls++;
    const merge = this.features.sgMerge;
    const n = entries.length;
    let mapped = 0;
    // Runs are read off `entries` in place (no copy): entries are only read, and a run ends where the
    // next entry does not continue it physically (or at every entry where the era does not merge).
    for (let i = 0; i < n; ) {
      const first = entries[i] as { readonly phys: number; readonly length: number };
      const phys = first.phys;
      let length = first.length;
      i++;
      if (merge) {
        for (; i < n; i++) {
          const e = entries[i] as { readonly phys: number; readonly length: number };
          if (phys + length !== e.phys) break;
          length += e.length;
        }
      } else if (!isAligned(phys, this.minPagesz)) {
        this.unmap(iova, mapped);
        this.counters.mapFailures++;
        return -EINVAL;
      }
      // 4.19's default_iommu_map_sg called the full iommu_map per entry (TLBI_ON_MAP flushes inside).
      const ret = this.mapNoSync(iova + mapped, phys, length, prot, gfp);
      if (ret !== 0) {
        this.unmap(iova, mapped);
        this.counters.mapFailures++;
        return ret;
      }
      mapped += length;
    }
    if (this.features.mtkFlush === "sync-map" && mapped > 0) this.flushRange(iova, mapped, "sync-map", this.skipFlush.map ?? false);
    return mapped;
  }

  /**
   * mtk_iommu_iova_to_phys: v4.19 ORs bit 32 in 4GB mode (the table holds 32-bit PAs); later kernels
   * take bit 32 back off PAs at or above the 4GB-mode remap base.
   */
  iovaToPhys(iova: number): number {
    const pa = this.table.iovaToPhys(iova);
    if (pa === 0 || !this.enable4GB) return pa;
    if (this.features.mtk4gbPaddr === "mask32") return upper32(pa) % 2 === 0 ? pa + SZ_4G : pa;
    return pa >= MTK_4GB_MODE_REMAP_BASE && upper32(pa) % 2 === 1 ? pa - SZ_4G : pa;
  }

  /** Kernel messages since the last call, oldest first. */
  drainMessages(): KernelMessage[] {
    return this.messages.splice(0, this.messages.length);
  }

  /** free_io_pgtable_ops at domain free. */
  free(): void {
    this.table.free();
    this.tableRef = null;
  }
}

function checkAddr(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} = ${v}: must be a non-negative safe integer`);
}
