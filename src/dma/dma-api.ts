// SPDX-License-Identifier: GPL-2.0-only
/**
 * The DMA API through iommu-dma (drivers/iommu/dma-iommu.c): dma_map_page/single, dma_map_sg and
 * dma_alloc_attrs for devices behind one IommuDomain, with the IOVA allocator in front. A device's
 * "CPU address" is its physical address here: the model has no kernel virtual mappings.
 *
 * Simplifications: the atomic pool (non-blocking, non-coherent allocations) and CMA
 * (DMA_ATTR_FORCE_CONTIGUOUS) are both modelled as one alloc_pages of get_order(size) from the same
 * PageSource; pages of a remapped allocation are freed as the blocks they were allocated as (the
 * kernel split_page()s and frees single pages, which the buddy merges back the same way); no flush
 * queue (arm64 defaults to strict invalidation), so IOVAs are freed right after iotlb_sync.
 */
import { alignUp, fls, getOrder } from "../core/bits.ts";
import { SZ_4K } from "../core/u32.ts";
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_ZERO,
  GFP_ATOMIC,
  gfpAllowsBlocking,
  without,
  type Gfp,
} from "../mm/gfp.ts";
import type { PageSource } from "../mm/page-source.ts";
import { IOMMU_CACHE, IOMMU_PRIV, IOMMU_READ, IOMMU_WRITE } from "../pgtable/types.ts";
import type { IommuDomain } from "./iommu-core.ts";
import { IOVA_GRANULE, IovaDomain } from "./iova.ts";

/**
 * enum dma_data_direction by its kernel names; workload events use this type too. DMA_NONE is left out:
 * every dma_map_* BUG()s on it (nojick/test419@115e53ca:include/linux/dma-mapping.h:dma_map_single_attrs,
 * BUG_ON(!valid_dma_direction(dir))), so no mapping can carry it.
 */
export type DmaDirection = "DMA_BIDIRECTIONAL" | "DMA_TO_DEVICE" | "DMA_FROM_DEVICE";
export const DMA_DIRECTIONS: readonly DmaDirection[] = ["DMA_BIDIRECTIONAL", "DMA_TO_DEVICE", "DMA_FROM_DEVICE"];

/** include/linux/dma-mapping.h attribute bits (those the model reads or a workload may pass). */
export const DMA_ATTR_WRITE_COMBINE = 1 << 2;
export const DMA_ATTR_NO_KERNEL_MAPPING = 1 << 4;
export const DMA_ATTR_FORCE_CONTIGUOUS = 1 << 6;
export const DMA_ATTR_ALLOC_SINGLE_PAGES = 1 << 7;
export const DMA_ATTR_PRIVILEGED = 1 << 9;

/** The kernel's DMA_MAPPING_ERROR is (dma_addr_t)~0; the model uses -1, which no IOVA can equal. */
export const DMA_MAPPING_ERROR = -1;

export const DMA_BIT_MASK_32 = 0xffff_ffff;

/** The struct device fields iommu-dma reads. */
export interface DmaDevice {
  readonly name: string;
  /** dma_mask (streaming mappings). */
  readonly dmaMask: number;
  /** coherent_dma_mask (dma_alloc_attrs). */
  readonly coherentDmaMask: number;
  /** bus_dma_limit (4.19: bus_dma_mask); 0 = none. */
  readonly busDmaLimit: number;
  /** dev_is_dma_coherent: gives IOMMU_CACHE. MTK clients are not. */
  readonly coherent: boolean;
  /** dma_get_seg_boundary. */
  readonly segBoundaryMask: number;
  /** dma_get_max_seg_size (64 KiB unless the driver raises it). */
  readonly maxSegmentSize: number;
}

/** A platform device as of_dma_configure leaves it: 32-bit masks, non-coherent. */
export function platformDevice(name: string, overrides: Partial<Omit<DmaDevice, "name">> = {}): DmaDevice {
  return {
    name,
    dmaMask: DMA_BIT_MASK_32,
    coherentDmaMask: DMA_BIT_MASK_32,
    busDmaLimit: 0,
    coherent: false,
    segBoundaryMask: DMA_BIT_MASK_32,
    maxSegmentSize: 0x10000,
    ...overrides,
  };
}

/** dma_info_to_prot. */
export function dmaInfoToProt(dir: DmaDirection, coherent: boolean, attrs: number): number {
  let prot = coherent ? IOMMU_CACHE : 0;
  if (attrs & DMA_ATTR_PRIVILEGED) prot |= IOMMU_PRIV;
  switch (dir) {
    case "DMA_BIDIRECTIONAL":
      return prot | IOMMU_READ | IOMMU_WRITE;
    case "DMA_TO_DEVICE":
      return prot | IOMMU_READ;
    case "DMA_FROM_DEVICE":
      return prot | IOMMU_WRITE;
  }
}

export interface SgEntry {
  /** sg_phys: page physical address + offset. */
  readonly phys: number;
  readonly length: number;
}

export interface DmaSegment {
  readonly dmaAddress: number;
  readonly dmaLength: number;
}

export interface SgMapping {
  /** dma_map_sg's return: the number of DMA segments (0 on failure is `null` here). */
  readonly nents: number;
  readonly segments: readonly DmaSegment[];
  /** The one IOVA allocation behind every segment. */
  readonly iova: number;
  readonly iovaLen: number;
}

export interface PageBlock {
  readonly pa: number;
  readonly order: number;
}

export interface DmaBuffer {
  readonly dmaHandle: number;
  /** The size the caller asked for. */
  readonly size: number;
  /** Physical blocks behind the buffer, in IOVA order. */
  readonly blocks: readonly PageBlock[];
  /** One physically contiguous block (non-blocking or FORCE_CONTIGUOUS path). */
  readonly contiguous: boolean;
  /** Orders __iommu_dma_alloc_pages gave up for this call after a failed attempt, in order. */
  readonly droppedOrders: readonly number[];
}

export interface IommuDmaOptions {
  readonly domain: IommuDomain;
  readonly pages: PageSource;
  /** Possible CPUs for the IOVA rcache (the platform's). */
  readonly cpus: number;
}

export interface DmaCounters {
  mapPage: number;
  mapPageErrors: number;
  mapSg: number;
  mapSgErrors: number;
  allocs: number;
  allocFailures: number;
  iovaFailures: number;
}

/** The iommu_dma_cookie of a DMA domain: its IOVA domain and the DMA API on top. */
export class IommuDma {
  readonly domain: IommuDomain;
  readonly iovad: IovaDomain;
  readonly pages: PageSource;
  readonly counters: DmaCounters = {
    mapPage: 0,
    mapPageErrors: 0,
    mapSg: 0,
    mapSgErrors: 0,
    allocs: 0,
    allocFailures: 0,
    iovaFailures: 0,
  };

  constructor(opts: IommuDmaOptions) {
    this.domain = opts.domain;
    this.pages = opts.pages;
    // iommu_dma_init_domain: granule = smallest IOMMU page, start_pfn = max(1, aperture_start >> shift).
    if (opts.domain.minPagesz !== IOVA_GRANULE) {
      throw new RangeError(`IommuDma: domain min page size 0x${opts.domain.minPagesz.toString(16)} is not the 4 KiB granule`);
    }
    this.iovad = IovaDomain.forAperture(opts.domain.era, opts.domain.apertureStart, opts.cpus);
  }

  /** iova_offset / iova_align. */
  private iovaOffset(x: number): number {
    return granuleOffset(x);
  }

  /**
   * iommu_dma_alloc_iova: an IOVA for `size` bytes (granule-aligned) below the device limit and the
   * aperture end, or 0.
   */
  allocIova(dev: DmaDevice, size: number, dmaLimit: number, cpu = 0): number {
    let limit = dmaLimit;
    if (dev.busDmaLimit !== 0) limit = Math.min(limit, dev.busDmaLimit);
    // force_aperture: every MTK domain sets it.
    limit = Math.min(limit, this.domain.apertureEnd);
    const pfn = this.iovad.allocIova(size / IOVA_GRANULE, Math.floor(limit / IOVA_GRANULE), cpu);
    if (pfn === 0) this.counters.iovaFailures++;
    return pfn * IOVA_GRANULE;
  }

  /** iommu_dma_free_iova (strict mode): free_iova_fast with the unrounded page count. */
  freeIova(iova: number, size: number, cpu = 0): void {
    this.iovad.freeIova(iova / IOVA_GRANULE, size / IOVA_GRANULE, cpu);
  }

  /** __iommu_dma_map: the DMA address, or DMA_MAPPING_ERROR. */
  private map(dev: DmaDevice, phys: number, size: number, prot: number, dmaMask: number, cpu: number): number {
    const off = this.iovaOffset(phys);
    const len = alignUp(size + off, IOVA_GRANULE);
    const iova = this.allocIova(dev, len, dmaMask, cpu);
    if (iova === 0) return DMA_MAPPING_ERROR;
    const r = this.domain.map(iova, phys - off, len, prot, GFP_ATOMIC);
    if (r.ret !== 0) {
      this.freeIova(iova, len, cpu);
      return DMA_MAPPING_ERROR;
    }
    return iova + off;
  }

  /** __iommu_dma_unmap: unmap, WARN on a short unmap, free the IOVA. */
  private unmapRange(dmaAddr: number, size: number, cpu: number): void {
    const off = this.iovaOffset(dmaAddr);
    const start = dmaAddr - off;
    const len = alignUp(size + off, IOVA_GRANULE);
    const unmapped = this.domain.unmap(start, len);
    if (unmapped !== len) this.domain.messages.push({ level: "warn", text: "WARN_ON: unmapped != size" });
    this.freeIova(start, len, cpu);
  }

  /** dma_map_page / dma_map_single (iommu_dma_map_page): a DMA address or DMA_MAPPING_ERROR. */
  mapPage(dev: DmaDevice, phys: number, size: number, dir: DmaDirection, attrs = 0, cpu = 0): number {
    checkSize("dma_map_page size", size);
    this.counters.mapPage++;
    const a = this.map(dev, phys, size, dmaInfoToProt(dir, dev.coherent, attrs), dev.dmaMask, cpu);
    if (a === DMA_MAPPING_ERROR) this.counters.mapPageErrors++;
    return a;
  }

  mapSingle(dev: DmaDevice, phys: number, size: number, dir: DmaDirection, attrs = 0, cpu = 0): number {
    return this.mapPage(dev, phys, size, dir, attrs, cpu);
  }

  unmapPage(_dev: DmaDevice, dmaAddr: number, size: number, _dir: DmaDirection, _attrs = 0, cpu = 0): void {
    checkSize("dma_unmap_page size", size);
    if (dmaAddr === DMA_MAPPING_ERROR) throw new RangeError("dma_unmap_page: DMA_MAPPING_ERROR is not a mapping");
    this.unmapRange(dmaAddr, size, cpu);
  }

  unmapSingle(dev: DmaDevice, dmaAddr: number, size: number, dir: DmaDirection, attrs = 0, cpu = 0): void {
    this.unmapPage(dev, dmaAddr, size, dir, attrs, cpu);
  }

  /**
   * dma_map_sg (iommu_dma_map_sg): every entry is widened to IOVA pages, all of them share one IOVA
   * allocation (padded so no entry straddles the segment boundary), iommu_map_sg maps them, and
   * __finalise_sg joins entries that continue each other in IOVA space into DMA segments of at most
   * max_segment_size. Null where the kernel returns 0.
   */
  mapSg(dev: DmaDevice, sg: readonly SgEntry[], dir: DmaDirection, attrs = 0, cpu = 0): SgMapping | null {
    if (sg.length === 0) throw new RangeError("dma_map_sg: empty scatterlist");
    this.counters.mapSg++;
    const prot = dmaInfoToProt(dir, dev.coherent, attrs);
    const boundary = dev.segBoundaryMask + 1;
    // Entries of whole, page-aligned pages that need no boundary padding are their own IOVA-aligned
    // copies: then `sg` itself goes to iommu_map_sg and no per-entry arrays are built.
    let iovaLen = 0;
    let plain = true;
    for (let i = 0; i < sg.length; i++) {
      const s = sg[i] as SgEntry;
      checkSize("dma_map_sg entry length", s.length);
      const len = s.length;
      const pad = boundaryPad(iovaLen, boundary);
      if (granuleOffset(s.phys) !== 0 || granuleOffset(len) !== 0 || (pad !== 0 && pad < len - 1 && i > 0)) {
        plain = false;
        break;
      }
      iovaLen += len;
    }
    const offs: number[] = [];
    const iovaLens: number[] = [];
    let aligned: readonly SgEntry[] = sg;
    if (!plain) {
      const copy: { phys: number; length: number }[] = [];
      iovaLen = 0;
      for (const s of sg) {
        checkSize("dma_map_sg entry length", s.length);
        const off = this.iovaOffset(s.phys);
        const len = alignUp(s.length + off, IOVA_GRANULE);
        const pad = boundaryPad(iovaLen, boundary);
        const prev = copy.length - 1;
        if (pad !== 0 && pad < len - 1 && prev >= 0) {
          (copy[prev] as { length: number }).length += pad;
          iovaLens[prev] = (iovaLens[prev] as number) + pad;
          iovaLen += pad;
        }
        offs.push(off);
        iovaLens.push(len);
        copy.push({ phys: s.phys - off, length: len });
        iovaLen += len;
      }
      aligned = copy;
    }
    const iova = this.allocIova(dev, iovaLen, dev.dmaMask, cpu);
    if (iova === 0) {
      this.counters.mapSgErrors++;
      return null;
    }
    const ret = this.domain.mapSg(iova, aligned, prot, GFP_ATOMIC);
    if (ret < iovaLen) {
      this.freeIova(iova, iovaLen, cpu);
      this.counters.mapSgErrors++;
      return null;
    }
    const segments: { dmaAddress: number; dmaLength: number }[] = [];
    let dmaAddr = iova;
    let curLen = 0;
    for (let i = 0; i < sg.length; i++) {
      const sLen = (sg[i] as SgEntry).length;
      const sOff = plain ? 0 : (offs[i] as number);
      const sIovaLen = plain ? sLen : (iovaLens[i] as number);
      const last = segments[segments.length - 1];
      if (last !== undefined && curLen !== 0 && sOff === 0 && remainder(dmaAddr, boundary) !== 0 && dev.maxSegmentSize - curLen >= sLen) {
        curLen += sLen;
        last.dmaLength = curLen;
      } else {
        curLen = sLen;
        segments.push({ dmaAddress: dmaAddr + sOff, dmaLength: sLen });
      }
      dmaAddr += sIovaLen;
      // A segment that ends short of its IOVA pages cannot be continued.
      if (sLen + sOff < sIovaLen) curLen = 0;
    }
    return { nents: segments.length, segments, iova, iovaLen };
  }

  /** dma_unmap_sg: one unmap from the first segment's start to the last segment's end. */
  unmapSg(_dev: DmaDevice, m: SgMapping, _dir: DmaDirection, _attrs = 0, cpu = 0): void {
    const first = m.segments[0];
    const last = m.segments[m.segments.length - 1];
    if (first === undefined || last === undefined) throw new RangeError("dma_unmap_sg: mapping has no segments");
    this.unmapRange(first.dmaAddress, last.dmaAddress + last.dmaLength - first.dmaAddress, cpu);
  }

  /**
   * dma_alloc_attrs through iommu_dma_alloc. A blocking gfp without FORCE_CONTIGUOUS takes the remap
   * path: pages in the largest orders the IOMMU can map ({0, 4, 8} for v7s: 4K, 64K, 1M; 16M is above
   * MAX_ORDER), then one IOVA against coherent_dma_mask and iommu_map_sg. Otherwise one contiguous
   * block and __iommu_dma_map. Null where the kernel returns NULL.
   */
  allocAttrs(dev: DmaDevice, size: number, gfpIn: Gfp, attrs = 0, cpu = 0): DmaBuffer | null {
    checkSize("dma_alloc_attrs size", size);
    this.counters.allocs++;
    const comp = this.domain.features.dmaAllocComp;
    if ((gfpIn & __GFP_COMP) !== 0 && comp === "reject") {
      this.domain.messages.push({ level: "warn", text: "WARN_ON_ONCE: flag & __GFP_COMP (dma_alloc_attrs)" });
      this.counters.allocFailures++;
      return null;
    }
    // dma_alloc_attrs lets the implementation pick the zone; iommu_dma_alloc (4.19: arm64
    // __iommu_alloc_attrs) adds __GFP_ZERO, so every page comes zeroed. 5.10 clears __GFP_COMP for the
    // remap path's pages; 4.19 splits a compound block, which leaves the same single pages here.
    const gfp = (without(gfpIn, (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM) as Gfp) | __GFP_ZERO) as Gfp;
    const prot = dmaInfoToProt("DMA_BIDIRECTIONAL", dev.coherent, attrs);
    const owner = `dma:${dev.name}`;
    const r =
      gfpAllowsBlocking(gfp) && (attrs & DMA_ATTR_FORCE_CONTIGUOUS) === 0
        ? this.allocRemap(dev, size, without(gfp, __GFP_COMP), attrs, prot, owner, cpu)
        : this.allocContiguous(dev, size, gfp, prot, owner, cpu);
    if (r === null) this.counters.allocFailures++;
    return r;
  }

  private allocContiguous(dev: DmaDevice, size: number, gfp: Gfp, prot: number, owner: string, cpu: number): DmaBuffer | null {
    const order = getOrder(size);
    const pa = this.pages.allocPages(gfp, order, owner);
    if (pa === null) return null;
    const handle = this.map(dev, pa, size, prot, dev.coherentDmaMask, cpu);
    if (handle === DMA_MAPPING_ERROR) {
      this.pages.freePages(pa, order);
      return null;
    }
    return { dmaHandle: handle, size, blocks: [{ pa, order }], contiguous: true, droppedOrders: [] };
  }

  private allocRemap(dev: DmaDevice, sizeIn: number, gfp: Gfp, attrs: number, prot: number, owner: string, cpu: number): DmaBuffer | null {
    let allocSizes = this.domain.pgsizeBitmap;
    const minSize = allocSizes & -allocSizes;
    const size = alignUp(sizeIn, Math.max(minSize, SZ_4K));
    if (attrs & DMA_ATTR_ALLOC_SINGLE_PAGES) allocSizes = minSize;
    const maxOrder = this.domain.era.buddyOrders - 1;
    let orderMask = Math.floor(allocSizes / SZ_4K) & ((2 << maxOrder) - 1);
    if (orderMask === 0) return null;
    const pageGfp = (gfp | __GFP_NOWARN | __GFP_HIGHMEM) as Gfp;
    const blocks: PageBlock[] = [];
    const dropped: number[] = [];
    let count = size / SZ_4K;
    while (count > 0) {
      orderMask &= (2 << (fls(count) - 1)) - 1;
      let got: PageBlock | null = null;
      while (orderMask !== 0) {
        const order = fls(orderMask) - 1;
        // Higher orders are a convenience: don't retry hard while a smaller order remains.
        const flags = orderMask > 1 << order ? ((pageGfp | __GFP_NORETRY) as Gfp) : pageGfp;
        const pa = this.pages.allocPages(flags, order, owner);
        if (pa !== null) {
          got = { pa, order };
          break;
        }
        dropped.push(order);
        orderMask &= ~(1 << order);
      }
      if (got === null) {
        this.freeBlocks(blocks);
        return null;
      }
      blocks.push(got);
      count -= 1 << got.order;
    }
    const iova = this.allocIova(dev, size, dev.coherentDmaMask, cpu);
    if (iova === 0) {
      this.freeBlocks(blocks);
      return null;
    }
    // sg_alloc_table_from_pages joins physically contiguous pages into one entry.
    const entries: { phys: number; length: number }[] = [];
    for (const b of blocks) {
      const len = SZ_4K * 2 ** b.order;
      const last = entries[entries.length - 1];
      if (last !== undefined && last.phys + last.length === b.pa) last.length += len;
      else entries.push({ phys: b.pa, length: len });
    }
    // __iommu_dma_alloc_noncontiguous: the zone and policy flags go, __GFP_ZERO stays (the table
    // allocations it reaches zero anyway).
    const mapGfp = without(gfp, (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_COMP) as Gfp);
    const ret = this.domain.mapSg(iova, entries, prot, mapGfp);
    if (ret < size) {
      this.freeIova(iova, size, cpu);
      this.freeBlocks(blocks);
      return null;
    }
    return { dmaHandle: iova, size: sizeIn, blocks, contiguous: false, droppedOrders: dropped };
  }

  private freeBlocks(blocks: readonly PageBlock[]): void {
    for (const b of blocks) this.pages.freePages(b.pa, b.order);
  }

  /** dma_free_attrs: unmap, free the IOVA, give the pages back. */
  freeAttrs(_dev: DmaDevice, buf: DmaBuffer, cpu = 0): void {
    const size = buf.contiguous ? buf.size : alignUp(buf.size, SZ_4K);
    this.unmapRange(buf.dmaHandle, size, cpu);
    this.freeBlocks(buf.blocks);
  }
}

/** The granule (4 KiB, a power of two) as a module constant, so hot code does not read the import cell. */
const GRANULE = IOVA_GRANULE;

/**
 * x % IOVA_GRANULE. A float remainder is a libm call in V8; for a positive safe integer the low bits
 * of its low word are the same number (2^32 is a multiple of the granule).
 */
function granuleOffset(x: number): number {
  return x > 0 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x ? (x >>> 0) & (GRANULE - 1) : x % GRANULE;
}

/** x % m, without the libm call where x is already below m (non-negative x: the remainder is x). */
function remainder(x: number, m: number): number {
  return x >= 0 && x < m ? x : x % m;
}

/** (boundary - (iovaLen % boundary)) % boundary: the padding that starts the next entry on a boundary. */
function boundaryPad(iovaLen: number, boundary: number): number {
  // Below the boundary (and for integers, where boundary - iovaLen is exact) the outer remainder is
  // of a number in (0, boundary], so it is boundary - iovaLen except at 0.
  if (iovaLen > 0 && iovaLen < boundary && Number.isSafeInteger(iovaLen) && Number.isSafeInteger(boundary)) return boundary - iovaLen;
  return (boundary - (iovaLen % boundary)) % boundary;
}

function checkSize(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${what} = ${v}: must be a positive integer`);
}
