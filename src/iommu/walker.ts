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
  L1_CONT_MASK,
  L1_MASK,
  L2_CONT_MASK,
  L2_MASK,
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

/** The IOVA's L1 index (bits ias-1:20). */
export function l1Index(iova: number, ias: number): number {
  return Math.floor(iova / SZ_1M) % l1EntryCount(ias);
}

/**
 * One table walk. With `sideEffects` false (probe) nothing outside RAM is touched, so PhysMemory records
 * no bus error; with it true the failing read is issued as the hardware would, and PhysMemory records it.
 */
export function walk(
  phys: PhysMemory,
  cfg: WalkConfig,
  l1Base: number,
  iova: number,
  access: Access,
  sideEffects: boolean,
  walkCache: TableWalkCache | null,
): WalkResult {
  const steps: WalkStep[] = [];
  let reads = 0;

  const idx1 = l1Index(iova, cfg.ias);
  const l1Pa = l1Base + 4 * idx1;
  let d1 = walkCache?.get(idx1);
  if (d1 !== undefined) {
    steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: "table", cached: true });
  } else {
    if (!phys.isRam(l1Pa, 4)) {
      if (sideEffects) phys.read32(l1Pa);
      steps.push({ level: 1, descriptorPa: l1Pa, descriptor: 0, kind: "bus-error" });
      return faultResult("walk-bus-error", iova, access, 1, l1Pa, 0, steps, null, reads);
    }
    d1 = phys.read32(l1Pa);
    reads++;
    const k1 = l1Kind(d1);
    if (k1 === "invalid") {
      steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: k1 });
      return faultResult("translation", iova, access, 1, l1Pa, d1, steps, null, reads);
    }
    if (k1 !== "table") {
      steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: k1 });
      const superS = k1 === "supersection";
      return leafResult(cfg, iova, access, 1, l1Pa, d1, superS ? SZ_16M : SZ_1M, superS ? L1_CONT_MASK : L1_MASK, steps, reads);
    }
    steps.push({ level: 1, descriptorPa: l1Pa, descriptor: d1, kind: "table" });
    walkCache?.set(idx1, d1);
  }

  // A 32-bit pointer unless the table-PA extension is wired (the driver's iopte_to_paddr ORs the MTK
  // bits into any entry; this hardware only honours them on tables with TTBR_EXT).
  let l2Base = (d1 & TABLE_MASK) >>> 0;
  if (cfg.mtkTtbrExt) l2Base += mtkHighBits(d1) * SZ_4G;
  const l2Pa = l2Base + 4 * (Math.floor(iova / SZ_4K) & 0xff);
  if (!phys.isRam(l2Pa, 4)) {
    if (sideEffects) phys.read32(l2Pa);
    steps.push({ level: 2, descriptorPa: l2Pa, descriptor: 0, kind: "bus-error" });
    return faultResult("walk-bus-error", iova, access, 2, l2Pa, 0, steps, null, reads);
  }
  const d2 = phys.read32(l2Pa);
  reads++;
  const k2 = l2Kind(d2);
  steps.push({ level: 2, descriptorPa: l2Pa, descriptor: d2, kind: k2 });
  if (k2 === "invalid") return faultResult("translation", iova, access, 2, l2Pa, d2, steps, null, reads);
  const small = k2 === "small";
  return leafResult(cfg, iova, access, 2, l2Pa, d2, small ? SZ_4K : SZ_64K, small ? L2_MASK : L2_CONT_MASK, steps, reads);
}

function leafResult(
  cfg: WalkConfig,
  iova: number,
  access: Access,
  level: 1 | 2,
  descriptorPa: number,
  descriptor: number,
  pageSize: number,
  addrMask: number,
  steps: WalkStep[],
  reads: number,
): WalkResult {
  const field = (descriptor & addrMask) >>> 0;
  const busPaBase = cfg.mtkExt ? field + mtkHighBits(descriptor) * SZ_4G : field;
  const iovaBase = iova - (iova % pageSize);
  const offset = iova - iovaBase;
  let paBase = busPaBase;
  if (cfg.fourGbMode) {
    const cpu = fourGbBusToCpu(busPaBase);
    if (cpu === null) return faultResult("invalid-pa", iova, access, level, descriptorPa, descriptor, steps, null, reads);
    paBase = cpu;
  }
  const writable = cfg.noPerms || (descriptor & (level === 1 ? AP2_L1 : AP2_L2)) === 0;
  const leaf: Leaf = { iovaBase, pageSize, paBase, busPaBase, writable, level, descriptorPa, descriptor };
  if (access === "write" && !writable) return faultResult("permission", iova, access, level, descriptorPa, descriptor, steps, leaf, reads);
  return {
    translation: { ok: true, iova, pa: paBase + offset, busPa: busPaBase + offset, pageSize, writable, fromTlb: false, steps },
    leaf,
    reads,
  };
}

// A plain function, not a closure per walk: the walk is the hot path of every device access.
function faultResult(
  type: FaultType,
  iova: number,
  access: Access,
  level: 1 | 2,
  descriptorPa: number,
  descriptor: number,
  steps: WalkStep[],
  leaf: Leaf | null,
  reads: number,
): WalkResult {
  return { translation: { ok: false, fault: { type, iova, access, level, descriptorPa, descriptor }, steps }, leaf, reads };
}

/** The fault a TLB hit raises (a write through a cached read-only leaf), or null. */
export function tlbHitFault(leaf: Leaf, iova: number, access: Access): Fault | null {
  if (access !== "write" || leaf.writable) return null;
  return { type: "permission", iova, access, level: leaf.level, descriptorPa: leaf.descriptorPa, descriptor: leaf.descriptor };
}
