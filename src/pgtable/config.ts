// SPDX-License-Identifier: GPL-2.0-only
/** arm_v7s_alloc_pgtable's config checks and the register values it computes, per era. */
import type { PgtableFamily } from "../core/era.ts";
import { lower32, upper32 } from "../core/u32.ts";
import {
  QUIRK_ARM_MTK_EXT,
  QUIRK_ARM_MTK_TTBR_EXT,
  QUIRK_ARM_NS,
  QUIRK_NO_PERMS,
  QUIRK_V419_ARM_MTK_4GB,
  QUIRK_V419_NO_DMA,
  QUIRK_V419_TLBI_ON_MAP,
  type V7sConfig,
} from "./types.ts";

export const PGSIZE_BITMAP_V7S = 0x1000 | 0x10000 | 0x100000 | 0x1000000;
export const PRRR = 0x800b8204;
export const NMRR = 0x40004000;
/** ARM_V7S_TCR_PD1: 4.17-4.19 disabled TTBR1 walks; later TCR is 0. */
export const TCR_V419 = 0x20;
/** TTBR attributes: S | NOS | IRGN(WBWA) | ORGN(WBWA) for coherent walks, S only otherwise. */
export const TTBR_ATTR_COHERENT = 0x6a;
export const TTBR_ATTR_NONCOHERENT = 0x2;

const LATEST_QUIRKS = QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_ARM_MTK_EXT | QUIRK_ARM_MTK_TTBR_EXT;
const V419_QUIRKS = QUIRK_ARM_NS | QUIRK_NO_PERMS | QUIRK_V419_TLBI_ON_MAP | QUIRK_V419_ARM_MTK_4GB | QUIRK_V419_NO_DMA;

/** Null when the config is accepted, else the rule it breaks (alloc_io_pgtable_ops returns NULL). */
export function configRefusal(cfg: V7sConfig, family: PgtableFamily): string | null {
  for (const [name, v] of [["ias", cfg.ias], ["oas", cfg.oas], ["quirks", cfg.quirks], ["pgsizeBitmap", cfg.pgsizeBitmap]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`V7sConfig.${name} = ${v}: must be a non-negative integer`);
  }
  if (family === "v4.19") {
    if (cfg.ias > 32) return `ias ${cfg.ias} > 32 (v4.19 ARM_V7S_ADDR_BITS)`;
    if (cfg.oas > 32) return `oas ${cfg.oas} > 32 (v4.19 ARM_V7S_ADDR_BITS)`;
    if (cfg.quirks & ~V419_QUIRKS) return `quirks 0x${cfg.quirks.toString(16)}: v4.19 accepts only ARM_NS|NO_PERMS|TLBI_ON_MAP|ARM_MTK_4GB|NO_DMA (0x1f)`;
    if (cfg.quirks & QUIRK_V419_ARM_MTK_4GB && !(cfg.quirks & QUIRK_NO_PERMS)) return "ARM_MTK_4GB requires NO_PERMS";
    return null;
  }
  const mtk = (cfg.quirks & QUIRK_ARM_MTK_EXT) !== 0;
  if (cfg.ias > (mtk ? 34 : 32)) return `ias ${cfg.ias} > ${mtk ? 34 : 32} (${mtk ? "with" : "without"} ARM_MTK_EXT)`;
  if (cfg.oas > (mtk ? 35 : 32)) return `oas ${cfg.oas} > ${mtk ? 35 : 32} (${mtk ? "with" : "without"} ARM_MTK_EXT)`;
  if (cfg.quirks & ~LATEST_QUIRKS) return `quirks 0x${cfg.quirks.toString(16)}: v7s accepts only ARM_NS|NO_PERMS|ARM_MTK_EXT|ARM_MTK_TTBR_EXT (0x1b)`;
  if (mtk && !(cfg.quirks & QUIRK_NO_PERMS)) return "ARM_MTK_EXT requires NO_PERMS";
  if (cfg.quirks & QUIRK_ARM_MTK_TTBR_EXT && !mtk) return "ARM_MTK_TTBR_EXT requires ARM_MTK_EXT";
  return null;
}

/** L1 entries: 1 << (ias - 20) since the MTK 34-bit IOVA work; v4.19 always 4096. */
export function l1EntryCount(cfg: V7sConfig, family: PgtableFamily): number {
  if (family === "v4.19") return 4096;
  if (cfg.ias < 20) throw new RangeError(`V7sConfig.ias = ${cfg.ias}: below 20 the L1 index has no bits`);
  return 2 ** (cfg.ias - 20);
}

export function ttbrFor(pgdPa: number, cfg: V7sConfig, family: PgtableFamily): number {
  if (family === "v4.19") return (lower32(pgdPa) | TTBR_ATTR_COHERENT) >>> 0;
  if (cfg.quirks & QUIRK_ARM_MTK_EXT) return (lower32(pgdPa) | upper32(pgdPa)) >>> 0;
  return (lower32(pgdPa) | (cfg.coherentWalk ? TTBR_ATTR_COHERENT : TTBR_ATTR_NONCOHERENT)) >>> 0;
}

/** Are table writes followed by DMA cache maintenance? (coherent_walk false; v4.19: NO_DMA absent) */
export function dmaMaintained(cfg: V7sConfig, family: PgtableFamily): boolean {
  return family === "v4.19" ? (cfg.quirks & QUIRK_V419_NO_DMA) === 0 : !cfg.coherentWalk;
}
