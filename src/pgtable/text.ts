// SPDX-License-Identifier: GPL-2.0-only
/**
 * The texts of io-pgtable-arm-v7s.c the engine follows, as data. `V7S_TEXTS` says what each text does
 * (its quirk bits, its map/unmap ops, its TLB callbacks, ...); `decodeV7s` (config.ts) combines a text
 * with one io_pgtable_cfg, once, at alloc, into the readonly `V7sText` capability record a table is
 * built on. The engine, the format, the split paths and the dumps read the record's fields: no code
 * compares a version name, and a quirk bit is never read without its text.
 *
 * Sources: nojick/test419@115e53ca (v4.19), v6.6.36, and torvalds/linux after fd50651636fb (v6.13,
 * "iommu/io-pgtable-arm-v7s: Remove split on unmap behavior"): drivers/iommu/io-pgtable-arm-v7s.c and
 * io-pgtable.h (drivers/iommu/ in 4.19, include/linux/ later).
 */
import type { PgtableFamily } from "../core/era.ts";
import { EINVAL } from "../core/errors.ts";
import {
  QUIRK_ARM_MTK_EXT,
  QUIRK_ARM_MTK_TTBR_EXT,
  QUIRK_ARM_NS,
  QUIRK_NO_PERMS,
  QUIRK_V419_ARM_MTK_4GB,
  QUIRK_V419_NO_DMA,
  QUIRK_V419_TLBI_ON_MAP,
} from "./types.ts";

/** Every io-pgtable quirk meaning a v7s text knows, by its IO_PGTABLE_QUIRK_* name. */
export type V7sQuirk = "ARM_NS" | "NO_PERMS" | "TLBI_ON_MAP" | "ARM_MTK_4GB" | "NO_DMA" | "ARM_MTK_EXT" | "ARM_MTK_TTBR_EXT";

/** What one quirk needs, and how a text that lacks it explains the absence. */
export interface QuirkInfo {
  /** arm_v7s_alloc_pgtable refuses the quirk without this one. */
  readonly requires?: V7sQuirk;
  /** Appended to "does not exist in Linux X" (only where the release is known). */
  readonly history?: string;
}

export const QUIRKS: Readonly<Record<V7sQuirk, QuirkInfo>> = {
  ARM_NS: {},
  NO_PERMS: {},
  TLBI_ON_MAP: {},
  ARM_MTK_4GB: { requires: "NO_PERMS" },
  NO_DMA: {},
  ARM_MTK_EXT: { requires: "NO_PERMS" },
  // Yong Wu's "Add a quirk to allow pgtable PA up to 35bit" series (posted mid-2022).
  ARM_MTK_TTBR_EXT: { requires: "ARM_MTK_EXT", history: "added about v6.0" },
};

/** The facts of one text of io-pgtable-arm-v7s.c. */
export interface V7sTextFacts {
  /** Names the text in messages (never compared). */
  readonly name: PgtableFamily;
  /** The io-pgtable.h bit of every quirk this text defines; arm_v7s_alloc_pgtable refuses any other bit. */
  readonly quirkBits: Readonly<Partial<Record<V7sQuirk, number>>>;
  /** `.map`/`.unmap` of one page per call (iommu_map loops), or `map_pages`/`unmap_pages` with a count. */
  readonly mapOps: "per-page" | "map_pages";
  /** A partial unmap of a large entry: split it (pre-6.13), or WARN_ONCE and unmap nothing (fd50651636fb). */
  readonly partialUnmap: "split" | "refuse";
  /** What a map with neither IOMMU_READ nor IOMMU_WRITE returns: 0 ("If no access, then nothing to do"), or -EINVAL. */
  readonly protWithoutRW: number;
  /**
   * The range check of map/unmap: `upper_32_bits(iova) || upper_32_bits(paddr)` (checked after the prot
   * test), or `iova >= 1 << ias || paddr >= 1 << oas` (checked before it).
   */
  readonly rangeCheck: "upper-32-bits" | "ias-oas";
  /** iommu_gather_ops (tlb_add_flush + tlb_sync) or iommu_flush_ops (tlb_flush_walk, tlb_add_page). */
  readonly tlbCallbacks: "gather-ops" | "flush-ops";
  /** The fit check of __arm_v7s_alloc_table says "Page table does not fit in PTE" (silent in 4.19). */
  readonly fitCheckLogs: boolean;
  /** cfg->arm_v7s_cfg.tcr after alloc. */
  readonly tcr: number;
  /** The text still reports the second TTBR (always 0). */
  readonly reportsTtbr1: boolean;
  /** L1 entries when the text does not size the L1 table from ias (1 << (ias - 20)); else null. */
  readonly fixedL1Entries: number | null;
  /** TTBR walk attributes: always the coherent ones (4.19), or chosen by coherent_walk. */
  readonly ttbrWalkAttrs: "always-coherent" | "by-coherent-walk";
  /** What turns off the DMA API cache maintenance of table writes. */
  readonly dmaSkippedBy: "NO_DMA" | "coherent_walk";
  /** ARM_V7S_ADDR_BITS-style limits on ias/oas, and the wider ones ARM_MTK_EXT allows. */
  readonly maxIas: number;
  readonly maxOas: number;
  readonly mtkExtMaxIas: number;
  readonly mtkExtMaxOas: number;
}

const V419: V7sTextFacts = {
  name: "v4.19",
  quirkBits: {
    ARM_NS: QUIRK_ARM_NS,
    NO_PERMS: QUIRK_NO_PERMS,
    TLBI_ON_MAP: QUIRK_V419_TLBI_ON_MAP,
    ARM_MTK_4GB: QUIRK_V419_ARM_MTK_4GB,
    NO_DMA: QUIRK_V419_NO_DMA,
  },
  mapOps: "per-page",
  partialUnmap: "split",
  protWithoutRW: 0,
  rangeCheck: "upper-32-bits",
  tlbCallbacks: "gather-ops",
  fitCheckLogs: false,
  // ARM_V7S_TCR_PD1: 4.17-4.19 disabled TTBR1 walks.
  tcr: 0x20,
  reportsTtbr1: true,
  fixedL1Entries: 4096,
  ttbrWalkAttrs: "always-coherent",
  dmaSkippedBy: "NO_DMA",
  maxIas: 32,
  maxOas: 32,
  mtkExtMaxIas: 32,
  mtkExtMaxOas: 32,
};

const V6_6: V7sTextFacts = {
  name: "v6.6",
  quirkBits: { ARM_NS: QUIRK_ARM_NS, NO_PERMS: QUIRK_NO_PERMS, ARM_MTK_EXT: QUIRK_ARM_MTK_EXT, ARM_MTK_TTBR_EXT: QUIRK_ARM_MTK_TTBR_EXT },
  mapOps: "map_pages",
  partialUnmap: "split",
  protWithoutRW: 0,
  rangeCheck: "ias-oas",
  tlbCallbacks: "flush-ops",
  fitCheckLogs: true,
  tcr: 0,
  reportsTtbr1: false,
  fixedL1Entries: null,
  ttbrWalkAttrs: "by-coherent-walk",
  dmaSkippedBy: "coherent_walk",
  maxIas: 32,
  maxOas: 32,
  mtkExtMaxIas: 34,
  mtkExtMaxOas: 35,
};

/**
 * 5.10 (Rtoax/linux-5.10.13 d6144f7f8ff1:drivers/iommu/io-pgtable-arm-v7s.c, include/linux/io-pgtable.h):
 * `.map`/`.unmap` per page with iommu_flush_ops, quirks ARM_NS|NO_PERMS|TLBI_ON_MAP|ARM_MTK_EXT (BIT(3))
 * and no ARM_MTK_TTBR_EXT, the fixed 4096-entry L1 (_ARM_V7S_LVL_BITS), tcr 0, one ttbr with walk
 * attributes from coherent_walk, "Page table does not fit in PTE", oas up to 34 with ARM_MTK_EXT.
 * Simplifications: its BIT(4) NON_STRICT quirk has no meaning here (so bit 16 is refused, where 5.10
 * accepts it); arm_v7s_map tests prot before the ias/oas range and arm_v7s_unmap tests upper_32_bits(iova),
 * modelled as `ias-oas` (the same outcome for ias 32 except for a map with no access to an out-of-range
 * address); with ARM_MTK_EXT the 5.10 TTBR keeps its attribute bits, which mtk_iommu masks off with
 * GENMASK(31, 7) before writing PT_BASE, so the shared ttbrFor gives the same register value.
 */
const V5_10: V7sTextFacts = {
  ...V6_6,
  name: "v5.10",
  quirkBits: { ARM_NS: QUIRK_ARM_NS, NO_PERMS: QUIRK_NO_PERMS, TLBI_ON_MAP: QUIRK_V419_TLBI_ON_MAP, ARM_MTK_EXT: QUIRK_ARM_MTK_EXT },
  mapOps: "per-page",
  fixedL1Entries: 4096,
  mtkExtMaxIas: 32,
  mtkExtMaxOas: 34,
};

export const V7S_TEXTS: Readonly<Record<PgtableFamily, V7sTextFacts>> = {
  "v4.19": V419,
  "v5.10": V5_10,
  "v6.6": V6_6,
  latest: { ...V6_6, name: "latest", partialUnmap: "refuse", protWithoutRW: -EINVAL },
};

/**
 * The capability record of one page table: its text's facts and its config's quirks, decoded once at
 * alloc. A quirk flag is true only where the text defines the quirk and the config sets its bit.
 */
export interface V7sText extends V7sTextFacts {
  /** The config's quirk bits, as the text numbers them. */
  readonly quirks: number;
  readonly armNs: boolean;
  readonly noPerms: boolean;
  readonly tlbiOnMap: boolean;
  /** v4.19 ARM_MTK_4GB: bit 9 set in every leaf, a flag for the M4U rather than an address bit. */
  readonly mtk4gb: boolean;
  readonly noDma: boolean;
  /** ARM_MTK_EXT: PTE bits 9/4/5 carry PA bits 32/33/34 (ias up to 34, oas up to 35). */
  readonly mtkExt: boolean;
  /** ARM_MTK_TTBR_EXT: table descriptors carry PA bits 32-34 too, so tables may live up to 2^oas. */
  readonly ttbrExt: boolean;
  /** Table writes are followed by DMA API cache maintenance (no NO_DMA, or coherent_walk false). */
  readonly dmaMaintained: boolean;
  readonly l1Entries: number;
  /** map/unmap WARN and fail at or above these (2^32 for upper_32_bits texts, else 2^ias and 2^oas). */
  readonly iovaLimit: number;
  readonly paddrLimit: number;
  /** The fit check's bound for a table's physical address: 2^oas with ARM_MTK_TTBR_EXT, else 4 GiB. */
  readonly tablePaLimit: number;
}

/** Why alloc_io_pgtable_ops returned NULL (or why a quirk cannot be asked of an era), as a value. */
export type V7sRefusalCode =
  | "ias-too-wide"
  | "oas-too-wide"
  | "quirk-unknown-bits"
  | "quirk-needs-quirk"
  | "quirk-not-in-era"
  | "l1-alloc-failed"
  | "table-does-not-fit"
  | "dma-translation";

export interface V7sRefusal {
  readonly code: V7sRefusalCode;
  readonly message: string;
}

/** The quirk names a text defines, in bit order. */
export function quirksOf(facts: V7sTextFacts): V7sQuirk[] {
  const names = Object.keys(facts.quirkBits) as V7sQuirk[];
  return names.sort((a, b) => (facts.quirkBits[a] ?? 0) - (facts.quirkBits[b] ?? 0));
}
