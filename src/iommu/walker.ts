// SPDX-License-Identifier: GPL-2.0-only
/**
 * The M4U's table walk, from physical memory only. The engine's idea of a descriptor (iopte_to_paddr) and
 * the hardware's can differ: the walker follows 32-bit table pointers unless the TTBR extension is wired,
 * applies the MTK PA bits to what it produces, and in 4GB mode remaps its output onto the CPU's map.
 *
 * Walk diagram (ias 32; ias 34 widens the L1 index to 14 bits, IOVA bits 33:20, and the L1 to 64 KiB):
 *
 *   IOVA      | 31 ............ 20 | 19 ........ 12 | 11 ........... 0 |
 *             |   12 bits L1 idx   |  8 bits L2 idx |  12 bits offset  |
 *
 *   PT_BASE ─► L1 base = TTBR bits 31:14 (31:16 for ias 34); attribute bits below are ignored.
 *              With MTK TTBR_EXT, TTBR bits 2:0 are L1 PA bits 34:32 (the driver writes pa | upper_32_bits(pa)).
 *   L1 desc at L1 base + 4*idx1:
 *     1:0 = 00   invalid ─► translation fault, level 1
 *     1:0 = 01   table: L2 base = bits 31:10, a 32-bit pointer; with TTBR_EXT, PTE bits 9/4/5 = PA 32/33/34
 *     1:0 = 1x   bit 18 = 0: section,      out = bits 31:20 | IOVA 19:0   (1 MiB)
 *                bit 18 = 1: supersection, out = bits 31:24 | IOVA 23:0   (16 MiB)
 *   L2 desc at L2 base + 4*idx2:
 *     1:0 = 00   invalid ─► translation fault, level 2
 *     1:0 = 1x   small page, out = bits 31:12 | IOVA 11:0   (4 KiB)
 *     1:0 = 01   large page, out = bits 31:16 | IOVA 15:0   (64 KiB)
 *   Leaf, MTK_EXT: PTE bits 9/4/5 ─► output PA bits 32/33/34 (the same positions at both levels).
 *   Leaf, permissions on (not NO_PERMS): a write through AP2 (L1 bit 15, L2 bit 9) ─► permission fault.
 *   4GB mode (MT8173): output bus 4-5 GiB = CPU 4-5 GiB; bus 5-8 GiB = CPU 1-4 GiB (bus - 4 GiB);
 *                      any other bus address ─► invalid-pa fault (a modelling choice: mtk_iommu.c's map shows
 *                      no memory there, and SoCs with VLD_PA_RNG program 0x1_0000_0000-0x1_FFFF_FFFF as valid).
 *   A descriptor address outside RAM ─► walk-bus-error fault at that level.
 *
 * Sources: docs/kernel-facts.md#geometry, #descriptor-types and #attribute-bits (fields), #registers (TTBR),
 * #elm-memory-map and mtk_iommu.c's 4GB-mode map and
 * VLD_PA_RNG comment (remap window). Table fetches use CPU PAs as the driver writes them (virt_to_phys of
 * the table): the remap applies to output addresses only. Not modelled: ARMv7 supersection base
 * extension bits 23:20/8:5 (v7s never writes them), domains, the access flag, XN, NS and memory types.
 * L1 type 11 is read as a section, as the driver's "valid and not a table" does.
 */
import { SZ_16M, SZ_1M, SZ_4G, SZ_4K, SZ_64K } from "../core/u32.ts";
import type { PhysMemory } from "../phys/memory.ts";
import {
  ATTR_AP2_RDONLY,
  CONT_SECTION,
  L1_CONT_MASK,
  L1_MASK,
  L2_CONT_MASK,
  L2_MASK,
  PTE_TYPE_PAGE,
  PTE_TYPE_TABLE,
  TABLE_MASK,
  attrShift,
  l1Kind,
  l2Kind,
  mtkHighBits,
} from "../pgtable/format.ts";
import type { Access, Fault, FaultType, Translation, WalkStep } from "./types.ts";

export interface WalkConfig {
  /** IOVA bits: 32, or 34 (MTK IOVA_34_EN). */
  readonly ias: number;
  /** PTE bits 9/4/5 carry output PA bits 32/33/34 (IO_PGTABLE_QUIRK_ARM_MTK_EXT hardware). */
  readonly mtkExt: boolean;
  /** Table pointers and PT_BASE carry PA bits 32-34 too (PGTABLE_PA_35_EN hardware). */
  readonly mtkTtbrExt: boolean;
  /** MT8173-style 4GB mode: the output window is 4-8 GiB and 5-8 GiB maps back to CPU 1-4 GiB. */
  readonly fourGbMode: boolean;
  /** No AP bits: no permission faults (MTK always). */
  readonly noPerms: boolean;
}

/** What a TLB caches: one leaf, tagged with its mapping size. */
export interface Leaf {
  readonly iovaBase: number;
  readonly pageSize: number;
  /** CPU PA of the page (after the 4GB-mode remap). */
  readonly paBase: number;
  readonly busPaBase: number;
  readonly writable: boolean;
  readonly level: 1 | 2;
  readonly descriptorPa: number;
  readonly descriptor: number;
}

/** A cache of L1 table descriptors, indexed by L1 index (see tlb.ts). */
export interface TableWalkCache {
  get(l1Index: number): number | undefined;
  set(l1Index: number, descriptor: number): void;
}

export interface WalkResult {
  readonly translation: Translation;
  /** The valid leaf the walk reached (also on a permission fault), or null. */
  readonly leaf: Leaf | null;
  /** Descriptors read from memory (a walk-cache hit saves one). */
  readonly reads: number;
}

/** AP2 (read-only) at each level: bit 15 in an L1 leaf, bit 9 in an L2 leaf. */
const AP2_L1 = ATTR_AP2_RDONLY << attrShift(1);
const AP2_L2 = ATTR_AP2_RDONLY << attrShift(2);
const FOUR_GB_BUS_START = SZ_4G;
const FOUR_GB_BUS_END = 2 * SZ_4G;
/** MTK_IOMMU_4GB_MODE_REMAP_BASE: CPU PA 0x4000_0000 as the M4U sees it in 4GB mode (the driver's constant too). */
export const MTK_4GB_MODE_REMAP_BASE = 0x1_4000_0000;

export function checkWalkConfig(cfg: WalkConfig): void {
  if (cfg.ias !== 32 && cfg.ias !== 34) throw new RangeError(`M4U ias ${cfg.ias}: must be 32 or 34`);
  if (cfg.ias === 34 && !cfg.mtkExt) throw new RangeError("M4U ias 34 needs mtkExt (34-bit IOVA is an MTK extension)");
  if (cfg.mtkExt && !cfg.noPerms) throw new RangeError("M4U mtkExt needs noPerms: PTE bits 4/5/9 are AP bits otherwise");
  if (cfg.mtkTtbrExt && !cfg.mtkExt) throw new RangeError("M4U mtkTtbrExt needs mtkExt");
  if (cfg.fourGbMode && !cfg.mtkExt) throw new RangeError("M4U fourGbMode needs mtkExt (PTE bit 9 is PA bit 32)");
}

export function l1EntryCount(ias: number): number {
  return 1 << (ias - 20);
}

/** The L1 table's PA as the hardware decodes PT_BASE (see the diagram). */
export function ttbrToL1Base(ttbr: number, cfg: WalkConfig): number {
  if (!Number.isInteger(ttbr) || ttbr < 0 || ttbr >= SZ_4G) {
    throw new RangeError(`PT_BASE value ${ttbr}: must be a u32 in [0, 0xffffffff]`);
  }
  const l1Bytes = 4 * l1EntryCount(cfg.ias);
  const low = ttbr - (ttbr % l1Bytes);
  return cfg.mtkTtbrExt ? low + (ttbr & 7) * SZ_4G : low;
}

/** The CPU PA behind a 4GB-mode bus address, or null outside the 4-8 GiB window. */
export function fourGbBusToCpu(bus: number): number | null {
  if (bus < FOUR_GB_BUS_START || bus >= FOUR_GB_BUS_END) return null;
  return bus >= MTK_4GB_MODE_REMAP_BASE ? bus - SZ_4G : bus;
}

/**
 * `fourGbBusToCpu(bus) ?? bus` as a plain number, for per-page checks: a `number | null` result makes
 * every address of 2^31 or more a heap number.
 */
export function fourGbBusToCpuOrSelf(bus: number): number {
  if (bus < FOUR_GB_BUS_START || bus >= FOUR_GB_BUS_END) return bus;
  return bus >= MTK_4GB_MODE_REMAP_BASE ? bus - SZ_4G : bus;
}

/** The IOVA's L1 index (bits ias-1:20). `>>> 0` of the quotient is exact below 2^52. */
export function l1Index(iova: number, ias: number): number {
  return ((iova / SZ_1M) >>> 0) & (l1EntryCount(ias) - 1);
}

/**
 * The result of one walk, written into a caller-owned record so that a walk allocates nothing (the
 * verification probe runs once per mapped leaf). `walk()` turns it into the Translation/Leaf objects.
 * Fields describe the last walk only; which of them mean something depends on `ok`, `fault` and `leaf`.
 */
export class WalkRecord {
  /** A translation: `pa`, `busPa`, `pageSize`, `writable` hold. */
  ok = false;
  /** The fault when not ok (a constant string: no allocation). */
  fault: FaultType | null = null;
  /** A valid leaf was reached (also on a permission fault): `iovaBase`, `paBase`, `busPaBase` hold. */
  leaf = false;
  /** Level of the leaf, or of the descriptor that faulted. */
  level: 1 | 2 = 1;
  /** PA and value of the leaf or faulting descriptor (value 0 for a bus error). */
  descriptorPa = 0;
  descriptor = 0;
  pa = 0;
  busPa = 0;
  pageSize = 0;
  writable = false;
  iovaBase = 0;
  /** `iovaBase` / 4 KiB: the leaf's first page frame (the next leaf starts at leafPfn + pageSize / 4 KiB). */
  leafPfn = 0;
  paBase = 0;
  busPaBase = 0;
  /** The L1 step: descriptor address and value; `l1Cached` when the walk cache supplied it. */
  l1Pa = 0;
  l1Descriptor = 0;
  l1Cached = false;
  /** The walk went on to level 2 (an L1 table descriptor); then `l2Pa`/`l2Descriptor` hold. */
  reachedL2 = false;
  l2Pa = 0;
  l2Descriptor = 0;
  /** Descriptors read from memory (a walk-cache hit saves one). */
  reads = 0;
}

/**
 * One table walk into `rec`; returns `rec.ok`. With `sideEffects` false (probe) nothing outside RAM is
 * touched, so PhysMemory records no bus error; with it true the failing read is issued as the hardware
 * would, and PhysMemory records it. Every walk starts at PT_BASE's L1 and follows the L1 descriptor's
 * table pointer through physical memory, so a truncated pointer reaches the wrong (or no) L2 here too.
 */
export function walkInto(
  rec: WalkRecord,
  phys: PhysMemory,
  cfg: WalkConfig,
  l1Base: number,
  iova: number,
  access: Access,
  sideEffects: boolean,
  walkCache: TableWalkCache | null,
): boolean {
  return walkPageInto(rec, phys, cfg, l1Base, Math.floor(iova / SZ_4K), (iova >>> 0) & 0xfff, access, sideEffects, walkCache);
}

/**
 * walkInto for IOVA `pfn` * 4 KiB + `offset` (offset < 4 KiB). The walk's own arithmetic is on the page
 * frame number, a small integer, where a byte IOVA above 2^31 is a heap number at every call.
 */
export function walkPageInto(
  rec: WalkRecord,
  phys: PhysMemory,
  cfg: WalkConfig,
  l1Base: number,
  pfn: number,
  offset: number,
  access: Access,
  sideEffects: boolean,
  walkCache: TableWalkCache | null,
): boolean {
  rec.reads = 0;
  rec.leaf = false;
  rec.reachedL2 = false;
  rec.l1Cached = false;
  // IOVA bits ias-1:20 are pfn bits ias-13:8; `>>> 8` keeps pfn bits 8-39 and the mask fewer than 24.
  const idx1 = (pfn >>> 8) & (l1EntryCount(cfg.ias) - 1);
  const l1Pa = l1Base + 4 * idx1;
  rec.l1Pa = l1Pa;
  const cachedD1 = walkCache === null ? undefined : walkCache.get(idx1);
  let d1: number;
  if (cachedD1 !== undefined) {
    d1 = cachedD1;
    rec.l1Cached = true;
    rec.l1Descriptor = d1;
  } else {
    d1 = phys.peek32(l1Pa);
    if (d1 < 0) {
      if (sideEffects) phys.read32(l1Pa);
      rec.l1Descriptor = 0;
      return faultInto(rec, "walk-bus-error", 1, l1Pa, 0);
    }
    rec.reads = 1;
    rec.l1Descriptor = d1;
    const type = d1 & 3;
    if (type === 0) return faultInto(rec, "translation", 1, l1Pa, d1);
    if (type !== PTE_TYPE_TABLE) {
      const superS = (d1 & CONT_SECTION) !== 0;
      return leafInto(rec, cfg, pfn, offset, access, 1, l1Pa, d1, superS ? SZ_16M : SZ_1M, superS ? L1_CONT_MASK : L1_MASK);
    }
    walkCache?.set(idx1, d1);
  }
  return level2Into(rec, phys, cfg, d1 | 0, pfn, offset, access, sideEffects);
}

/**
 * The walk's second half, from an L1 table descriptor `d1`: its L2 pointer, the L2 word, the leaf.
 * Callers pass `d1` as int32 (`| 0`; only its bits are used): a u32 of 2^31 or more would be a heap
 * number at every call that is not inlined.
 */
function level2Into(
  rec: WalkRecord,
  phys: PhysMemory,
  cfg: WalkConfig,
  d1: number,
  pfn: number,
  offset: number,
  access: Access,
  sideEffects: boolean,
): boolean {
  // A 32-bit pointer unless the table-PA extension is wired (the driver's iopte_to_paddr ORs the MTK
  // bits into any entry; this hardware only honours them on tables with TTBR_EXT).
  let l2Base = (d1 & TABLE_MASK) >>> 0;
  if (cfg.mtkTtbrExt) l2Base += mtkHighBits(d1) * SZ_4G;
  const l2Pa = l2Base + 4 * (pfn & 0xff);
  rec.reachedL2 = true;
  rec.l2Pa = l2Pa;
  const d2 = phys.peek32(l2Pa);
  if (d2 < 0) {
    if (sideEffects) phys.read32(l2Pa);
    rec.l2Descriptor = 0;
    return faultInto(rec, "walk-bus-error", 2, l2Pa, 0);
  }
  rec.reads++;
  rec.l2Descriptor = d2;
  if ((d2 & 3) === 0) return faultInto(rec, "translation", 2, l2Pa, d2);
  const small = (d2 & PTE_TYPE_PAGE) !== 0;
  return leafInto(rec, cfg, pfn, offset, access, 2, l2Pa, d2, small ? SZ_4K : SZ_64K, small ? L2_MASK : L2_CONT_MASK);
}

function leafInto(
  rec: WalkRecord,
  cfg: WalkConfig,
  pfn: number,
  pageOffset: number,
  access: Access,
  level: 1 | 2,
  descriptorPa: number,
  descriptor: number,
  pageSize: number,
  addrMask: number,
): boolean {
  const field = (descriptor & addrMask) >>> 0;
  const busPaBase = cfg.mtkExt ? field + mtkHighBits(descriptor) * SZ_4G : field;
  // The offset inside the leaf: the pfn's low bits below the leaf size, then the offset in the page.
  const pageMask = (pageSize >>> 12) - 1;
  const offset = (pfn & pageMask) * SZ_4K + pageOffset;
  let paBase = busPaBase;
  if (cfg.fourGbMode) {
    if (busPaBase < FOUR_GB_BUS_START || busPaBase >= FOUR_GB_BUS_END) return faultInto(rec, "invalid-pa", level, descriptorPa, descriptor);
    if (busPaBase >= MTK_4GB_MODE_REMAP_BASE) paBase = busPaBase - SZ_4G;
  }
  const writable = cfg.noPerms || (descriptor & (level === 1 ? AP2_L1 : AP2_L2)) === 0;
  rec.leaf = true;
  rec.level = level;
  rec.descriptorPa = descriptorPa;
  rec.descriptor = descriptor;
  rec.leafPfn = pfn - (pfn & pageMask);
  rec.iovaBase = rec.leafPfn * SZ_4K;
  rec.pageSize = pageSize;
  rec.paBase = paBase;
  rec.busPaBase = busPaBase;
  rec.writable = writable;
  if (access === "write" && !writable) {
    rec.ok = false;
    rec.fault = "permission";
    return false;
  }
  rec.ok = true;
  rec.fault = null;
  rec.pa = paBase + offset;
  rec.busPa = busPaBase + offset;
  return true;
}

function faultInto(rec: WalkRecord, type: FaultType, level: 1 | 2, descriptorPa: number, descriptor: number): boolean {
  rec.ok = false;
  rec.fault = type;
  rec.level = level;
  rec.descriptorPa = descriptorPa;
  rec.descriptor = descriptor;
  return false;
}

/**
 * The probes of every leaf of IOVA pages [pfn, endPfn), as a verification makes them one by one: a walk
 * of `pfn` * 4 KiB + `offset`, then of the first page of each following leaf (the next page where a
 * walk faults), `visit(rec, pfn, offset)` after each. Each record equals what walkPageInto would give
 * (a probe: read access, no side effects, no walk cache); the L1 word is read once per MiB, since
 * nothing writes tables during a probe run (`visit` must not), and each L2 word is still reached
 * through that L1 descriptor's own pointer, so a truncated pointer is caught as before.
 */
export function probeRunInto(
  rec: WalkRecord,
  phys: PhysMemory,
  cfg: WalkConfig,
  l1Base: number,
  pfn: number,
  offset: number,
  endPfn: number,
  visit: (rec: WalkRecord, pfn: number, offset: number) => void,
): void {
  const l1Mask = l1EntryCount(cfg.ias) - 1;
  let tableIdx = -1;
  let tableD1 = 0;
  let at = pfn;
  let off = offset;
  while (at < endPfn) {
    const idx1 = (at >>> 8) & l1Mask;
    if (idx1 === tableIdx) {
      // The same L1 table descriptor as the last walk read: the record says what a fresh walk would.
      rec.leaf = false;
      rec.l1Cached = false;
      rec.reads = 1;
      rec.l1Pa = l1Base + 4 * idx1;
      rec.l1Descriptor = tableD1;
      level2Into(rec, phys, cfg, tableD1 | 0, at, off, "read", false);
    } else {
      walkPageInto(rec, phys, cfg, l1Base, at, off, "read", false, null);
      if (rec.reachedL2) {
        tableIdx = idx1;
        tableD1 = rec.l1Descriptor;
      } else tableIdx = -1;
    }
    visit(rec, at, off);
    at = rec.ok ? rec.leafPfn + (rec.pageSize >>> 12) : at + 1;
    off = 0;
  }
}

/** One table walk as objects (steps, leaf, translation): `walkInto`, then the record described. */
export function walk(
  phys: PhysMemory,
  cfg: WalkConfig,
  l1Base: number,
  iova: number,
  access: Access,
  sideEffects: boolean,
  walkCache: TableWalkCache | null,
): WalkResult {
  walkInto(WALK_SCRATCH, phys, cfg, l1Base, iova, access, sideEffects, walkCache);
  return walkResultOf(WALK_SCRATCH, iova, access);
}

/** walk()'s record: walkResultOf copies everything out before anything can walk again. */
const WALK_SCRATCH = new WalkRecord();

/** The objects `walk()` returns, built from a record of a walk of `iova` for `access`. */
export function walkResultOf(rec: WalkRecord, iova: number, access: Access): WalkResult {
  const steps: WalkStep[] = [];
  const l1Fault = rec.fault === "walk-bus-error" && !rec.reachedL2;
  if (rec.l1Cached) steps.push({ level: 1, descriptorPa: rec.l1Pa, descriptor: rec.l1Descriptor, kind: "table", cached: true });
  else steps.push({ level: 1, descriptorPa: rec.l1Pa, descriptor: rec.l1Descriptor, kind: l1Fault ? "bus-error" : l1Kind(rec.l1Descriptor) });
  if (rec.reachedL2) {
    const l2Fault = rec.fault === "walk-bus-error";
    steps.push({ level: 2, descriptorPa: rec.l2Pa, descriptor: rec.l2Descriptor, kind: l2Fault ? "bus-error" : l2Kind(rec.l2Descriptor) });
  }
  const leaf = rec.leaf ? leafOfRecord(rec) : null;
  if (rec.ok) {
    return {
      translation: { ok: true, iova, pa: rec.pa, busPa: rec.busPa, pageSize: rec.pageSize, writable: rec.writable, fromTlb: false, steps },
      leaf,
      reads: rec.reads,
    };
  }
  return { translation: { ok: false, fault: faultOfRecord(rec, iova, access), steps }, leaf, reads: rec.reads };
}

/** The leaf a record reached (`rec.leaf` true), as the TLB caches it. */
export function leafOfRecord(rec: WalkRecord): Leaf {
  return {
    iovaBase: rec.iovaBase,
    pageSize: rec.pageSize,
    paBase: rec.paBase,
    busPaBase: rec.busPaBase,
    writable: rec.writable,
    level: rec.level,
    descriptorPa: rec.descriptorPa,
    descriptor: rec.descriptor,
  };
}

/** The fault of a record that is not ok, for a walk of `iova` for `access`. */
export function faultOfRecord(rec: WalkRecord, iova: number, access: Access): Fault {
  return {
    type: rec.fault as FaultType,
    iova,
    access,
    level: rec.level,
    descriptorPa: rec.descriptorPa,
    descriptor: rec.descriptor,
  };
}

/** The fault a TLB hit raises (a write through a cached read-only leaf), or null. */
export function tlbHitFault(leaf: Leaf, iova: number, access: Access): Fault | null {
  if (access !== "write" || leaf.writable) return null;
  return { type: "permission", iova, access, level: leaf.level, descriptorPa: leaf.descriptorPa, descriptor: leaf.descriptor };
}
