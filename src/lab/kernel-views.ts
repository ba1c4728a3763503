// SPDX-License-Identifier: GPL-2.0-only
/**
 * The simulated end state as the kernel's own views would show it, collected when a run ends: the
 * slabinfo line of the strategy's slab cache, each zone as /proc/zoneinfo and /proc/buddyinfo count it,
 * allocinfo-style sites (which allocator call holds how much of the table memory), and the live
 * mappings as ptdump leaves. Plain data; report/kernel-views.ts prints it in the kernel's formats.
 */
import type { SlabinfoRow } from "../mm/slub.ts";
import type { ZoneName } from "../mm/page-source.ts";
import { decodePte, describePte, L2_ENTRIES } from "../pgtable/format.ts";
import { PGTABLE_OWNER } from "../strategies/base.ts";
import { GENALLOC_OWNER } from "../strategies/genalloc-l2.ts";
import type { System } from "./system.ts";

export const KERNEL_VIEW_NAMES = ["slabinfo", "buddyinfo", "zoneinfo", "allocinfo", "ptdump"] as const;
export type KernelViewName = (typeof KERNEL_VIEW_NAMES)[number];

/** One zone as zoneinfo and buddyinfo show it (pages); `name` as the kernel spells it. */
export interface ZoneViewData {
  readonly name: string;
  readonly freePages: number;
  readonly min: number;
  readonly low: number;
  readonly high: number;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  readonly protection: readonly number[];
  readonly freeByOrder: readonly number[];
  /** Lines the era's zoneinfo prints beyond 4.19's (era.mm.zoneinfoLines); null where it has none. */
  readonly boost: number | null;
  readonly promo: number | null;
  readonly cma: number | null;
}

/** An allocation site: the kernel function called, the file it is called from, what it holds now. */
export interface AllocSiteData {
  readonly bytes: number;
  readonly calls: number;
  readonly file: string;
  /** 0: the model does not pin a source line (its strategies are patches against different trees). */
  readonly line: number;
  readonly func: string;
}

export interface PtdumpLeafData {
  readonly iova: number;
  readonly pa: number;
  readonly bytes: number;
  readonly kind: string;
  readonly attrs: string;
}

export interface KernelViews {
  readonly slabinfo: readonly SlabinfoRow[];
  readonly zones: readonly ZoneViewData[];
  readonly allocinfo: readonly AllocSiteData[];
  readonly ptdump: readonly PtdumpLeafData[];
}

/** zone_names[] in mm/page_alloc.c: "DMA", "DMA32", "Normal". */
const KERNEL_ZONE_NAME: Readonly<Record<ZoneName, string>> = { DMA: "DMA", DMA32: "DMA32", NORMAL: "Normal" };

const V7S = "drivers/iommu/io-pgtable-arm-v7s.c";

/**
 * The L2 call of each strategy: the allocator function the v7s allocation path calls for one 1 KiB
 * table, and its file. allocinfo charges a slab object, a gen_pool granule or a page_frag fragment to
 * that call (object bytes), and the pages behind it to the allocator that took them from the buddy.
 */
const L2_CALL: Readonly<Record<string, { readonly func: string; readonly file: string }>> = {
  "legacy-gfp-dma": { func: "kmem_cache_zalloc", file: V7S },
  "slab-dma32": { func: "kmem_cache_zalloc", file: V7S },
  "mtk-ttbr-ext": { func: "kmem_cache_zalloc", file: V7S },
  "kzalloc-dma32": { func: "kzalloc", file: V7S },
  "genalloc-prealloc": { func: "gen_pool_alloc", file: V7S },
  "genalloc-grow": { func: "gen_pool_alloc", file: V7S },
  "page-frag": { func: "page_frag_alloc", file: V7S },
  "page-per-table": { func: "__get_free_page", file: V7S },
};

const PAGE = 4096;
const L2_BYTES = 1024;

/** Allocated buddy blocks held by each of `owners`: one walk over the zones, a block at a time. */
function blocksByOwner(sys: System, owners: ReadonlySet<string>): Map<string, number> {
  const buddy = sys.km.buddy;
  const out = new Map<string, number>();
  for (const z of sys.km.zones) {
    for (let pa = z.startPfn * PAGE; pa < z.endPfn * PAGE; ) {
      const b = sys.km.phys.isRam(pa) ? buddy.blockOf(pa) : null;
      if (b === null) {
        pa += PAGE;
        continue;
      }
      const owner = buddy.ownerOf(b.head);
      if (owner !== null && owners.has(owner)) out.set(owner, (out.get(owner) ?? 0) + 1);
      pa = b.head + PAGE * 2 ** b.order;
    }
  }
  return out;
}

function zones(sys: System): ZoneViewData[] {
  const buddy = sys.km.buddy;
  const lines = sys.era.mm.zoneinfoLines;
  return sys.km.zones.map((z) => {
    const st = buddy.zoneState(z.name);
    return {
      name: KERNEL_ZONE_NAME[z.name],
      freePages: st.freePages,
      min: st.min,
      low: st.low,
      high: st.high,
      spanned: z.endPfn - z.startPfn,
      present: z.presentPages,
      managed: st.managedPages,
      protection: st.lowmemReserve,
      freeByOrder: buddy.freeCounts(z.name),
      // Simplified: the model never boosts watermarks and has no CMA area, so those lines read 0;
      // promo is high + (high - low), as __setup_per_zone_wmarks sets WMARK_PROMO.
      boost: lines.boost ? 0 : null,
      promo: lines.promo ? st.high + (st.high - st.low) : null,
      cma: lines.cma ? 0 : null,
    };
  });
}

function allocSites(sys: System): AllocSiteData[] {
  const owners = sys.km.buddy.usageByOwner();
  const held = (owner: string): number => Object.values(owners.get(owner) ?? {}).reduce((a, b) => a + b, 0);
  const live = sys.mem.tables().filter((t) => t.live);
  const l1 = live.filter((t) => t.level === 1);
  const l2 = live.filter((t) => t.level === 2).length;
  const sites: AllocSiteData[] = [];
  const l1Bytes = held(`${PGTABLE_OWNER}:l1`);
  if (l1Bytes > 0 || l1.length > 0) sites.push({ bytes: l1Bytes, calls: l1.length, file: V7S, line: 0, func: "__get_free_pages" });
  const call = L2_CALL[sys.spec.variant.strategy];
  if (call !== undefined) {
    const bytes = call.func === "__get_free_page" ? held(`${PGTABLE_OWNER}:l2`) : l2 * L2_BYTES;
    sites.push({ bytes, calls: l2, file: call.file, line: 0, func: call.func });
  }
  // The pages behind the objects, charged to whoever took them from the buddy.
  const slab = sys.mem.slabinfoRow();
  if (slab !== null) {
    const bytes = held(`slab:${slab.name}`);
    if (bytes > 0) sites.push({ bytes, calls: slab.numSlabs, file: "mm/slub.c", line: 0, func: "allocate_slab" });
  }
  const fragOwner = `page_frag:${PGTABLE_OWNER}`;
  const pool = held(GENALLOC_OWNER);
  const frag = held(fragOwner);
  const blocks = pool > 0 || frag > 0 ? blocksByOwner(sys, new Set([GENALLOC_OWNER, fragOwner])) : new Map<string, number>();
  if (pool > 0) sites.push({ bytes: pool, calls: blocks.get(GENALLOC_OWNER) ?? 0, file: V7S, line: 0, func: "gen_pool_add" });
  if (frag > 0) sites.push({ bytes: frag, calls: blocks.get(fragOwner) ?? 0, file: "mm/page_frag_cache.c", line: 0, func: "__page_frag_cache_refill" });
  return sites;
}

/**
 * Leaves of the live tables, one per descriptor (a supersection's or large page's 16 copies count once),
 * with the CPU physical address the hardware walk reaches; a leaf the walk cannot reach is left out.
 */
function ptdumpLeaves(sys: System): PtdumpLeafData[] {
  const d = sys.domain;
  if (!d.ok) return [];
  const t = d.domain.table;
  const out: PtdumpLeafData[] = [];
  const leaf = (lvl: 1 | 2, pte: number, iova: number): number => {
    const dec = decodePte(lvl, pte, t.text);
    if (dec.kind === "invalid" || dec.kind === "table") return 1;
    const hw = sys.m4u.probe(iova);
    if (hw.ok) out.push({ iova, pa: hw.pa, bytes: dec.span, kind: dec.kind, attrs: describePte(lvl, pte, t.text).split(/\s+/).slice(2).join(" ") });
    return dec.kind === "supersection" || dec.kind === "large" ? 16 : 1;
  };
  const n = t.out.l1Entries;
  for (let i = 0; i < n; ) {
    const pte = t.readL1(i);
    const iova = i * 0x100000;
    if (pte === 0) {
      i++;
      continue;
    }
    if ((pte & 3) === 1) {
      if (t.readL2At(i, 0) !== null) for (let j = 0; j < L2_ENTRIES; ) j += leaf(2, t.readL2At(i, j) ?? 0, iova + j * 0x1000);
      i++;
      continue;
    }
    i += leaf(1, pte, iova);
  }
  return out;
}

export function collectKernelViews(sys: System): KernelViews {
  return { slabinfo: slabinfo(sys), zones: zones(sys), allocinfo: allocSites(sys), ptdump: ptdumpLeaves(sys) };
}

/** The strategy's slab cache line, when it has one. */
function slabinfo(sys: System): SlabinfoRow[] {
  const slab = sys.mem.slabinfoRow();
  return slab === null ? [] : [{ ...slab }];
}

/**
 * The views `names` needs (buddyinfo and zoneinfo share the zones), or all of them: a command that
 * shows none need not pay for a ptdump of every live leaf.
 */
export function collectSomeKernelViews(sys: System, names: readonly KernelViewName[] | undefined): Partial<KernelViews> {
  if (names === undefined) return collectKernelViews(sys);
  const want = new Set(names);
  const out: { -readonly [K in keyof KernelViews]?: KernelViews[K] } = {};
  if (want.has("slabinfo")) out.slabinfo = slabinfo(sys);
  if (want.has("buddyinfo") || want.has("zoneinfo")) out.zones = zones(sys);
  if (want.has("allocinfo")) out.allocinfo = allocSites(sys);
  if (want.has("ptdump")) out.ptdump = ptdumpLeaves(sys);
  return out;
}
