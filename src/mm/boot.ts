// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel's boot order for memory, as steps a system builder calls one after another and reports:
 *
 * 1. `memblock`: early reservations, made top-down before the buddy exists (memblock.bottom_up is false,
 *    nojick/test419 968c1392:mm/memblock.c). Modelled:
 *    - the struct page memmap: sparse_init → sparse_init_nid → sparse_buffer_init allocates
 *      map_count * section_map_size() with memblock_virt_alloc_try_nid_raw (968c1392:mm/sparse.c), where
 *      section_map_size() = ALIGN(sizeof(struct page) * PAGES_PER_SECTION, PMD_SIZE) under
 *      SPARSEMEM_VMEMMAP and arm64's SECTION_SIZE_BITS is 30 (arch/arm64/include/asm/sparsemem.h):
 *      64 bytes per page of every present 1 GiB section, so 64 MiB at the top of a 4 GiB elm;
 *    - the swiotlb bounce buffer: arm64 mem_init calls swiotlb_init(1) when max_pfn lies above
 *      arm64_dma_phys_limit (968c1392:arch/arm64/mm/init.c mem_init; the same test in
 *      Rtoax/linux-5.10.13 d6144f7f8ff1 and lxdklp/linux-6.6.y 5fda8f9c), and swiotlb_init takes
 *      IO_TLB_DEFAULT_SIZE (64 MiB) with memblock_virt_alloc_low_nopanic, i.e. top-down below
 *      ARCH_LOW_ADDRESS_LIMIT = arm64_dma_phys_limit - 1 (968c1392:kernel/dma/swiotlb.c swiotlb_init,
 *      arch/arm64/include/asm/processor.h). arm64_dma_phys_limit is the end of the lowest configured
 *      zone (ZONE_DMA32 in 4.19, ZONE_DMA in 5.10 and 6.6), so on a 4.19 elm the buffer is the top
 *      64 MiB of ZONE_DMA32.
 *    Simplification: the other early reservations are not modelled (kernel image, devicetree blob,
 *    initrd, early page tables, percpu areas, log buffer, CMA, swiotlb's overflow buffer and slot
 *    arrays, the pageblock usemap); together they are a few MiB, most of them far from the top of RAM.
 * 2. `buddy`: memblock_free_all hands every free memblock range to the buddy lowest address first, in
 *    the era's free-list order (Era.mm.bootFreeToTail); reserved pages are not managed.
 * 3. `device-probe`: the caller's hook runs here; each IOMMU domain it creates allocates its L1 now (4.19
 *    mtk_iommu_add_device → iommu_group_get_for_dev → mtk_iommu_domain_alloc → alloc_io_pgtable_ops).
 * 4. `background`: the rest of the kernel and user space (background.ts).
 * 5. `workload`: the caller's run starts.
 * A scenario may run `probeDevices` after `background` (a device bound from a module); each step records where
 * it fell in `timeIndex`.
 */
import { era as eraByName, type Era } from "../core/era.ts";
import { Rng } from "../core/rng.ts";
import { PhysMemory } from "../phys/memory.ts";
import { platform as platformByName, type Platform } from "../phys/platform.ts";
import { alignUp, PAGE_SIZE } from "../core/bits.ts";
import { zonesFor, type Zone, type ZoneName } from "../phys/zones.ts";
import { applyBackgroundLoad, BackgroundLoad, type BackgroundPreset } from "./background.ts";
import { BuddyAllocator } from "./buddy.ts";
import type { KernelMemory } from "./kernel.ts";

export type BootStepName = "memblock" | "buddy" | "device-probe" | "background" | "workload";

export interface BootAllocation {
  /** What it is: "memmap", "swiotlb", an owner tag such as "io-pgtable-arm-v7s:l1", "background". */
  readonly what: string;
  /** Lowest physical address, or null for an aggregate (the background's pages of one zone). */
  readonly where: number | null;
  readonly bytes: number;
  readonly zone: ZoneName | null;
  /** Allocated and freed again within the step (an L1 that alloc_io_pgtable_ops refused). */
  readonly freed: boolean;
  /** The zone gfp_zone() chose for the request, where its zonelist walk began; null for memblock and aggregates. */
  readonly requestedZone: ZoneName | null;
}

/** One zone as the buddy saw it when a step began (pages, as /proc/zoneinfo counts them). */
export interface BootZoneState {
  readonly zone: ZoneName;
  readonly freePages: number;
  readonly low: number;
  readonly high: number;
}

export interface BootStep {
  readonly step: BootStepName;
  /** Position in this boot's sequence (0 = memblock). */
  readonly timeIndex: number;
  readonly allocated: readonly BootAllocation[];
  /** Kernel lines the step printed (e.g. swiotlb's "Cannot allocate buffer"). */
  readonly messages: readonly string[];
  /** Free pages and watermarks of every zone when the step began; empty before the buddy exists. */
  readonly zonesAtStart: readonly BootZoneState[];
}

/** A memblock.reserved region made at boot: [start, end), page aligned. */
export interface MemblockRegion {
  readonly what: string;
  readonly start: number;
  readonly end: number;
}

/** sizeof(struct page) on arm64 without debug options (flags, 5 words of union, _mapcount/_refcount, memcg). */
export const STRUCT_PAGE_BYTES = 64;
/** arm64 SECTION_SIZE_BITS in 4.19 (27 from v5.12 for 4 KiB pages: the memmap total is the same). */
export const SECTION_BYTES = 2 ** 30;
const PMD_SIZE = 2 * 1024 * 1024;
/** IO_TLB_DEFAULT_SIZE. */
export const SWIOTLB_BYTES = 64 * 1024 * 1024;

function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

/**
 * memblock_find_in_range_node top-down: the highest `size` bytes, aligned to `align`, inside RAM below
 * `maxAddr` (exclusive) that overlap no reservation. Null when nothing fits.
 */
export function memblockAllocTopDown(
  ram: readonly { readonly start: number; readonly end: number }[],
  reserved: readonly MemblockRegion[],
  size: number,
  align: number,
  maxAddr: number,
): number | null {
  // Free ranges = RAM minus reservations, highest first.
  const free: { start: number; end: number }[] = [];
  for (const bank of ram) {
    let pieces = [{ start: bank.start, end: Math.min(bank.end, maxAddr) }];
    for (const r of reserved) {
      pieces = pieces.flatMap((p) => [
        { start: p.start, end: Math.min(p.end, r.start) },
        { start: Math.max(p.start, r.end), end: p.end },
      ]);
    }
    free.push(...pieces.filter((p) => p.end > p.start));
  }
  free.sort((a, b) => b.end - a.end);
  for (const f of free) {
    const at = alignDown(f.end - size, align);
    if (at >= f.start) return at;
  }
  return null;
}

/** Pages of RAM in every present memory section: the span sparse_init gives a memmap. */
function presentSectionBytes(platform: Platform): number {
  const sections = new Set<number>();
  for (const b of platform.ram) {
    for (let s = Math.floor(b.start / SECTION_BYTES); s * SECTION_BYTES < b.end; s++) sections.add(s);
  }
  return sections.size * SECTION_BYTES;
}

/** The memmap size: map_count * section_map_size(). */
export function memmapBytes(platform: Platform): number {
  const perSection = alignUp((SECTION_BYTES / PAGE_SIZE) * STRUCT_PAGE_BYTES, PMD_SIZE);
  return (presentSectionBytes(platform) / SECTION_BYTES) * perSection;
}

/** arm64_dma_phys_limit: the end of the lowest configured zone (of RAM, when that zone is empty). */
export function arm64DmaPhysLimit(zones: readonly Zone[]): number {
  const z = zones[0] as Zone;
  return z.endPfn * PAGE_SIZE;
}

function zoneAt(zones: readonly Zone[], pa: number): ZoneName | null {
  const pfn = Math.floor(pa / PAGE_SIZE);
  for (const z of zones) if (pfn >= z.startPfn && pfn < z.endPfn) return z.name;
  return null;
}

/**
 * The memblock step: where the memmap and the swiotlb buffer land on `platform` with `zones`. Pure: the
 * same inputs give the same regions.
 */
export function memblockReservations(platform: Platform, zones: readonly Zone[]): { regions: MemblockRegion[]; messages: string[] } {
  const regions: MemblockRegion[] = [];
  const messages: string[] = [];
  // Simplification: 32-bit arm boards (struct page of 32 bytes, other section sizes, no arm64 swiotlb
  // rule) get no reservations.
  if ((platform.config?.arch ?? "arm64") !== "arm64") return { regions, messages };
  const top = Math.max(...platform.ram.map((b) => b.end));
  const memmap = memmapBytes(platform);
  // BOOTMEM_ALLOC_ACCESSIBLE: anywhere; PAGE_SIZE alignment (sparse_buffer_init).
  const mm = memblockAllocTopDown(platform.ram, regions, memmap, PAGE_SIZE, top);
  if (mm === null) messages.push(`sparse_init: cannot allocate ${memmap} bytes of memmap`);
  else regions.push({ what: "memmap", start: mm, end: mm + memmap });
  const limit = arm64DmaPhysLimit(zones);
  if (top > limit) {
    const sw = memblockAllocTopDown(platform.ram, regions, SWIOTLB_BYTES, PAGE_SIZE, limit);
    // swiotlb_init's own words when memblock_virt_alloc_low_nopanic fails.
    if (sw === null) messages.push("software IO TLB: Cannot allocate buffer");
    else {
      regions.push({ what: "swiotlb", start: sw, end: sw + SWIOTLB_BYTES });
      // swiotlb_print_info: "mapped [mem %#010llx-%#010llx] (%luMB)" (968c1392:kernel/dma/swiotlb.c).
      const x = (v: number): string => "0x" + v.toString(16).padStart(8, "0");
      messages.push(`software IO TLB: mapped [mem ${x(sw)}-${x(sw + SWIOTLB_BYTES)}] (${SWIOTLB_BYTES >> 20}MB)`);
    }
  }
  return { regions, messages };
}

export interface BootOptions {
  readonly platform: Platform | string;
  readonly era: Era | string;
  /** Overrides min_free_kbytes. */
  readonly minFreeKbytes?: number;
  /** Seed for the background load (default 1). */
  readonly seed?: number;
}

/** The buddy allocator's allocation observer, as the probe step uses it. */
type AllocRecord = { pa: number; order: number; owner: string; requestedZone: ZoneName };

/**
 * One boot in the kernel's order. Call `memblock`, `buddy`, then `probe`/`background` in the scenario's
 * order, then `workload` (reserveMemblock, initBuddy, probeDevices, loadBackground, startWorkload); each returns its step and appends it to `steps`. Calling a step out of order
 * (the buddy before memblock, a second memblock) is a RangeError.
 */
export class KernelBoot {
  readonly platform: Platform;
  readonly era: Era;
  readonly zones: readonly Zone[];
  readonly phys: PhysMemory;
  readonly steps: BootStep[] = [];
  private readonly opts: BootOptions;
  private regions: MemblockRegion[] | null = null;
  private buddyRef: BuddyAllocator | null = null;
  private backgroundRef: BackgroundLoad | null = null;
  private readonly backgroundRng: Rng;

  constructor(opts: BootOptions) {
    this.opts = opts;
    this.platform = typeof opts.platform === "string" ? platformByName(opts.platform) : opts.platform;
    this.era = typeof opts.era === "string" ? eraByName(opts.era) : opts.era;
    this.zones = zonesFor(this.platform, this.era);
    this.phys = new PhysMemory(this.platform);
    this.backgroundRng = new Rng(opts.seed ?? 1).fork(0x6b6d);
  }

  get buddy(): BuddyAllocator {
    if (this.buddyRef === null) throw new RangeError("boot: the buddy allocator does not exist before the buddy step");
    return this.buddyRef;
  }

  get background(): BackgroundLoad {
    if (this.backgroundRef === null) throw new RangeError("boot: no background step has run");
    return this.backgroundRef;
  }

  /** memblock reservations (memmap, swiotlb). */
  reserveMemblock(): BootStep {
    this.expect(this.steps.length === 0, "memblock", "it must be the first step");
    const { regions, messages } = memblockReservations(this.platform, this.zones);
    this.regions = regions;
    return this.push(
      "memblock",
      [],
      regions.map((r) => ({ what: r.what, where: r.start, bytes: r.end - r.start, zone: zoneAt(this.zones, r.start), freed: false, requestedZone: null })),
      messages,
    );
  }

  /** memblock_free_all: the buddy with the era's free-list order, without the reserved pages. */
  initBuddy(): BootStep {
    this.expect(this.regions !== null && this.buddyRef === null, "buddy", "it must follow memblock, once");
    this.buddyRef = new BuddyAllocator(this.phys, this.zones, this.era, {
      reserved: this.regions ?? [],
      ...(this.opts.minFreeKbytes === undefined ? {} : { minFreeKbytes: this.opts.minFreeKbytes }),
    });
    return this.push("buddy", [], [], []);
  }

  /**
   * Device probe: runs `hook` with the buddy and records every page allocation it made, in order, each
   * marked `freed` unless it is still live when the hook returns (an L1 that was refused and freed
   * again). Returns the hook's result with the step.
   */
  probeDevices<T>(hook: (buddy: BuddyAllocator) => T, messages: (result: T) => readonly string[] = () => []): { step: BootStep; result: T } {
    const buddy = this.buddy;
    const atStart = this.zoneSnapshot();
    const seen: AllocRecord[] = [];
    const prev = buddy.onAlloc;
    buddy.onAlloc = (pa, order, owner, requestedZone) => {
      seen.push({ pa, order, owner, requestedZone });
      prev?.(pa, order, owner, requestedZone);
    };
    let result: T;
    try {
      result = hook(buddy);
    } finally {
      buddy.onAlloc = prev;
    }
    // Only the last allocation at an address can still be live.
    const last = new Map(seen.map((a, i) => [a.pa, i]));
    const allocated = seen.map((a, i) => ({
      what: a.owner,
      where: a.pa,
      bytes: PAGE_SIZE << a.order,
      zone: buddy.zoneOf(a.pa),
      freed: !(last.get(a.pa) === i && buddy.ownerOf(a.pa) === a.owner && buddy.blockOf(a.pa)?.head === a.pa),
      requestedZone: a.requestedZone,
    }));
    return { step: this.push("device-probe", atStart, allocated, messages(result)), result };
  }

  /** The background load's fill; its pages are listed per zone. */
  loadBackground(preset: BackgroundPreset): BootStep {
    this.expect(this.backgroundRef === null, "background", "it runs once");
    const buddy = this.buddy;
    const atStart = this.zoneSnapshot();
    this.backgroundRef = applyBackgroundLoad(buddy, preset, this.backgroundRng);
    const allocated: BootAllocation[] = [];
    for (const [owner, byZone] of buddy.usageByOwner()) {
      if (!owner.startsWith("background:")) continue;
      for (const [zone, bytes] of Object.entries(byZone) as [ZoneName, number][]) {
        if (bytes > 0) allocated.push({ what: owner, where: null, bytes, zone, freed: false, requestedZone: null });
      }
    }
    return this.push("background", atStart, allocated, []);
  }

  /** The workload starts: the last step. */
  startWorkload(): BootStep {
    this.expect(this.buddyRef !== null, "workload", "it needs the buddy");
    this.expect(!this.steps.some((s) => s.step === "workload"), "workload", "it runs once");
    return this.push("workload", this.zoneSnapshot(), [], []);
  }

  /**
   * The booted memory in the shape bootKernelMemory returns. Before the background step its background
   * is an empty "none" load (so a probe that runs first sees the kernel as booted so far).
   */
  kernelMemory(): KernelMemory {
    const buddy = this.buddy;
    return {
      platform: this.platform,
      era: this.era,
      phys: this.phys,
      zones: this.zones,
      buddy,
      background: this.backgroundRef ?? new BackgroundLoad(buddy, "none", this.backgroundRng),
      backgroundRng: this.backgroundRng,
    };
  }

  private expect(ok: boolean, step: string, why: string): void {
    if (!ok) throw new RangeError(`boot: step ${step} out of order (${why}; done: ${this.steps.map((s) => s.step).join(", ") || "none"})`);
  }

  private zoneSnapshot(): BootZoneState[] {
    return this.buddy.zoneStates().map((z) => ({ zone: z.name, freePages: z.freePages, low: z.low, high: z.high }));
  }

  private push(step: BootStepName, zonesAtStart: readonly BootZoneState[], allocated: readonly BootAllocation[], messages: readonly string[]): BootStep {
    const s: BootStep = { step, timeIndex: this.steps.length, allocated, messages, zonesAtStart };
    this.steps.push(s);
    return s;
  }
}

export interface BootKernelOptions extends BootOptions {
  readonly background?: BackgroundPreset;
  /** Device probe; by default it runs before the background load, as at boot. */
  readonly probe?: (buddy: BuddyAllocator) => void;
  /** Run the probe after the background load (a driver bound late, e.g. from a module). */
  readonly probeAfterBackground?: boolean;
}

/** All five steps in order, for callers that need no control between them. */
export function bootKernel(opts: BootKernelOptions): { readonly memory: KernelMemory; readonly steps: readonly BootStep[] } {
  const boot = new KernelBoot(opts);
  boot.reserveMemblock();
  boot.initBuddy();
  const probe = opts.probe ?? ((): void => {});
  if (opts.probeAfterBackground !== true) boot.probeDevices(probe);
  boot.loadBackground(opts.background ?? "none");
  if (opts.probeAfterBackground === true) boot.probeDevices(probe);
  boot.startWorkload();
  return { memory: boot.kernelMemory(), steps: boot.steps };
}
