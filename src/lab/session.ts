// SPDX-License-Identifier: GPL-2.0-only
/**
 * A simulated MT8173-style system for one table-memory strategy: kernel memory (zones, buddy, background
 * load), the strategy behind an observing wrapper, the v7s engine, the M4U hardware, and the iommu-dma
 * layer, wired as the kernel wires them. `apply()` executes workload events; `result()` reports.
 *
 * Verification is built in: every page a map call reports mapped is probed through the hardware walker
 * and compared with the driver's iova_to_phys and with the physical address the workload intended.
 */
import type { Era } from "../core/era.ts";
import { SZ_4K, hex } from "../core/u32.ts";
import { DMA_MAPPING_ERROR, IommuDma, platformDevice, type DmaBuffer, type DmaDevice, type DmaDirection, type SgMapping } from "../dma/dma-api.ts";
import { IommuDomain } from "../dma/iommu-core.ts";
import type { TraceSink } from "../dma/trace.ts";
import { DmaMaster, findStrayDma } from "../iommu/dma-master.ts";
import { M4u, m4uConfigFor } from "../iommu/m4u.ts";
import { fourGbBusToCpu } from "../iommu/walker.ts";
import { applyBackgroundLoad, type BackgroundPreset } from "../mm/background.ts";
import { GFP_ATOMIC, GFP_KERNEL } from "../mm/gfp.ts";
import { bootKernelMemory, type KernelMemory } from "../mm/kernel.ts";
import type { Platform } from "../phys/platform.ts";
import { quirkBits } from "../pgtable/config.ts";
import { IOMMU_READ, IOMMU_WRITE } from "../pgtable/types.ts";
import type { StrategyInfo } from "../strategies/index.ts";
import type { WorkloadEvent } from "../workload/events.ts";
import { InstrumentedTableMemory } from "./instrumented-memory.ts";
import { MessageLog } from "./messages.ts";
import type { Sample, StrategyResult } from "./types.ts";

export interface SessionOptions {
  readonly platform: Platform;
  readonly era: Era;
  readonly strategy: StrategyInfo;
  /** Present CPUs (SLUB geometry, IOVA rcache); the platform's by default. */
  readonly cpus?: number;
  readonly seed: number;
  readonly background: BackgroundPreset;
  /** The engine's "Page table does not fit in PTE" check; on in every kernel since 4.19. */
  readonly fitCheck: boolean;
  readonly tlbEntries?: number;
  /** Receives the iommu:map/unmap tracepoints the run emits (`run --trace-out`). */
  readonly trace?: TraceSink | null;
  /** Background allocations and frees interleaved per workload event (churn of the rest of the kernel). */
  readonly backgroundChurn?: number;
  /** Most samples kept; older ones are thinned evenly. */
  readonly maxSamples?: number;
}

/** One piece of a live mapping: `bytes` at `iova` should reach `pa`. */
interface Piece {
  readonly iova: number;
  readonly pa: number;
  readonly bytes: number;
}

interface LiveBuffer {
  readonly device: DmaDevice;
  readonly kind: "alloc" | "single" | "sg" | "core";
  readonly dmaAddr: number;
  readonly bytes: number;
  readonly pieces: readonly Piece[];
  readonly buffer?: DmaBuffer;
  readonly sg?: SgMapping;
  /** Page blocks the runner took for a mapSingle/mapSg buffer, to give back on unmap. */
  readonly blocks: readonly { readonly pa: number; readonly order: number }[];
  readonly dir: DmaDirection;
}

const DIRECTION: Readonly<Record<string, DmaDirection>> = {
  DMA_BIDIRECTIONAL: "bidirectional",
  DMA_TO_DEVICE: "to-device",
  DMA_FROM_DEVICE: "from-device",
};

const ATTR_BITS: Readonly<Record<string, number>> = {
  DMA_ATTR_WRITE_COMBINE: 1 << 2,
  DMA_ATTR_NO_KERNEL_MAPPING: 1 << 4,
  DMA_ATTR_FORCE_CONTIGUOUS: 1 << 6,
  DMA_ATTR_ALLOC_SINGLE_PAGES: 1 << 7,
  DMA_ATTR_PRIVILEGED: 1 << 9,
};

export class Session {
  readonly opts: SessionOptions;
  readonly km: KernelMemory;
  readonly mem: InstrumentedTableMemory;
  readonly m4u: M4u;
  readonly domain: IommuDomain | null;
  readonly dma: IommuDma | null;
  readonly messages = new MessageLog();
  private readonly devices = new Map<string, DmaDevice>();
  private readonly masters = new Map<string, DmaMaster>();
  private readonly live = new Map<number, LiveBuffer>();
  /** Trace replay: live core mappings by IOVA. */
  private readonly coreLive = new Map<number, LiveBuffer>();
  private readonly samples: Sample[] = [];
  private sampleStride = 1;
  private readonly maxSamples: number;
  private events = 0;
  private lastHeld = -1;
  private sampledVersion = -1;
  private lastLive = -1;
  translationMismatches = 0;
  /** Mapped pages whose driver iova_to_phys said 0 although the walk was right (see verify). */
  iovaToPhysZero = 0;
  strayDmaWrites = 0;
  readonly strayDmaVictims: Record<string, number> = {};
  deviceFaults = 0;
  /** Workload buffers whose pages (or DMA API call) could not be had: the device driver's -ENOMEM. */
  bufferFailures = 0;
  private readonly firstMismatches: string[] = [];
  private readonly startedAt: number;
  private readonly clock: () => number;

  constructor(opts: SessionOptions, clock: () => number = () => 0) {
    this.opts = opts;
    this.clock = clock;
    this.startedAt = clock();
    this.maxSamples = opts.maxSamples ?? 2000;
    // The kernel's order: the domain (and its L1) is created while the masters are added at device
    // probe, before the rest of the system fills memory (4.19 mtk_iommu_add_device →
    // iommu_group_get_for_dev → mtk_iommu_domain_alloc; see src/mm/boot.ts), then the background load.
    const booted = bootKernelMemory({ platform: opts.platform, era: opts.era, background: "none", seed: opts.seed });
    const cpus = opts.cpus ?? opts.platform.cpus;
    const buddy = booted.buddy;
    this.km = booted;
    this.mem = new InstrumentedTableMemory(opts.strategy.create({ buddy, era: opts.era, cpus }), (pa) => buddy.zoneOf(pa));
    const ttbrExt = opts.strategy.needsTtbrExt;
    this.m4u = new M4u(
      this.km.phys,
      m4uConfigFor(opts.platform, { mtkTtbrExt: ttbrExt, ...(opts.tlbEntries === undefined ? {} : { tlbEntries: opts.tlbEntries }) }),
    );
    // The era's text numbers the quirk, or refuses it where it does not exist (bit 16 meant NO_DMA in 4.19).
    const extra = quirkBits(opts.era, ttbrExt ? ["ARM_MTK_TTBR_EXT"] : []);
    const created =
      !extra.ok
        ? { ok: false as const, reason: extra.refusal.message }
        : IommuDomain.create({
            era: opts.era,
            mem: this.mem,
            hw: this.m4u,
            enable4GB: opts.platform.iommu4gbMode,
            fitCheck: opts.fitCheck,
            trace: opts.trace ?? null,
            extraQuirks: extra.bits,
          });
    if (created.ok) {
      this.domain = created.domain;
      this.dma = new IommuDma({ domain: created.domain, pages: buddy, cpus });
    } else {
      this.domain = null;
      this.dma = null;
      // The kernel's own line (mtk_iommu_domain_finalise), then the model's account of why.
      this.messages.add("mtk-iommu: Failed to alloc io pgtable");
      this.messages.add(`model: alloc_io_pgtable_ops refused: ${created.reason}`);
    }
    this.km = { ...booted, background: applyBackgroundLoad(buddy, opts.background ?? "none", booted.backgroundRng) };
    this.collectMessages();
    this.sample();
  }

  get domainCreated(): boolean {
    return this.domain !== null;
  }

  /** Executes one workload event; kernel failures are counted, never thrown. */
  apply(ev: WorkloadEvent): void {
    this.events++;
    const churn = this.opts.backgroundChurn ?? 0;
    for (let i = 0; i < churn; i++) this.km.background.step(this.km.backgroundRng);
    if (this.dma !== null) this.execute(ev, this.dma);
    this.collectMessages();
    this.sample();
  }

  private execute(ev: WorkloadEvent, dma: IommuDma): void {
    switch (ev.type) {
      case "device":
        this.device(ev.device, ev.coherent);
        return;
      case "phase":
        // The occupancy histogram describes the steady state: teardown leaves every L2 table empty.
        if (ev.phase === "teardown" && this.occupancyAtTeardown === null) this.occupancyAtTeardown = this.occupancy();
        return;
      case "alloc": {
        const dev = this.device(ev.device);
        let attrs = 0;
        for (const a of ev.attrs) attrs |= ATTR_BITS[a] ?? 0;
        const buf = dma.allocAttrs(dev, ev.bytes, ev.gfp === "GFP_ATOMIC" ? GFP_ATOMIC : GFP_KERNEL, attrs);
        if (buf === null) {
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
        this.track(ev.handle, { device: dev, kind: "alloc", dmaAddr: buf.dmaHandle, bytes: ev.bytes, pieces, buffer: buf, blocks: [], dir: "bidirectional" });
        return;
      }
      case "mapSingle": {
        const dev = this.device(ev.device);
        const src = ev.paddrSource;
        const pa = this.km.buddy.allocPages(GFP_KERNEL, src.order, src.owner);
        if (pa === null) {
          this.bufferFailures++;
          return;
        }
        const dir = DIRECTION[ev.dir] ?? "bidirectional";
        const addr = dma.mapSingle(dev, pa + src.offset, ev.bytes, dir);
        if (addr === DMA_MAPPING_ERROR) {
          this.km.buddy.freePages(pa, src.order);
          return;
        }
        this.track(ev.handle, {
          device: dev,
          kind: "single",
          dmaAddr: addr,
          bytes: ev.bytes,
          pieces: [{ iova: addr, pa: pa + src.offset, bytes: ev.bytes }],
          blocks: [{ pa, order: src.order }],
          dir,
        });
        return;
      }
      case "mapSg": {
        const dev = this.device(ev.device);
        const blocks: { pa: number; order: number }[] = [];
        const sg: { phys: number; length: number; offset: number }[] = [];
        for (const s of ev.segments) {
          const pa = this.km.buddy.allocPages(GFP_KERNEL, s.order, ev.owner);
          if (pa === null) {
            for (const b of blocks) this.km.buddy.freePages(b.pa, b.order);
            this.bufferFailures++;
            return;
          }
          blocks.push({ pa, order: s.order });
          sg.push({ phys: pa, length: s.bytes, offset: 0 });
        }
        const dir = DIRECTION[ev.dir] ?? "bidirectional";
        const m = dma.mapSg(dev, sg, dir);
        if (m === null) {
          for (const b of blocks) this.km.buddy.freePages(b.pa, b.order);
          return;
        }
        // iommu_dma_map_sg lays segments out back to back, each from its own page-aligned IOVA slot.
        const pieces: Piece[] = [];
        let iova = m.iova;
        for (const s of sg) {
          pieces.push({ iova, pa: s.phys, bytes: s.length });
          iova += Math.ceil(s.length / SZ_4K) * SZ_4K;
        }
        this.track(ev.handle, { device: dev, kind: "sg", dmaAddr: m.iova, bytes: iova - m.iova, pieces, sg: m, blocks, dir });
        return;
      }
      case "unmap":
      case "free": {
        const b = this.live.get(ev.handle);
        if (b === undefined) return;
        this.live.delete(ev.handle);
        if (b.buffer !== undefined) dma.freeAttrs(b.device, b.buffer);
        else if (b.sg !== undefined) dma.unmapSg(b.device, b.sg, b.dir);
        else dma.unmapSingle(b.device, b.dmaAddr, b.bytes, b.dir);
        for (const blk of b.blocks) this.km.buddy.freePages(blk.pa, blk.order);
        return;
      }
      case "access": {
        const b = this.live.get(ev.handle);
        if (b === undefined) return;
        this.access(ev.device, b, ev.offset, ev.bytes, ev.write);
        return;
      }
      case "iommuMap": {
        const domain = dma.domain;
        const r = domain.map(ev.iova, ev.paddr, ev.size, IOMMU_READ | IOMMU_WRITE, GFP_ATOMIC);
        this.lastCoreMapRet = r.ret;
        if (r.ret === 0) {
          const b: LiveBuffer = {
            device: this.device("trace"),
            kind: "core",
            dmaAddr: ev.iova,
            bytes: ev.size,
            pieces: [{ iova: ev.iova, pa: ev.paddr, bytes: ev.size }],
            blocks: [],
            dir: "bidirectional",
          };
          this.coreLive.set(ev.iova, b);
          this.verify(b);
        }
        return;
      }
      case "iommuUnmap": {
        dma.domain.unmap(ev.iova, ev.size);
        this.forgetCore(ev.iova, ev.size);
        return;
      }
    }
  }

  /**
   * Drops the live core mappings an unmap covers. One unmap often releases several consecutive maps
   * (iommu_dma_alloc maps a buffer in 1M/64K/4K pieces and unmaps it whole), so walk them in IOVA order.
   */
  private forgetCore(iova: number, size: number): void {
    const end = iova + size;
    let at = iova;
    for (let b = this.coreLive.get(at); b !== undefined && at < end; b = this.coreLive.get(at)) {
      this.coreLive.delete(at);
      at += b.bytes;
    }
    if (at < end) {
      // An unmap that starts inside a mapping, or skips a hole: stop verifying whatever it overlaps.
      for (const [start, b] of this.coreLive) if (start < end && iova < start + b.bytes) this.coreLive.delete(start);
    }
  }

  /** ReplaySink for the trace replayer: iommu_map / iommu_unmap straight into the domain. */
  replaySink(): { map(iova: number, paddr: number, size: number): number; unmap(iova: number, size: number): number } {
    return {
      map: (iova, paddr, size) => {
        this.apply({ type: "iommuMap", iova, paddr, size, line: 0 });
        return this.lastCoreMapRet;
      },
      unmap: (iova, size) => {
        const before = this.domain?.counters.bytesUnmapped ?? 0;
        this.apply({ type: "iommuUnmap", iova, size, unmappedSize: size, line: 0 });
        return (this.domain?.counters.bytesUnmapped ?? 0) - before;
      },
    };
  }

  /** The return of the last iommuMap event (0 or a negative errno), for the replay sink. */
  private lastCoreMapRet = 0;

  private device(name: string, coherent = false): DmaDevice {
    let d = this.devices.get(name);
    if (d === undefined) {
      d = platformDevice(name, { coherent });
      this.devices.set(name, d);
      this.masters.set(name, new DmaMaster(name, this.m4u, this.km.phys));
    }
    return d;
  }

  private track(handle: number, b: LiveBuffer): void {
    this.live.set(handle, b);
    this.verify(b);
  }

  /**
   * Every leaf of a fresh mapping (every 4 KiB page where the walk faults): the hardware walk (probe: no
   * side effects) must equal the driver's iova_to_phys and the intended PA. A mismatch counts once per
   * leaf or faulting page.
   */
  private verify(b: LiveBuffer): void {
    const domain = this.domain;
    if (domain === null) return;
    for (const p of b.pieces) {
      let page = p.iova - (p.iova % SZ_4K);
      while (page < p.iova + p.bytes) {
        const iova = Math.max(page, p.iova);
        const want = p.pa + (iova - p.iova);
        const hw = this.m4u.probe(iova);
        const sw = this.driverCpuPa(domain.iovaToPhys(iova));
        const hwPa = hw.ok ? hw.pa : null;
        // One probe per leaf: inside a leaf both the walk and iova_to_phys are base + offset, so one
        // correct address proves the whole entry (a 1 MiB section is one probe, not 256).
        page = hw.ok ? iova - (iova % hw.pageSize) + hw.pageSize : page + SZ_4K;
        if (hwPa === want && sw === 0 && want !== 0) {
          // iova_to_phys returns 0 both for "no mapping" and for a page whose 32-bit output address is
          // 0 (v4.19 4GB mode: CPU PA 0x1_0000_0000): a kernel quirk, not a wrong walk.
          this.iovaToPhysZero++;
          continue;
        }
        if (hwPa !== want || sw !== want) {
          this.translationMismatches++;
          if (this.firstMismatches.length < 5) {
            this.firstMismatches.push(
              `iova ${hex(iova)} (${b.device.name}): intended ${hex(want)}, iova_to_phys ${hex(sw)}, hardware walk ${hw.ok ? hex(hw.pa) : `fault (${hw.fault.type} at L${hw.fault.level})`}`,
            );
          }
        }
      }
    }
  }

  /**
   * The driver's iova_to_phys as a CPU physical address. In 4GB mode the 4.19 driver returns the M4U's
   * bus address (pa | BIT(32)); later drivers clear bit 32 themselves. Either way the CPU address is
   * what the workload intended.
   */
  private driverCpuPa(pa: number): number {
    if (pa === 0 || !this.opts.platform.iommu4gbMode) return pa;
    return fourGbBusToCpu(pa) ?? pa;
  }

  /** A device access through the IOMMU (translate: TLB, faults); writes that land elsewhere are stray DMA. */
  private access(deviceName: string, b: LiveBuffer, offset: number, bytes: number, write: boolean): void {
    const master = this.masters.get(deviceName) ?? this.masters.get(b.device.name);
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
      this.deviceFaults += report.faults.length;
      if (!write) continue;
      for (const s of findStrayDma(report, intended, (pa) => this.km.buddy.ownerOf(pa))) {
        this.strayDmaWrites++;
        const victim = s.owner ?? (this.km.phys.isRam(s.actualPa) ? "free memory" : "not RAM");
        this.strayDmaVictims[victim] = (this.strayDmaVictims[victim] ?? 0) + 1;
      }
    }
  }

  private occupancyAtTeardown: number[] | null = null;

  /** Live L2 tables by valid-entry count: 0, 1-31, 32-63, …, 224-256 (9 buckets, as lab/types.ts says). */
  private occupancy(): number[] {
    const buckets = new Array<number>(9).fill(0);
    this.domain?.table.forEachL2Table((_l1, _pa, valid) => {
      const b = valid === 0 ? 0 : Math.min(8, Math.floor(valid / 32) + 1);
      buckets[b] = (buckets[b] ?? 0) + 1;
    });
    return buckets;
  }

  private collectMessages(): void {
    if (this.domain !== null) for (const m of this.domain.drainMessages()) this.messages.add(m.text);
    for (const m of this.mem.drainMessages()) this.messages.add(m);
  }

  private sample(): void {
    if (this.mem.version === this.sampledVersion) return;
    this.sampledVersion = this.mem.version;
    const u = this.mem.usage();
    const liveL2 = this.domain === null ? 0 : this.domain.table.l2TablesLive();
    if (u.heldBytes === this.lastHeld && liveL2 === this.lastLive) return;
    this.lastHeld = u.heldBytes;
    this.lastLive = liveL2;
    if (this.events % this.sampleStride !== 0 && this.events !== 0) return;
    this.samples.push({ event: this.events, heldBytes: u.heldBytes, inUseBytes: u.inUseBytes, liveL2Tables: liveL2 });
    if (this.samples.length > this.maxSamples) {
      // Keep every other sample and double the stride: the series stays evenly spaced and bounded.
      let w = 0;
      for (let r = 0; r < this.samples.length; r += 2) this.samples[w++] = this.samples[r] as Sample;
      this.samples.length = w;
      this.sampleStride *= 2;
    }
  }

  /** Re-probes every live mapping (a final sweep), then reports. */
  result(): StrategyResult {
    for (const b of this.live.values()) this.verify(b);
    for (const b of this.coreLive.values()) this.verify(b);
    for (const m of this.firstMismatches) this.messages.add(`translation mismatch: ${m}`);
    for (const m of this.mem.firstDirty) this.messages.add(`model: ${m} (stale PTEs of a freed table; the allocator did not zero it)`);
    if (this.bufferFailures > 0) {
      this.messages.add(`workload: ${this.bufferFailures} buffers got no memory (page allocation or dma_alloc_attrs returned NULL); their events were skipped`);
    }
    if (this.iovaToPhysZero > 0) {
      this.messages.add(
        `iova_to_phys returned 0 for ${this.iovaToPhysZero} correctly mapped pages whose 32-bit output address is 0 (the driver cannot tell them from unmapped ones)`,
      );
    }
    const u = this.mem.usage();
    this.mem.notePeaks();
    const counters = this.domain?.counters;
    const occupancy = this.occupancyAtTeardown ?? this.occupancy();
    const last = this.samples[this.samples.length - 1];
    const finalLive = this.domain === null ? 0 : this.domain.table.l2TablesLive();
    const samples =
      last !== undefined && last.event === this.events
        ? this.samples
        : [...this.samples, { event: this.events, heldBytes: u.heldBytes, inUseBytes: u.inUseBytes, liveL2Tables: finalLive }];
    const info = this.opts.strategy;
    return {
      strategy: info.name,
      description: info.description,
      capabilities: { ...this.mem.capabilities, tablesAbove4GiBAddressable: this.opts.strategy.needsTtbrExt },
      domainCreated: this.domainCreated,
      mapCalls: counters?.mapCalls ?? 0,
      mapFailures: counters?.mapFailures ?? 0,
      unmapCalls: counters?.unmapCalls ?? 0,
      // With the fit check on and no TTBR extension, every table placed at or above 4 GiB was refused by
      // the engine (v4.19 refuses silently, later kernels log "Page table does not fit in PTE").
      allocFailures: this.mem.allocFailures + (this.opts.fitCheck && !this.opts.strategy.needsTtbrExt ? this.mem.tablesAbove4GiB : 0),
      l2Tables: finalLive,
      l2TablesAllocated: this.mem.l2Allocated,
      l2TablesFreed: this.mem.l2Freed,
      tablesAbove4GiB: this.mem.tablesAbove4GiB,
      peakHeldBytes: this.mem.peakHeldBytes,
      finalHeldBytes: u.heldBytes,
      peakInUseBytes: this.mem.peakInUseBytes,
      finalInUseBytes: u.inUseBytes,
      peakDma32Bytes: this.mem.peakLowBytes,
      faults: Object.values(this.m4u.counters().faults).reduce((a, b) => a + b, 0),
      translationMismatches: this.translationMismatches,
      strayDmaWrites: this.strayDmaWrites,
      dirtyTables: this.mem.dirtyTables,
      strayDmaVictims: { ...this.strayDmaVictims },
      messages: this.messages.list(),
      // v7s allocates with __get_free_pages and kmem_cache, never iommu-pages: SecPageTables and
      // nr_iommu_pages show none of its memory, whatever the strategy; only slabinfo does.
      kernelCounters: { slabinfo: this.mem.slabinfoRow(), secPageTablesBytes: 0, nrIommuPages: 0 },
      samples,
      tables: this.mem.tables().map((t) => ({ ...t })),
      l2Occupancy: occupancy,
      runTimeMs: this.clock() - this.startedAt,
    };
  }
}
