// SPDX-License-Identifier: GPL-2.0-only
/**
 * The v7s io-pgtable engine: map_pages / unmap_pages / iova_to_phys / free with the kernel's semantics for
 * each text of io-pgtable-arm-v7s.c (era.pgtable: v4.19, v6.6, latest), reading the table's capability
 * record (text.ts) for every difference between them. Tables live in PhysMemory; the engine reads and writes them through typed-array views, and keeps one
 * view per live L2 table, indexed by L1 slot, so the hot path allocates nothing.
 *
 * With cfg.fitCheck === false a table that does not fit the descriptor is installed with its pointer
 * truncated: the hardware walks the truncated pointer, while the CPU side keeps using the table it
 * allocated (the kernel would dereference the truncated pointer too; the model keeps the allocator's books
 * straight and leaves the consequences to the walker).
 */
import { EEXIST as E_EEXIST, EINVAL as E_EINVAL, ENOMEM as E_ENOMEM, ERANGE as E_ERANGE } from "../core/errors.ts";
import { SZ_1M as U_SZ_1M, SZ_4G as U_SZ_4G, SZ_4K as U_SZ_4K, SZ_64K as U_SZ_64K, lower32 } from "../core/u32.ts";
import { GFP_ATOMIC, type Gfp } from "../mm/gfp.ts";
import type { PhysMemory } from "../phys/memory.ts";
import { NMRR, PGSIZE_BITMAP_V7S, PRRR, decodeV7s, ttbrFor } from "./config.ts";
import * as F from "./format.ts";
import { mtkHighBits, paddrToIopte, protToPte, pteToCont, toMtkIopte, type Level } from "./format.ts";
import { splitBlkUnmap, splitCont, type SplitHost } from "./split.ts";
import { V7S_TEXTS, type V7sText } from "./text.ts";
import type { AllocResult, EngineEnv, FlushOps, IotlbGather, L1Lookup, MapResult, V7sAllocated, V7sConfig, V7sPageTable } from "./types.ts";

// Module-local copies of imported constants for the hot paths: V8 folds a module's own `const` bindings
// into optimised code but reads an imported binding through its module cell on every use (plain node on
// compiled JS alike; not a loader effect).
const EEXIST = E_EEXIST;
const EINVAL = E_EINVAL;
const ENOMEM = E_ENOMEM;
const ERANGE = E_ERANGE;
const SZ_4K = U_SZ_4K;
const SZ_64K = U_SZ_64K;
const SZ_1M = U_SZ_1M;
const SZ_4G = U_SZ_4G;
const L2_MASK = F.L2_MASK;
const L1_CONT_MASK = F.L1_CONT_MASK;
const L2_CONT_MASK = F.L2_CONT_MASK;
const L1_MASK = F.L1_MASK;
const TABLE_MASK = F.TABLE_MASK;
const CONT_SECTION = F.CONT_SECTION;
const PTE_TYPE_PAGE = F.PTE_TYPE_PAGE;
const ATTR_NS_TABLE = F.ATTR_NS_TABLE;
const L2_ENTRIES = F.L2_ENTRIES;
const L2_TABLE_BYTES = F.L2_TABLE_BYTES;

/** ARM_V7S_LVL_IDX(iova, 1) on an LP64 iova: the integer shift when it fits, a division above 4 GiB. */
function l1IndexOf(iova: number, mask: number): number {
  return (iova < SZ_4G ? iova >>> 20 : Math.floor(iova / SZ_1M)) & mask;
}

function allZero16(t: Uint32Array, j: number): boolean {
  for (let i = 0; i < 16; i++) if (t[j + i] !== 0) return false;
  return true;
}

function allValid16(t: Uint32Array, j: number): boolean {
  for (let i = 0; i < 16; i++) if (((t[j + i] as number) & 3) === 0) return false;
  return true;
}

/** arm_v7s_pte_is_cont. */
function isCont(pte: number, lvl: Level): boolean {
  return lvl === 1 ? (pte & 3) !== 1 && (pte & CONT_SECTION) !== 0 : (pte & PTE_TYPE_PAGE) === 0;
}

/** The WARN_ON condition of each range check, as the text writes it. */
const RANGE_WARN: Readonly<Record<V7sText["rangeCheck"], { readonly map: string; readonly unmap: string }>> = {
  "ias-oas": { map: "iova >= (1ULL << data->iop.cfg.ias) || paddr >= (1ULL << data->iop.cfg.oas)", unmap: "iova >= (1ULL << data->iop.cfg.ias)" },
  "upper-32-bits": { map: "upper_32_bits(iova) || upper_32_bits(paddr)", unmap: "upper_32_bits(iova)" },
};
const WARN_PARTIAL = "Unmap of a partial large IOPTE is not allowed";

/** The 32-bit page offset arithmetic of the kernel on an LP64 iova: bits above 31 never matter here. */
const l2Index = (iova: number): number => (iova >>> 12) & 0xff;

class V7sEngine implements V7sPageTable {
  readonly cfg: V7sConfig;
  readonly text: V7sText;
  readonly out: V7sAllocated;
  readonly env: EngineEnv;
  private readonly phys: PhysMemory;
  private readonly l1Entries: number;
  /** The L1 table, a live view of physical memory. */
  private readonly pgd: Uint32Array;
  private readonly pgdPa: number;
  /** ARM_V7S_TABLE_SIZE(1): what dma_map_single covers (the allocation is at least a page). */
  private readonly l1Bytes: number;
  private readonly l1AllocBytes: number;
  private readonly l1Mask: number;
  private readonly dmaOn: boolean;
  private readonly perPage: boolean;
  private readonly gatherOps: boolean;
  private readonly refusePartial: boolean;
  private readonly mtkExt: boolean;
  /** The range check's bounds (text.iovaLimit, text.paddrLimit), kept here for the hot paths. */
  private readonly iovaLimit: number;
  private readonly paddrLimit: number;
  /**
   * IOVAs and PAs below these take the single-page fast paths (0: never): the range check passes, and
   * neither MTK bits nor cache maintenance are due.
   */
  private readonly fastMapIovaLimit: number;
  private readonly fastMapPaLimit: number;
  private readonly fastUnmapIovaLimit: number;
  private readonly tlb: FlushOps | undefined;
  /** Per L1 slot: the CPU-side view and address of the L2 table installed there. */
  private readonly l2Views: (Uint32Array | null)[];
  private readonly l2Pas: Float64Array;
  private liveL2 = 0;
  private freed = false;
  /** Leaf attribute words per prot (6 bits), per level, plain and contiguous. */
  private readonly leaf1 = new Uint32Array(64);
  private readonly leaf2 = new Uint32Array(64);
  private readonly cont1 = new Uint32Array(64);
  private readonly cont2 = new Uint32Array(64);
  private readonly scratch = new Uint32Array(16);
  private readonly splitHost: SplitHost;
  /** *mapped of the last mapPages/mapPagesRet call. */
  lastMapped = 0;

  constructor(cfg: V7sConfig, text: V7sText, env: EngineEnv, pgdPa: number, l1AllocBytes: number) {
    this.cfg = cfg;
    this.text = text;
    this.env = env;
    this.phys = env.mem.phys;
    const l1Entries = text.l1Entries;
    this.l1Entries = l1Entries;
    this.l1Mask = l1Entries - 1;
    this.l1Bytes = l1Entries * 4;
    this.l1AllocBytes = l1AllocBytes;
    this.pgdPa = pgdPa;
    this.pgd = this.phys.words(pgdPa, l1Entries);
    this.dmaOn = text.dmaMaintained;
    this.perPage = text.mapOps === "per-page";
    this.gatherOps = text.tlbCallbacks === "gather-ops";
    this.refusePartial = text.partialUnmap === "refuse";
    this.mtkExt = text.mtkExt;
    this.iovaLimit = text.iovaLimit;
    this.paddrLimit = text.paddrLimit;
    const fastUnmap = !this.perPage && !this.dmaOn;
    const fastMap = fastUnmap && !this.mtkExt;
    this.fastMapIovaLimit = fastMap ? Math.min(text.iovaLimit, SZ_4G) : 0;
    this.fastMapPaLimit = fastMap ? Math.min(text.paddrLimit, SZ_4G) : 0;
    this.fastUnmapIovaLimit = fastUnmap ? Math.min(text.iovaLimit, SZ_4G) : 0;
    this.tlb = env.tlb;
    this.l2Views = new Array<Uint32Array | null>(l1Entries).fill(null);
    this.l2Pas = new Float64Array(l1Entries);
    for (let prot = 0; prot < 64; prot++) {
      this.leaf1[prot] = protToPte(prot, 1, text);
      this.leaf2[prot] = protToPte(prot, 2, text);
      this.cont1[prot] = pteToCont(this.leaf1[prot] as number, 1);
      this.cont2[prot] = pteToCont(this.leaf2[prot] as number, 2);
    }
    this.out = {
      pgsizeBitmap: cfg.pgsizeBitmap & PGSIZE_BITMAP_V7S,
      tcr: text.tcr,
      prrr: PRRR,
      nmrr: NMRR,
      ttbr: ttbrFor(pgdPa, text, cfg.coherentWalk),
      ...(text.reportsTtbr1 ? { ttbr1: 0 } : {}),
      pgdPhys: pgdPa,
      l1Entries,
    };
    this.splitHost = {
      text,
      tlb: env.tlb,
      pgdPa,
      sync: (level, tablePa, l1Index, l2i, n) => this.sync(level, tablePa, l1Index, l2i, n),
      forgetTable: (l1i) => void (this.l2Views[l1i] = null),
      l2Pa: (l1i) => this.l2Pas[l1i] as number,
      l2View: (l1i) => this.l2Views[l1i] ?? null,
      allocL2: (gfp) => this.allocL2(gfp),
      freeL2: (pa) => this.freeL2(pa),
      tableView: (pa) => this.tableView(pa),
      installTable: (pa, l1i, curr) => this.installTable(pa, l1i, curr),
      unmapLevel: (gather, iova, size, lvl, table, l1i) => this.unmapLevel(gather, iova, size, lvl, table, l1i),
    };
  }

  // ---- logging helpers -------------------------------------------------------------------------------

  private warn(kind: "WARN_ON" | "WARN_ONCE" | "WARN", text: string): void {
    this.env.log?.warn(kind, text);
  }

  /** dma_sync_single_for_device of `n` PTEs; `l1Index` -1 for an unlinked L2 table. */
  private sync(level: Level, tablePa: number, l1Index: number, l2Index: number | null, n: number): void {
    if (this.dmaOn) this.env.dma?.syncForDevice({ tablePa, level, l1Index, l2Index }, n);
  }

  // ---- table allocation ------------------------------------------------------------------------------

  /** __arm_v7s_alloc_table(2): fit check, then DMA mapping for non-coherent walkers. Null is -ENOMEM. */
  private allocL2(gfp: Gfp): number | null {
    const mem = this.env.mem;
    const pa = mem.allocL2(gfp);
    if (pa === null) return null;
    if (!tableFits(pa, this.cfg, this.text, this.env)) {
      mem.freeL2(pa);
      return null;
    }
    if (this.dmaOn && !dmaMapTable(pa, L2_TABLE_BYTES, this.env)) {
      mem.freeL2(pa);
      return null;
    }
    this.liveL2++;
    return pa;
  }

  /** __arm_v7s_free_table(2) of a table at `pa`. */
  private freeL2(pa: number): void {
    if (this.dmaOn) this.env.dma?.unmapSingle(pa, L2_TABLE_BYTES);
    this.env.mem.freeL2(pa);
    this.liveL2--;
  }

  /** A CPU-side view of an L2 table; a table outside RAM reads as zeros and drops writes (a bus error). */
  private tableView(pa: number): Uint32Array {
    if (this.phys.isRam(pa, L2_TABLE_BYTES)) return this.phys.words(pa, L2_ENTRIES);
    this.phys.read32(pa - (pa % 4));
    return new Uint32Array(L2_ENTRIES);
  }

  /**
   * arm_v7s_install_table: cmpxchg the L1 slot from `curr` to a table descriptor, sync the slot either
   * way, and return the old value (equal to `curr` on success).
   */
  private installTable(pa: number, l1i: number, curr: number): number {
    let desc = (lower32(pa) | 1) >>> 0;
    // ARM_MTK_TTBR_EXT: table descriptors carry PA bits 32-34 like leaves.
    if (this.text.ttbrExt) desc = toMtkIopte(pa, desc);
    if (this.text.armNs) desc = (desc | ATTR_NS_TABLE) >>> 0;
    const pgd = this.pgd;
    const old = pgd[l1i] as number;
    if (old === curr) {
      pgd[l1i] = desc;
      this.l2Views[l1i] = this.tableView(pa);
      this.l2Pas[l1i] = pa;
    }
    this.sync(1, this.pgdPa, l1i, null, 1);
    return old;
  }

  // ---- map -------------------------------------------------------------------------------------------

  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, gfp: Gfp): MapResult {
    const ret = this.mapPagesRet(iova, paddr, pgsize, pgcount, prot, gfp);
    return { ret, mapped: this.lastMapped };
  }

  /**
   * mapPages without the result object: returns ret and leaves *mapped in `lastMapped`. One 4K page into
   * an empty slot of an existing table is done here, in a body small enough for V8 to inline into the
   * caller's loop; everything else goes to mapPagesSlow (same effect as __arm_v7s_map either way).
   */
  mapPagesRet(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, gfp: Gfp): number {
    if (pgcount === 1 && pgsize === SZ_4K && iova < this.fastMapIovaLimit && paddr < this.fastMapPaLimit && (prot & 3) !== 0) {
      const l1i = (iova >>> 20) & this.l1Mask;
      const tbl = this.l2Views[l1i];
      const j = (iova >>> 12) & 0xff;
      if (tbl != null && tbl[j] === 0 && ((this.pgd[l1i] as number) & 3) === 1) {
        tbl[j] = ((this.leaf2[prot & 63] as number) | (paddr & L2_MASK)) >>> 0;
        this.lastMapped = SZ_4K;
        return 0;
      }
    }
    return this.mapPagesSlow(iova, paddr, pgsize, pgcount, prot, gfp);
  }

  private mapPagesSlow(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, gfp: Gfp): number {
    if (this.perPage) return this.mapPagesPerPage(iova, paddr, pgsize, pgcount, prot);
    this.lastMapped = 0;
    if (iova >= this.iovaLimit || paddr >= this.paddrLimit) {
      this.warn("WARN_ON", RANGE_WARN[this.text.rangeCheck].map);
      return -ERANGE;
    }
    if (!(prot & 3)) return this.text.protWithoutRW;
    let ret = -EINVAL;
    let mapped = 0;
    const views = this.l2Views;
    const pgd = this.pgd;
    const l1Mask = this.l1Mask;
    const leaf = this.leaf2[prot & 63] as number;
    const plain = !this.dmaOn && !this.mtkExt;
    const fast = pgsize === SZ_4K && plain;
    const fast64 = pgsize === SZ_64K && plain;
    const cont = this.cont2[prot & 63] as number;
    while (pgcount-- > 0) {
      // Fast paths, same effect as __arm_v7s_map: a 4K page or a 64K large page into empty slots of an
      // existing table (no table to allocate, nothing to refuse, no cache maintenance).
      const l1i = l1IndexOf(iova, l1Mask);
      const tbl = views[l1i];
      const j = (iova >>> 12) & 0xff;
      if (fast && tbl != null && ((pgd[l1i] as number) & 3) === 1 && tbl[j] === 0) {
        // A run of 4K pages while they stay in this table and find empty slots.
        let k = 0;
        for (let jj = j; ; ) {
          const pa = paddr + k * SZ_4K;
          tbl[jj] = (leaf | ((pa < SZ_4G ? pa : pa % SZ_4G) & L2_MASK)) >>> 0;
          k++;
          jj++;
          if (pgcount === 0 || jj === L2_ENTRIES || tbl[jj] !== 0) break;
          pgcount--;
        }
        iova += k * SZ_4K;
        paddr += k * SZ_4K;
        mapped += k * SZ_4K;
        ret = 0;
        continue;
      } else if (fast64 && tbl != null && j <= 240 && ((pgd[l1i] as number) & 3) === 1 && allZero16(tbl, j)) {
        const pte = (cont | ((paddr < SZ_4G ? paddr : paddr % SZ_4G) & L2_MASK)) >>> 0;
        for (let i = 0; i < 16; i++) tbl[j + i] = pte;
        ret = 0;
      } else {
        ret = this.mapOne(iova, paddr, pgsize, prot, gfp);
        if (ret !== 0) break;
      }
      iova += pgsize;
      paddr += pgsize;
      mapped += pgsize;
    }
    this.lastMapped = mapped;
    return ret;
  }

  /** A text with only `.map`: iommu_map looped one page per call and stopped at the first failure. */
  private mapPagesPerPage(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    let ret = 0;
    let mapped = 0;
    for (let i = 0; i < pgcount; i++) {
      ret = this.map(iova, paddr, pgsize, prot);
      if (ret !== 0) break;
      iova += pgsize;
      paddr += pgsize;
      mapped += pgsize;
    }
    this.lastMapped = mapped;
    return ret;
  }

  map(iova: number, paddr: number, size: number, prot: number): number {
    if (!this.perPage) return this.mapPagesRet(iova, paddr, size, 1, prot, GFP_ATOMIC);
    // The `.map` text tests prot before the range.
    if (!(prot & 3)) return this.text.protWithoutRW;
    if (iova >= this.iovaLimit || paddr >= this.paddrLimit) {
      this.warn("WARN_ON", RANGE_WARN[this.text.rangeCheck].map);
      return -ERANGE;
    }
    const ret = this.mapOne(iova, paddr, size, prot, GFP_ATOMIC);
    if (this.text.tlbiOnMap) {
      this.tlb?.tlbAddFlush?.(iova, size, SZ_4K, false);
      this.tlb?.tlbSync?.();
    }
    return ret;
  }

  /** __arm_v7s_map from level 1 for one page of `size` bytes. */
  private mapOne(iova: number, paddr: number, size: number, prot: number, gfp: Gfp): number {
    const l1i = l1IndexOf(iova, this.l1Mask);
    const n1 = Math.floor(size / SZ_1M);
    if (n1 !== 0) return this.initPte(iova, paddr, prot, 1, n1, l1i, this.pgd, l1i, this.pgdPa);
    const pgd = this.pgd;
    let pte = pgd[l1i] as number;
    if (pte === 0) {
      const pa = this.allocL2(gfp);
      if (pa === null) return -ENOMEM;
      pte = this.installTable(pa, l1i, 0);
      if (pte !== 0) this.freeL2(pa);
    } else if (this.dmaOn) {
      this.sync(1, this.pgdPa, l1i, null, 1);
    }
    if (pte !== 0 && (pte & 3) !== 1) {
      this.warnExists();
      return -EEXIST;
    }
    const table = this.l2Views[l1i] as Uint32Array;
    const n2 = Math.floor(size / SZ_4K);
    if (n2 === 0) {
      this.warn("WARN_ON", "lvl == 2");
      return -EINVAL;
    }
    return this.initPte(iova, paddr, prot, 2, n2, l2Index(iova), table, l1i, this.l2Pas[l1i] as number);
  }

  private warnExists(): void {
    if (!this.env.selftestRunning) this.warn("WARN_ON", "!selftest_running");
  }

  /** arm_v7s_init_pte: replace tables (block over table), refuse occupied slots, write n copies. */
  private initPte(iova: number, paddr: number, prot: number, lvl: Level, n: number, idx: number, table: Uint32Array, l1i: number, tablePa: number): number {
    if (idx + n > table.length) {
      throw new RangeError(`map of ${n} entries at index ${idx} runs past the end of the ${table.length}-entry L${lvl} table`);
    }
    for (let i = 0; i < n; i++) {
      const cur = table[idx + i] as number;
      if (lvl === 1 && (cur & 3) === 1) {
        // Block over a table: unmap (and free) the whole table first, discarding its mappings.
        if (this.unmapLevel(null, iova + i * SZ_1M, SZ_1M, 1, this.pgd, 0) !== SZ_1M) {
          this.warn("WARN_ON", "__arm_v7s_unmap(data, NULL, iova + i * sz, sz, lvl, tblp) != sz");
          return -EINVAL;
        }
      } else if (cur !== 0) {
        this.warnExists();
        return -EEXIST;
      }
    }
    const p = prot & 63;
    const attrs = (lvl === 1 ? (n > 1 ? this.cont1[p] : this.leaf1[p]) : n > 1 ? this.cont2[p] : this.leaf2[p]) as number;
    const pte = (attrs | paddrToIopte(paddr, lvl, this.text)) >>> 0;
    // Plain stores: TypedArray.prototype.fill costs more than 16 of them.
    for (let i = 0; i < n; i++) table[idx + i] = pte;
    if (this.dmaOn) this.sync(lvl, tablePa, l1i, lvl === 1 ? null : idx, n);
    return 0;
  }

  // ---- unmap -----------------------------------------------------------------------------------------

  /** ops->unmap_pages. One valid 4K page in a table is cleared here (small enough to inline, as mapPagesRet). */
  unmapPages(iova: number, pgsize: number, pgcount: number, gather: IotlbGather | null): number {
    if (pgcount === 1 && pgsize === SZ_4K && iova < this.fastUnmapIovaLimit) {
      const l1i = (iova >>> 20) & this.l1Mask;
      const tbl = this.l2Views[l1i];
      const j = (iova >>> 12) & 0xff;
      if (tbl != null && ((tbl[j] as number) & 2) !== 0 && ((this.pgd[l1i] as number) & 3) === 1) {
        tbl[j] = 0;
        if (gather === null || !gather.queued) this.tlb?.tlbAddPage?.(gather, iova, SZ_4K);
        return SZ_4K;
      }
    }
    return this.unmapPagesSlow(iova, pgsize, pgcount, gather);
  }

  private unmapPagesSlow(iova: number, pgsize: number, pgcount: number, gather: IotlbGather | null): number {
    if (this.perPage) {
      let unmapped = 0;
      for (let i = 0; i < pgcount; i++) {
        if (this.unmap(iova, pgsize) === 0) break;
        unmapped += pgsize;
        iova += pgsize;
      }
      return unmapped;
    }
    if (iova >= this.iovaLimit) {
      this.warn("WARN_ON", RANGE_WARN[this.text.rangeCheck].unmap);
      return 0;
    }
    let unmapped = 0;
    const views = this.l2Views;
    const pgd = this.pgd;
    const l1Mask = this.l1Mask;
    const fast = pgsize === SZ_4K && !this.dmaOn;
    const fast64 = pgsize === SZ_64K && !this.dmaOn;
    const tlb = this.tlb;
    const addPage = !(gather !== null && gather.queued) && tlb !== undefined && tlb.tlbAddPage !== undefined;
    while (pgcount-- > 0) {
      // Fast paths, same effect as __arm_v7s_unmap: one valid small page, or 16 valid entries (a large
      // page or 16 small pages) cleared by a 64K unmap, in a table; one add_page per cleared entry.
      const l1i = l1IndexOf(iova, l1Mask);
      const tbl = views[l1i];
      const j = (iova >>> 12) & 0xff;
      if (fast && tbl != null && ((pgd[l1i] as number) & 3) === 1 && ((tbl[j] as number) & 2) !== 0) {
        // A run of small pages while they stay in this table.
        let k = 0;
        for (let jj = j; ; ) {
          tbl[jj] = 0;
          if (addPage) (tlb as FlushOps).tlbAddPage?.(gather, iova + k * SZ_4K, SZ_4K);
          k++;
          jj++;
          if (pgcount === 0 || jj === L2_ENTRIES || ((tbl[jj] as number) & 2) === 0) break;
          pgcount--;
        }
        unmapped += k * SZ_4K;
        iova += k * SZ_4K;
        continue;
      } else if (fast64 && tbl != null && j <= 240 && ((pgd[l1i] as number) & 3) === 1 && allValid16(tbl, j)) {
        for (let i = 0; i < 16; i++) tbl[j + i] = 0;
        if (addPage) for (let i = 0; i < 16; i++) (tlb as FlushOps).tlbAddPage?.(gather, iova + i * SZ_4K, SZ_4K);
      } else if (this.unmapLevel(gather, iova, pgsize, 1, pgd, 0) === 0) break;
      unmapped += pgsize;
      iova += pgsize;
    }
    return unmapped;
  }

  unmap(iova: number, size: number): number {
    if (!this.perPage) return this.unmapPages(iova, size, 1, null);
    if (iova >= this.iovaLimit) {
      this.warn("WARN_ON", RANGE_WARN[this.text.rangeCheck].unmap);
      return 0;
    }
    return this.unmapLevel(null, iova, size, 1, this.pgd, 0);
  }

  /** __arm_v7s_unmap at `lvl` over `table` (the pgd, or the L2 table of L1 slot `l1i`). */
  private unmapLevel(gather: IotlbGather | null, iova: number, size: number, lvl: Level | 3, table: Uint32Array, l1i: number): number {
    if (lvl === 3) {
      this.warn("WARN_ON", "lvl > 2");
      return 0;
    }
    const n = lvl === 1 ? Math.floor(size / SZ_1M) : Math.floor(size / SZ_4K);
    const idx = lvl === 1 ? l1IndexOf(iova, this.l1Mask) : l2Index(iova);
    const count = n > 1 ? n : 1;
    if (idx + count > table.length) {
      throw new RangeError(`unmap of ${count} entries at index ${idx} runs past the end of the ${table.length}-entry L${lvl} table`);
    }
    for (let i = 0; i < count; i++) {
      if (((table[idx + i] as number) & 3) === 0) {
        this.warn("WARN_ON", "!ARM_V7S_PTE_IS_VALID(pte[i])");
        return 0;
      }
    }
    let pte0 = table[idx] as number;
    if (n <= 1 && isCont(pte0, lvl)) {
      if (this.refusePartial) {
        this.warn("WARN_ONCE", WARN_PARTIAL);
        return 0;
      }
      pte0 = splitCont(this.splitHost, iova, idx, lvl, table, l1i);
    }
    if (n !== 0) return this.clearEntries(gather, iova, size, lvl, table, idx, n, l1i, pte0);
    if (lvl === 1 && (pte0 & 3) !== 1) {
      if (this.refusePartial) {
        this.warn("WARN_ONCE", WARN_PARTIAL);
        return 0;
      }
      return splitBlkUnmap(this.splitHost, gather, iova, size, pte0, idx);
    }
    if (lvl === 1) return this.unmapLevel(gather, iova, size, 2, this.l2Views[idx] as Uint32Array, idx);
    return this.unmapLevel(gather, iova, size, 3, table, l1i);
  }

  private clearEntries(
    gather: IotlbGather | null,
    iova: number,
    size: number,
    lvl: Level,
    table: Uint32Array,
    idx: number,
    n: number,
    l1i: number,
    pte0: number,
  ): number {
    const old = n <= 16 ? this.scratch : new Uint32Array(n);
    for (let i = 0; i < n; i++) old[i] = table[idx + i] as number;
    old[0] = pte0;
    for (let i = 0; i < n; i++) table[idx + i] = 0;
    if (this.dmaOn) {
      if (lvl === 1) this.sync(1, this.pgdPa, idx, null, n);
      else this.sync(2, this.l2Pas[l1i] as number, l1i, idx, n);
    }
    const blk = lvl === 1 ? SZ_1M : SZ_4K;
    const tlb = this.tlb;
    const gatherOps = this.gatherOps;
    const queued = gather !== null && gather.queued;
    for (let i = 0; i < n; i++) {
      if (lvl === 1 && ((old[i] as number) & 3) === 1) {
        if (gatherOps) {
          tlb?.tlbAddFlush?.(iova, blk, SZ_4K, false);
          tlb?.tlbSync?.();
        } else {
          tlb?.tlbFlushWalk?.(iova, blk, SZ_4K);
        }
        this.dropTable(idx + i);
      } else if (gatherOps) {
        tlb?.tlbAddFlush?.(iova, blk, blk, true);
      } else if (!queued) {
        tlb?.tlbAddPage?.(gather, iova, blk);
      }
      iova += blk;
    }
    return size;
  }

  /** Free the L2 table the (already cleared) L1 slot pointed to. */
  private dropTable(l1i: number): void {
    const pa = this.l2Pas[l1i] as number;
    this.l2Views[l1i] = null;
    this.freeL2(pa);
  }

  // ---- lookups ---------------------------------------------------------------------------------------

  iovaToPhys(iova: number): number {
    const l1i = l1IndexOf(iova, this.l1Mask);
    let pte = this.pgd[l1i] as number;
    let mask: number;
    if ((pte & 3) === 1) {
      pte = (this.l2Views[l1i] as Uint32Array)[l2Index(iova)] as number;
      if ((pte & 3) === 0) return 0;
      mask = pte & PTE_TYPE_PAGE ? L2_MASK : L2_CONT_MASK;
    } else {
      if ((pte & 3) === 0) return 0;
      mask = pte & CONT_SECTION ? L1_CONT_MASK : L1_MASK;
    }
    const low = ((pte & mask) | (iova & ~mask)) >>> 0;
    return this.mtkExt ? mtkHighBits(pte) * SZ_4G + low : low;
  }

  /** The L1 entry for an IOVA and, for a table, where its L2 table is. */
  lookupL1(iova: number): L1Lookup {
    const l1i = l1IndexOf(iova, this.l1Mask);
    const pte = this.pgd[l1i] as number;
    const isTable = (pte & 3) === 1;
    let descriptorTablePa: number | null = null;
    if (isTable) {
      descriptorTablePa = (pte & TABLE_MASK) >>> 0;
      if (this.text.ttbrExt) descriptorTablePa += mtkHighBits(pte) * SZ_4G;
    }
    return { l1Index: l1i, pte, tablePa: isTable && this.l2Views[l1i] ? (this.l2Pas[l1i] as number) : null, descriptorTablePa };
  }

  /** The L2 entry for an IOVA, or null when its L1 entry is not a table. */
  readL2(iova: number): number | null {
    return this.readL2At(l1IndexOf(iova, this.l1Mask), l2Index(iova));
  }

  readL1(l1Index: number): number {
    if (!Number.isInteger(l1Index) || l1Index < 0 || l1Index >= this.l1Entries) {
      throw new RangeError(`readL1(${l1Index}): the L1 table has ${this.l1Entries} entries`);
    }
    return this.pgd[l1Index] as number;
  }

  readL2At(l1Index: number, l2i: number): number | null {
    const view = this.l2Views[l1Index];
    if (!view || ((this.pgd[l1Index] as number) & 3) !== 1) return null;
    return view[l2i] ?? 0;
  }

  /** Live L2 tables (allocated and not freed), including any the kernel leaked. */
  l2TablesLive(): number {
    return this.liveL2;
  }

  /** Every L2 table linked from the L1 table, in L1 order, with its count of valid entries. */
  forEachL2Table(cb: (l1Index: number, tablePa: number, validEntries: number) => void): void {
    const pgd = this.pgd;
    for (let i = 0; i < this.l1Entries; i++) {
      if (((pgd[i] as number) & 3) !== 1) continue;
      const view = this.l2Views[i];
      if (!view) continue;
      let valid = 0;
      for (let j = 0; j < L2_ENTRIES; j++) if ((view[j] as number) & 3) valid++;
      cb(i, this.l2Pas[i] as number, valid);
    }
  }

  // ---- teardown --------------------------------------------------------------------------------------

  free(): void {
    if (this.freed) throw new RangeError("V7sPageTable.free: the page table was already freed");
    this.freed = true;
    this.tlb?.tlbFlushAll?.();
    const pgd = this.pgd;
    for (let i = 0; i < this.l1Entries; i++) {
      if (((pgd[i] as number) & 3) === 1 && this.l2Views[i]) this.dropTable(i);
    }
    if (this.dmaOn) this.env.dma?.unmapSingle(this.pgdPa, this.l1Bytes);
    this.env.mem.freeL1(this.pgdPa, this.l1AllocBytes);
    this.env.mem.destroy();
  }

  get isFreed(): boolean {
    return this.freed;
  }
}

/** The fit check of __arm_v7s_alloc_table (silent in v4.19; dev_err since the 2018 debugging patch). */
function tableFits(pa: number, cfg: V7sConfig, text: V7sText, env: EngineEnv): boolean {
  if (cfg.fitCheck === false) return true;
  const fits = pa < text.tablePaLimit;
  if (!fits && text.fitCheckLogs) env.log?.error(`Page table does not fit in PTE: 0x${pa.toString(16).padStart(16, "0")}`);
  return fits;
}

/** dma_map_single of a new table: the DMA address must be the PA. */
function dmaMapTable(pa: number, bytes: number, env: EngineEnv): boolean {
  const dma = env.dma?.mapSingle(pa, bytes) ?? pa;
  if (!Number.isFinite(dma) || dma < 0) return false;
  if (dma !== pa) {
    env.log?.error("Cannot accommodate DMA translation for IOMMU page tables");
    env.dma?.unmapSingle(dma, bytes);
    return false;
  }
  return true;
}

/**
 * alloc_io_pgtable_ops(ARM_V7S, cfg): decodes the era's text and the config into the table's capability
 * record once; a refused config or a failed pgd allocation gives {ok: false} with a code and a reason.
 */
export function allocV7s(cfg: V7sConfig, env: EngineEnv): AllocResult {
  const decoded = decodeV7s(cfg, V7S_TEXTS[env.era.pgtable]);
  if (!decoded.ok) return { ok: false, code: decoded.refusal.code, reason: decoded.refusal.message };
  const text = decoded.text;
  const l1Bytes = text.l1Entries * 4;
  // __get_free_pages(get_order(size)): never less than a page.
  const allocBytes = Math.max(l1Bytes, SZ_4K);
  const pgdPa = env.mem.allocL1(allocBytes);
  if (pgdPa === null) return { ok: false, code: "l1-alloc-failed", reason: `L1 table allocation (${allocBytes} bytes) failed: -ENOMEM` };
  if (!tableFits(pgdPa, cfg, text, env)) {
    env.mem.freeL1(pgdPa, allocBytes);
    return { ok: false, code: "table-does-not-fit", reason: `Page table does not fit in PTE: L1 table at 0x${pgdPa.toString(16)}` };
  }
  if (text.dmaMaintained && !dmaMapTable(pgdPa, l1Bytes, env)) {
    env.mem.freeL1(pgdPa, allocBytes);
    return { ok: false, code: "dma-translation", reason: "Cannot accommodate DMA translation for IOMMU page tables" };
  }
  return { ok: true, table: new V7sEngine(cfg, text, env, pgdPa, allocBytes) };
}
