// SPDX-License-Identifier: GPL-2.0-only
/**
 * The ARMv7 short-descriptor format as io-pgtable-arm-v7s.c writes it: one field table per descriptor type
 * (FIELDS) drives the encoder (prot -> PTE, the contiguous transforms), the decoder (PTE -> kind, fields,
 * output address), the one-line pretty printer and the masks the engine and the IOMMU walker use.
 *
 *   L1 index = iova[31:20] (ias-20 bits; v4.19 always 12)     L2 index = iova[19:12]     offset = iova[11:0]
 *   L1: 00 invalid | 01 table (ptr 31:10) | 1x section (PA 31:20), bit 18 = supersection (PA 31:24, 16 copies)
 *   L2: 00 invalid | 01 large page (PA 31:16, 16 copies) | 1x small page (PA 31:12; bit 0 is XN)
 */
import { SZ_4G, hex, upper32 } from "../core/u32.ts";
import type { V7sText } from "./text.ts";
import { IOMMU_CACHE, IOMMU_MMIO, IOMMU_NOEXEC, IOMMU_PRIV, IOMMU_READ, IOMMU_WRITE } from "./types.ts";

export type Level = 1 | 2;

/** The quirk flags that change what a PTE holds. */
export type PteFormat = Pick<V7sText, "noPerms" | "armNs" | "mtkExt" | "mtk4gb">;

export interface PteField {
  readonly name: string;
  /** Least significant bit. */
  readonly lsb: number;
  readonly width: number;
  readonly meaning: string;
}

export type DescriptorType = "l1-table" | "l1-section" | "l1-supersection" | "l2-small" | "l2-large";

const f = (name: string, lsb: number, width: number, meaning: string): PteField => ({ name, lsb, width, meaning });

/** One field table per descriptor type (the ARM_V7S_* macros of io-pgtable-arm-v7s.c). MTK bits are in MTK_FIELDS. */
export const FIELDS: Readonly<Record<DescriptorType, readonly PteField[]>> = {
  "l1-table": [
    f("type", 0, 2, "01: pointer to an L2 table"),
    f("NS", 3, 1, "non-secure table (ATTR_NS_TABLE, quirk ARM_NS)"),
    f("table", 10, 22, "L2 table address bits 31:10 (1 KiB aligned, below 4 GiB unless MTK_TTBR_EXT)"),
  ],
  "l1-section": [
    f("type", 0, 2, "1x: section (1 MiB)"),
    f("B", 2, 1, "bufferable (TEX remap index bit 0)"),
    f("C", 3, 1, "cacheable (TEX remap index bit 1)"),
    f("XN", 4, 1, "execute never"),
    f("AF", 10, 1, "AP0 used as access flag"),
    f("UNPRIV", 11, 1, "AP1: unprivileged access"),
    f("TEX", 12, 3, "TEX[2:0]; TEX[0] is TEX remap index bit 2"),
    f("RDONLY", 15, 1, "AP2: read-only"),
    f("S", 16, 1, "shareable"),
    f("nG", 17, 1, "not global"),
    f("NS", 19, 1, "non-secure (quirk ARM_NS)"),
    f("pa", 20, 12, "output address bits 31:20"),
  ],
  "l1-supersection": [
    f("type", 0, 2, "1x: section, with bit 18 set: supersection (16 MiB, 16 identical entries)"),
    f("B", 2, 1, "bufferable"),
    f("C", 3, 1, "cacheable"),
    f("XN", 4, 1, "execute never"),
    f("AF", 10, 1, "access flag"),
    f("UNPRIV", 11, 1, "unprivileged access"),
    f("TEX", 12, 3, "TEX[2:0]"),
    f("RDONLY", 15, 1, "read-only"),
    f("S", 16, 1, "shareable"),
    f("nG", 17, 1, "not global"),
    f("SUPER", 18, 1, "supersection (ARM_V7S_CONT_SECTION)"),
    f("NS", 19, 1, "non-secure"),
    f("pa", 24, 8, "output address bits 31:24"),
  ],
  "l2-small": [
    f("XN", 0, 1, "execute never"),
    f("type", 1, 1, "1: small page (4 KiB)"),
    f("B", 2, 1, "bufferable"),
    f("C", 3, 1, "cacheable"),
    f("AF", 4, 1, "access flag"),
    f("UNPRIV", 5, 1, "unprivileged access"),
    f("TEX", 6, 3, "TEX[2:0]"),
    f("RDONLY", 9, 1, "read-only"),
    f("S", 10, 1, "shareable"),
    f("nG", 11, 1, "not global"),
    f("pa", 12, 20, "output address bits 31:12"),
  ],
  "l2-large": [
    f("type", 0, 2, "01: large page (64 KiB, 16 identical entries)"),
    f("B", 2, 1, "bufferable"),
    f("C", 3, 1, "cacheable"),
    f("AF", 4, 1, "access flag"),
    f("UNPRIV", 5, 1, "unprivileged access"),
    f("RDONLY", 9, 1, "read-only"),
    f("S", 10, 1, "shareable"),
    f("nG", 11, 1, "not global"),
    f("TEX", 12, 3, "TEX[2:0] (moved up by CONT_PAGE_TEX_SHIFT)"),
    f("XN", 15, 1, "execute never (CONT_PAGE_XN_SHIFT)"),
    f("pa", 16, 16, "output address bits 31:16"),
  ],
};

/** MTK PA-extension bits, which overlay AP/XN bits (free because MTK_EXT requires NO_PERMS). */
export const MTK_FIELDS: readonly PteField[] = [
  f("PA32", 9, 1, "PA bit 32 (MTK_EXT)"),
  f("PA33", 4, 1, "PA bit 33 (MTK_EXT)"),
  f("PA34", 5, 1, "PA bit 34 (MTK_EXT)"),
];

/** v4.19 IO_PGTABLE_QUIRK_ARM_MTK_4GB: bit 9 in every leaf, a flag rather than an address bit. */
export const MTK_4GB_FIELD: PteField = f("MTK_4GB", 9, 1, "v4.19 ARM_MTK_4GB flag (overlays AP2, free because the quirk requires NO_PERMS)");

function fieldValue(pte: number, field: PteField): number {
  return (pte >>> field.lsb) & (field.width === 32 ? 0xffffffff : (1 << field.width) - 1);
}

/** The bits a field occupies, in place. */
function fieldMask(field: PteField): number {
  return ((2 ** field.width - 1) * 2 ** field.lsb) >>> 0;
}

/** `value` placed in a field. */
function put(field: PteField, value: number): number {
  if (value < 0 || value >= 2 ** field.width) throw new RangeError(`${field.name} = ${value}: does not fit ${field.width} bits`);
  return (value * 2 ** field.lsb) >>> 0;
}

type FieldsByName = Readonly<Record<string, PteField>>;

function byName(type: DescriptorType, names: readonly string[]): FieldsByName {
  const out: Record<string, PteField> = {};
  for (const name of names) {
    const fl = FIELDS[type].find((x) => x.name === name);
    if (fl === undefined) throw new Error(`FIELDS["${type}"] has no field ${name}`);
    out[name] = fl;
  }
  return out;
}

const LEAF_NAMES = ["type", "B", "C", "XN", "AF", "UNPRIV", "TEX", "RDONLY", "S", "nG", "pa"] as const;
type LeafFields = Readonly<Record<(typeof LEAF_NAMES)[number], PteField>>;
const field = (fs: FieldsByName, name: string): PteField => fs[name] as PteField;
const leafFields = (type: DescriptorType): LeafFields => byName(type, LEAF_NAMES) as LeafFields;

const SECTION = leafFields("l1-section");
const SMALL = leafFields("l2-small");
const LARGE = leafFields("l2-large");
const SECTION_NS = field(byName("l1-section", ["NS"]), "NS");
const SUPER = field(byName("l1-supersection", ["SUPER"]), "SUPER");
/** The plain (non-contiguous) leaf of each level. */
const LEAF: Readonly<Record<Level, LeafFields>> = { 1: SECTION, 2: SMALL };

export const PTE_TYPE_TABLE = 0x1;
/** ARM_V7S_PTE_TYPE_PAGE: bit 1, the section's `1x` and the small page's type bit. */
export const PTE_TYPE_PAGE = fieldMask(SMALL.type);
const PTE_TYPE_CONT_PAGE = 0x1;
export const L2_ENTRIES = 256;
export const L2_TABLE_BYTES = 1024;
export const TABLE_MASK = fieldMask(field(byName("l1-table", ["table"]), "table"));
export const L1_MASK = fieldMask(SECTION.pa);
export const L2_MASK = fieldMask(SMALL.pa);
export const L1_CONT_MASK = fieldMask(field(byName("l1-supersection", ["pa"]), "pa"));
export const L2_CONT_MASK = fieldMask(LARGE.pa);
export const ATTR_NS_TABLE = fieldMask(field(byName("l1-table", ["NS"]), "NS"));
export const CONT_SECTION = fieldMask(SUPER);

/** ARM_V7S_ATTR_SHIFT(lvl): where the attribute byte (AP0 ... nG) sits, 10 at L1 and 4 at L2. */
export const attrShift = (lvl: Level): number => 16 - 6 * lvl;
/** AP2 (read-only) inside the attribute byte. */
export const ATTR_AP2_RDONLY = fieldMask(SMALL.RDONLY) >>> attrShift(2);
if (fieldMask(SECTION.RDONLY) >>> attrShift(1) !== ATTR_AP2_RDONLY) throw new Error("FIELDS: RDONLY is not at the same attribute-byte offset at L1 and L2");

/** MediaTek PA extension (IO_PGTABLE_QUIRK_ARM_MTK_EXT): PA bit 32 -> PTE bit 9, 33 -> 4, 34 -> 5. */
const MTK_PA_BIT32 = fieldMask(MTK_FIELDS[0] as PteField);
const MTK_PA_BIT33 = fieldMask(MTK_FIELDS[1] as PteField);
const MTK_PA_BIT34 = fieldMask(MTK_FIELDS[2] as PteField);

const lvlMask = (lvl: Level): number => (lvl === 1 ? L1_MASK : L2_MASK);
export const blockSize = (lvl: Level): number => (lvl === 1 ? 0x100000 : 0x1000);

const isL1Table = (pte: number): boolean => (pte & 3) === PTE_TYPE_TABLE;

/** arm_v7s_pte_is_cont: a supersection at L1 (non-table with bit 18), a large page at L2 (bit 1 clear). */
export function isCont(pte: number, lvl: Level): boolean {
  if (lvl === 1) return (pte & 3) !== PTE_TYPE_TABLE && (pte & CONT_SECTION) !== 0;
  return (pte & PTE_TYPE_PAGE) === 0;
}

export type EntryKind = "invalid" | "table" | "section" | "supersection" | "small" | "large";

export function l1Kind(pte: number): EntryKind {
  if ((pte & 3) === 0) return "invalid";
  if ((pte & 3) === PTE_TYPE_TABLE) return "table";
  return pte & CONT_SECTION ? "supersection" : "section";
}

export function l2Kind(pte: number): EntryKind {
  if ((pte & 3) === 0) return "invalid";
  return pte & PTE_TYPE_PAGE ? "small" : "large";
}

export function entryKind(lvl: Level, pte: number): EntryKind {
  return lvl === 1 ? l1Kind(pte) : l2Kind(pte);
}

/** to_mtk_iopte: fold PA bits 34:32 into the PTE. */
export function toMtkIopte(paddr: number, pte: number): number {
  const hi = upper32(paddr);
  let p = pte;
  if (hi & 1) p |= MTK_PA_BIT32;
  if (hi & 2) p |= MTK_PA_BIT33;
  if (hi & 4) p |= MTK_PA_BIT34;
  return p >>> 0;
}

/** PA bits 34:32 encoded in a PTE's MTK bits, as a number (0..7). */
export function mtkHighBits(pte: number): number {
  return (pte & MTK_PA_BIT32 ? 1 : 0) | (pte & MTK_PA_BIT33 ? 2 : 0) | (pte & MTK_PA_BIT34 ? 4 : 0);
}

/**
 * arm_v7s_prot_to_pte without the contiguous transform and the address. v4.19 also ORs the MTK_4GB bit
 * into every leaf here (so section splits re-add it).
 */
export function protToPte(prot: number, lvl: Level, fmt: PteFormat): number {
  const t = LEAF[lvl];
  // ARM_V7S_PTE_TYPE_PAGE: the section's type `10`, the small page's type bit.
  let pte = put(t.type, lvl === 1 ? 0b10 : 1) | put(t.nG, 1) | put(t.S, 1);
  if (!(prot & IOMMU_MMIO)) pte |= put(t.TEX, 1);
  const ap = !fmt.noPerms;
  if (ap) {
    pte |= put(t.AF, 1);
    if (!(prot & IOMMU_PRIV)) pte |= put(t.UNPRIV, 1);
    if (!(prot & IOMMU_WRITE)) pte |= put(t.RDONLY, 1);
    if (prot & IOMMU_NOEXEC) pte |= put(t.XN, 1);
  }
  if (prot & IOMMU_MMIO) pte |= put(t.B, 1);
  else if (prot & IOMMU_CACHE) pte |= put(t.B, 1) | put(t.C, 1);
  if (lvl === 1 && fmt.armNs) pte |= put(SECTION_NS, 1);
  if (fmt.mtk4gb) pte |= put(MTK_4GB_FIELD, 1);
  return pte >>> 0;
}

/** arm_v7s_pte_to_cont: L1 sets SUPER; L2 moves XN and TEX to their large-page places and retypes to 01. */
export function pteToCont(pte: number, lvl: Level): number {
  if (lvl === 1) return (pte | CONT_SECTION) >>> 0;
  const p = pte & ~(fieldMask(SMALL.XN) | fieldMask(SMALL.TEX) | fieldMask(SMALL.type));
  return (p | put(LARGE.XN, fieldValue(pte, SMALL.XN)) | put(LARGE.TEX, fieldValue(pte, SMALL.TEX)) | put(LARGE.type, PTE_TYPE_CONT_PAGE)) >>> 0;
}

/** arm_v7s_cont_to_pte (pre-6.13 split path): the inverse transform. */
export function contToPte(pte: number, lvl: Level): number {
  if (lvl === 1) return (pte & ~CONT_SECTION) >>> 0;
  const p = pte & ~(fieldMask(LARGE.XN) | fieldMask(LARGE.TEX) | fieldMask(LARGE.type));
  return (p | put(SMALL.XN, fieldValue(pte, LARGE.XN)) | put(SMALL.TEX, fieldValue(pte, LARGE.TEX)) | put(SMALL.type, 1)) >>> 0;
}

/** arm_v7s_pte_to_prot (pre-6.13; removed with split in fd50651636fb) of a plain leaf. */
export function pteToProt(pte: number, lvl: Level): number {
  const t = LEAF[lvl];
  let prot = IOMMU_READ;
  if (!fieldValue(pte, t.RDONLY)) prot |= IOMMU_WRITE;
  if (!fieldValue(pte, t.UNPRIV)) prot |= IOMMU_PRIV;
  if (fieldValue(pte, t.TEX) === 0) prot |= IOMMU_MMIO;
  else if (fieldValue(pte, t.C)) prot |= IOMMU_CACHE;
  if (fieldValue(pte, t.XN)) prot |= IOMMU_NOEXEC;
  return prot;
}

/** paddr_to_iopte: the address bits of a leaf (u32-masked) plus the MTK bits when MTK_EXT is on. */
export function paddrToIopte(paddr: number, lvl: Level, fmt: PteFormat): number {
  // `%` on a double is a slow fmod call: skip it below 4 GiB.
  const pte = ((paddr < SZ_4G ? paddr : paddr % SZ_4G) & lvlMask(lvl)) >>> 0;
  return fmt.mtkExt ? toMtkIopte(paddr, pte) : pte;
}

/**
 * iopte_to_paddr: the output (or next-table) address the driver computes. Tables use bits 31:10, leaves
 * the level mask, contiguous leaves the mask times 16; MTK_EXT ORs PA bits 32-34 back in for any entry.
 */
export function ioptePaddr(pte: number, lvl: Level, fmt: PteFormat): number {
  let mask: number;
  if (lvl === 1 && isL1Table(pte)) mask = TABLE_MASK;
  else if (isCont(pte, lvl)) mask = lvl === 1 ? L1_CONT_MASK : L2_CONT_MASK;
  else mask = lvlMask(lvl);
  const low = (pte & mask) >>> 0;
  return fmt.mtkExt ? mtkHighBits(pte) * SZ_4G + low : low;
}

export function descriptorType(lvl: Level, pte: number): DescriptorType | null {
  switch (entryKind(lvl, pte)) {
    case "table":
      return "l1-table";
    case "section":
      return "l1-section";
    case "supersection":
      return "l1-supersection";
    case "small":
      return "l2-small";
    case "large":
      return "l2-large";
    default:
      return null;
  }
}

export interface DecodedPte {
  readonly level: Level;
  readonly pte: number;
  readonly kind: EntryKind;
  readonly type: DescriptorType | null;
  /** Field name -> value, from the descriptor type's field table (MTK bits shown as PA32..34 when on). */
  readonly fields: Readonly<Record<string, number>>;
  /** iopte_to_paddr: output address, or next-table address for an L1 table; null when invalid. */
  readonly address: number | null;
  /** Bytes one entry maps (4K/64K/1M/16M), or 1 KiB of table for an L1 table; 0 when invalid. */
  readonly span: number;
}

export function decodePte(lvl: Level, pte: number, fmt: PteFormat): DecodedPte {
  const p = pte >>> 0;
  const kind = entryKind(lvl, p);
  const type = descriptorType(lvl, p);
  const fields: Record<string, number> = {};
  const mtk = fmt.mtkExt;
  if (type !== null) {
    // Bits the MTK quirks reuse for PA bits: MTK_EXT's 9/4/5, and v4.19 ARM_MTK_4GB's bit 9 (free only
    // because both require NO_PERMS), shown under their MTK names instead of AP2/AP0/AP1.
    const mtk4gb = fmt.mtk4gb && kind !== "table";
    const overlaid = new Set(kind === "table" ? [] : mtk ? MTK_FIELDS.map((m) => m.lsb) : mtk4gb ? [MTK_4GB_FIELD.lsb] : []);
    for (const fl of FIELDS[type]) {
      if (fl.width === 1 && overlaid.has(fl.lsb)) continue;
      fields[fl.name] = fieldValue(p, fl);
    }
    if (mtk) for (const m of MTK_FIELDS) fields[m.name] = fieldValue(p, m);
    if (mtk4gb) fields[MTK_4GB_FIELD.name] = fieldValue(p, MTK_4GB_FIELD);
  }
  const span =
    kind === "table" ? 1024 : kind === "section" ? 0x100000 : kind === "supersection" ? 0x1000000 : kind === "small" ? 0x1000 : kind === "large" ? 0x10000 : 0;
  return { level: lvl, pte: p, kind, type, fields, address: kind === "invalid" ? null : ioptePaddr(p, lvl, fmt), span };
}

/** Flags in print order; TEX follows UNPRIV as `TEX=n`. */
const FLAG_ORDER = ["NS", "AF", "UNPRIV", "RDONLY", "S", "nG", "XN", "MTK_4GB"];

/** One line: `small  pa=0x40123000 AF UNPRIV TEX=1 S nG XN` (B/C shown as B C; table: `table  l2=0x…`). */
export function describePte(lvl: Level, pte: number, fmt: PteFormat): string {
  const d = decodePte(lvl, pte, fmt);
  if (d.kind === "invalid") return pte === 0 ? "empty" : `invalid ${hex(pte >>> 0, 8)}`;
  const parts: string[] = [d.kind.padEnd(6), d.kind === "table" ? `l2=${hex(d.address ?? 0)}` : `pa=${hex(d.address ?? 0)}`];
  if (d.kind === "table") {
    if (d.fields["NS"]) parts.push("NS");
    return parts.join(" ");
  }
  if (d.fields["B"]) parts.push("B");
  if (d.fields["C"]) parts.push("C");
  for (const name of FLAG_ORDER) {
    if (d.fields[name]) parts.push(name);
    if (name === "UNPRIV" && d.fields["TEX"] !== undefined) parts.push(`TEX=${d.fields["TEX"]}`);
  }
  return parts.join(" ");
}
