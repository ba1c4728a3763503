// SPDX-License-Identifier: GPL-2.0-only
/**
 * The executor of workload events on a booted System: DMA-API calls (dma_alloc_attrs, dma_map_single,
 * dma_map_sg and their frees) with the buffers they keep live, device accesses through the M4U, and
 * core iommu_map / iommu_unmap calls (trace replay, through `replaySink`). Kernel failures are counted,
 * never thrown. It tells its observers what happened; it does not judge the result.
 */
import { SZ_4K } from "../core/u32.ts";
import { DMA_MAPPING_ERROR, platformDevice, type DmaBuffer, type DmaDevice, type DmaDirection, type IommuDma, type SgMapping } from "../dma/dma-api.ts";
import { DmaMaster } from "../iommu/dma-master.ts";
import { GFP_ATOMIC, GFP_KERNEL } from "../mm/gfp.ts";
import { IOMMU_READ, IOMMU_WRITE } from "../pgtable/types.ts";
import type { ReplaySink } from "../workload/replay.ts";
import type { WorkloadEvent } from "../workload/events.ts";
import type { LiveMapping, Observer, Piece } from "./observers/observer.ts";
import { CoreMapping, CoreMappings } from "./core-mappings.ts";
import type { System } from "./system.ts";

interface LiveBuffer extends LiveMapping {
  readonly dev: DmaDevice;
  /** The DMA layer of the device's domain. */
  readonly dma: IommuDma;
  readonly dmaAddr: number;
  readonly bytes: number;
  readonly buffer?: DmaBuffer;
  readonly sg?: SgMapping;
  /** Page blocks the executor took for a mapSingle/mapSg buffer, to give back on unmap. */
  readonly blocks: readonly { readonly pa: number; readonly order: number }[];
  readonly dir: DmaDirection;
}

type Hooked<K extends keyof Observer<unknown>> = Observer<unknown> & Required<Pick<Observer<unknown>, K>>;

function listening<K extends keyof Observer<unknown>>(observers: readonly Observer<unknown>[], hook: K): Hooked<K>[] {
  return observers.filter((o): o is Hooked<K> => o[hook] !== undefined);
}

const ATTR_BITS: Readonly<Record<string, number>> = {
  DMA_ATTR_WRITE_COMBINE: 1 << 2,
  DMA_ATTR_NO_KERNEL_MAPPING: 1 << 4,
  DMA_ATTR_FORCE_CONTIGUOUS: 1 << 6,
  DMA_ATTR_ALLOC_SINGLE_PAGES: 1 << 7,
  DMA_ATTR_PRIVILEGED: 1 << 9,
};

export class Executor {
  readonly system: System;
  /** Events executed (the sample index). */
  events = 0;
  /** Workload buffers whose pages (or DMA API call) could not be had: the device driver's -ENOMEM. */
  bufferFailures = 0;
  /** Per workload device: buffers it asked to map, those the DMA API failed, those that got no pages. */
  readonly deviceStats = new Map<string, { maps: number; mapErrors: number; bufferFailures: number }>();
  /** The observers with each hook, in observer order: an event calls only those that listen. */
  private readonly onMapped: readonly Hooked<"mapped">[];
  private readonly onUnmapped: readonly Hooked<"unmapped">[];
  private readonly onAccessed: readonly Hooked<"accessed">[];
  private readonly onPhase: readonly Hooked<"phase">[];
  private readonly onSettled: readonly Hooked<"settled">[];
  /** Some domain exists: with none, no event reaches the DMA layer. */
  private readonly anyDomain: boolean;
  private readonly devices = new Map<string, DmaDevice>();
  private readonly masters = new Map<string, DmaMaster>();
  private readonly live = new Map<number, LiveBuffer>();
  /** Trace replay: live core mappings by IOVA, in the order they were made. */
  private readonly coreLive = new CoreMappings();
  /** The return of the last iommuMap event (0 or a negative errno), for the replay sink. */
  private lastCoreMapRet = 0;
  /** Where a trace's core calls go (the route of "trace" is fixed at boot), and its device once made. */
  private readonly traceDma: IommuDma | null;
  private traceDevice: string | null = null;

  constructor(system: System, observers: readonly Observer<unknown>[]) {
    this.system = system;
    this.onMapped = listening(observers, "mapped");
    this.onUnmapped = listening(observers, "unmapped");
    this.onAccessed = listening(observers, "accessed");
    this.onPhase = listening(observers, "phase");
    this.onSettled = listening(observers, "settled");
    this.anyDomain = system.domains.some((d) => d.state.ok);
    this.traceDma = this.dmaOf("trace");
    this.settle();
  }

  /** Executes one workload event; the background churns first, as the rest of the kernel would. */
  apply(ev: WorkloadEvent): void {
    this.churn();
    if (this.anyDomain) this.execute(ev);
    this.settle();
  }

  /** Counts the event and churns the background, as apply does before executing. */
  private churn(): void {
    this.events++;
    const km = this.system.km;
    for (let i = 0; i < this.system.spec.machine.backgroundChurn; i++) km.background.step(km.backgroundRng);
  }

  /**
   * ReplaySink for the trace replayer: iommu_map / iommu_unmap straight into the domain. Each call is
   * one event, exactly as apply of an iommuMap / iommuUnmap event, without building the event.
   */
  replaySink(): ReplaySink {
    return {
      map: (iova, paddr, size) => {
        this.churn();
        if (this.anyDomain) this.coreMap(iova, paddr, size);
        this.settle();
        return this.lastCoreMapRet;
      },
      unmap: (iova, size) => {
        const counters = this.system.domain.ok ? this.system.domain.domain.counters : null;
        const before = counters?.bytesUnmapped ?? 0;
        this.churn();
        if (this.anyDomain) this.coreUnmap(iova, size);
        this.settle();
        return (counters?.bytesUnmapped ?? 0) - before;
      },
    };
  }

  /** The mappings still live: DMA-API buffers, then core mappings, each in the order they were made. */
  *liveMappings(): Generator<LiveMapping> {
    yield* this.live.values();
    yield* this.coreLive.values();
  }

  private settle(): void {
    for (const o of this.onSettled) o.settled(this.events);
  }

  /** The DMA layer of `device`'s domain, or null when that domain does not exist (its master never probed). */
  private dmaOf(device: string): IommuDma | null {
    const s = this.system.route(device).domain.state;
    return s.ok ? s.dma : null;
  }

  private execute(ev: WorkloadEvent): void {
    const buddy = this.system.km.buddy;
    switch (ev.type) {
      case "device":
        this.device(ev.device, ev.coherent);
        return;
      case "phase":
        for (const o of this.onPhase) o.phase(ev.phase);
        return;
      case "alloc": {
        const dma = this.dmaOf(ev.device);
        if (dma === null) return;
        const dev = this.device(ev.device);
        let attrs = 0;
        for (const a of ev.attrs) attrs |= ATTR_BITS[a] ?? 0;
        const buf = dma.allocAttrs(dev, ev.bytes, ev.gfp === "GFP_ATOMIC" ? GFP_ATOMIC : GFP_KERNEL, attrs);
        const st = this.stats(ev.device);
        st.maps++;
        if (buf === null) {
          st.mapErrors++;
          this.bufferFailures++;
          return;
        }
        const pieces: Piece[] = [];
        let iova = buf.dmaHandle;
        for (const b of buf.blocks) {
          const len = SZ_4K * 2 ** b.order;
          pieces.push({ iova, pa: b.pa, bytes: Math.min(len, buf.dmaHandle + ev.bytes - iova) });
          iova += len;
        }
        this.track(ev.handle, {
          dev,
          dma,
          device: dev.name,
          dmaAddr: buf.dmaHandle,
          bytes: ev.bytes,
          pieces,
          buffer: buf,
          blocks: [],
          dir: "DMA_BIDIRECTIONAL",
        });
        return;
      }
      case "mapSingle": {
        const dma = this.dmaOf(ev.device);
        if (dma === null) return;
        const dev = this.device(ev.device);
        const src = ev.paddrSource;
        const pa = buddy.allocPages(GFP_KERNEL, src.order, src.owner);
        const st = this.stats(ev.device);
        if (pa === null) {
          st.bufferFailures++;
          this.bufferFailures++;
          return;
        }
        const dir = ev.dir;
        const addr = dma.mapSingle(dev, pa + src.offset, ev.bytes, dir);
        st.maps++;
        if (addr === DMA_MAPPING_ERROR) {
          st.mapErrors++;
          buddy.freePages(pa, src.order);
          return;
        }
        const pieces = [{ iova: addr, pa: pa + src.offset, bytes: ev.bytes }];
        this.track(ev.handle, { dev, dma, device: dev.name, dmaAddr: addr, bytes: ev.bytes, pieces, blocks: [{ pa, order: src.order }], dir });
        return;
      }
      case "mapSg": {
        const dma = this.dmaOf(ev.device);
        if (dma === null) return;
        const dev = this.device(ev.device);
        const blocks: { pa: number; order: number }[] = [];
        const sg: { phys: number; length: number; offset: number }[] = [];
        for (const s of ev.segments) {
          const pa = buddy.allocPages(GFP_KERNEL, s.order, ev.owner);
          if (pa === null) {
            for (const b of blocks) buddy.freePages(b.pa, b.order);
            this.stats(ev.device).bufferFailures++;
            this.bufferFailures++;
            return;
          }
          blocks.push({ pa, order: s.order });
          sg.push({ phys: pa, length: s.bytes, offset: 0 });
        }
        const dir = ev.dir;
        const m = dma.mapSg(dev, sg, dir);
        const st = this.stats(ev.device);
        st.maps++;
        if (m === null) {
          st.mapErrors++;
          for (const b of blocks) buddy.freePages(b.pa, b.order);
          return;
        }
        // iommu_dma_map_sg lays segments out back to back, each from its own page-aligned IOVA slot.
        const pieces: Piece[] = [];
        let iova = m.iova;
        for (const s of sg) {
          pieces.push({ iova, pa: s.phys, bytes: s.length });
          iova += Math.ceil(s.length / SZ_4K) * SZ_4K;
        }
        this.track(ev.handle, { dev, dma, device: dev.name, dmaAddr: m.iova, bytes: iova - m.iova, pieces, sg: m, blocks, dir });
        return;
      }
      case "unmap":
      case "free": {
        const b = this.live.get(ev.handle);
        if (b === undefined) return;
        this.live.delete(ev.handle);
        this.unmapped(b);
        const dma = b.dma;
        if (b.buffer !== undefined) dma.freeAttrs(b.dev, b.buffer);
        else if (b.sg !== undefined) dma.unmapSg(b.dev, b.sg, b.dir);
        else dma.unmapSingle(b.dev, b.dmaAddr, b.bytes, b.dir);
        for (const blk of b.blocks) buddy.freePages(blk.pa, blk.order);
        return;
      }
      case "access": {
        const b = this.live.get(ev.handle);
        if (b === undefined) return;
        this.access(ev.device, b, ev.offset, ev.bytes, ev.write);
        return;
      }
      case "iommuMap":
        this.coreMap(ev.iova, ev.paddr, ev.size);
        return;
      case "iommuUnmap":
        this.coreUnmap(ev.iova, ev.size);
        return;
    }
  }

  private coreMap(iova: number, paddr: number, size: number): void {
    // A trace names no device: its maps go to the first domain.
    const dma = this.traceDma;
    if (dma === null) return;
    const r = dma.domain.map(iova, paddr, size, IOMMU_READ | IOMMU_WRITE, GFP_ATOMIC);
    this.lastCoreMapRet = r.ret;
    if (r.ret === 0) {
      if (this.traceDevice === null) this.traceDevice = this.device("trace").name;
      const b = new CoreMapping(this.traceDevice, iova, paddr, size);
      this.coreLive.set(b);
      this.mapped(b);
    }
  }

  private coreUnmap(iova: number, size: number): void {
    const dma = this.traceDma;
    if (dma === null) return;
    dma.domain.unmap(iova, size);
    this.forgetCore(iova, size);
  }

  /**
   * Drops the live core mappings an unmap covers. One unmap often releases several consecutive maps
   * (iommu_dma_alloc maps a buffer in 1M/64K/4K pieces and unmaps it whole), so walk them in IOVA order.
   */
  private forgetCore(iova: number, size: number): void {
    const end = iova + size;
    let at = iova;
    while (at < end) {
      const b = this.coreLive.get(at);
      if (b === undefined) break;
      this.coreLive.delete(b);
      this.unmapped(b);
      at += b.bytes;
    }
    if (at < end) {
      // An unmap that starts inside a mapping, or skips a hole: stop verifying whatever it overlaps.
      for (const b of this.coreLive.values()) {
        if (b.iova < end && iova < b.iova + b.bytes) {
          this.coreLive.delete(b);
          this.unmapped(b);
        }
      }
    }
  }

  private device(name: string, coherent = false): DmaDevice {
    let d = this.devices.get(name);
    if (d === undefined) {
      const route = this.system.route(name);
      d = platformDevice(name, { coherent, dmaMask: route.dmaMask, coherentDmaMask: route.dmaMask });
      this.devices.set(name, d);
      this.masters.set(name, new DmaMaster(name, route.m4u, this.system.km.phys));
    }
    return d;
  }

  private stats(device: string): { maps: number; mapErrors: number; bufferFailures: number } {
    let st = this.deviceStats.get(device);
    if (st === undefined) {
      st = { maps: 0, mapErrors: 0, bufferFailures: 0 };
      this.deviceStats.set(device, st);
    }
    return st;
  }

  private track(handle: number, b: LiveBuffer): void {
    this.live.set(handle, b);
    this.mapped(b);
  }

  private mapped(b: LiveMapping): void {
    for (const o of this.onMapped) o.mapped(b);
  }

  private unmapped(b: LiveMapping): void {
    for (const o of this.onUnmapped) o.unmapped(b);
  }

  /** A device access through the IOMMU (translate: TLB, faults), one word per 4 KiB page. */
  private access(deviceName: string, b: LiveBuffer, offset: number, bytes: number, write: boolean): void {
    const master = this.masters.get(deviceName) ?? this.masters.get(b.device);
    if (master === undefined) return;
    const start = b.dmaAddr + offset;
    const end = start + bytes;
    const intended = (at: number): number | null => {
      for (const p of b.pieces) if (at >= p.iova && at < p.iova + p.bytes) return p.pa + (at - p.iova);
      return null;
    };
    // One word per 4 KiB page is enough to see where each page's traffic lands (one translation per
    // page, as the master issues one per burst); moving every word would only cost time.
    for (let page = start - (start % SZ_4K); page < end; page += SZ_4K) {
      const at = Math.max(page, start - (start % 4));
      const report = write ? master.write(at, 4, 0x5a5a_5a5a) : master.read(at, 4);
      for (const o of this.onAccessed) o.accessed({ device: b.device, write, report, intended });
    }
  }
}
