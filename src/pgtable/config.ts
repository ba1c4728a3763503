// SPDX-License-Identifier: GPL-2.0-only
/**
 * arm_v7s_alloc_pgtable's config checks and the register values it computes: decode a text and a config
 * into the table's capability record, or a refusal naming the rule.
 */
import type { Era } from "../core/era.ts";
import { SZ_4G, lower32, upper32 } from "../core/u32.ts";
import { QUIRKS, V7S_TEXTS, quirksOf, type V7sQuirk, type V7sRefusal, type V7sText, type V7sTextFacts } from "./text.ts";
import type { V7sConfig } from "./types.ts";

export const PGSIZE_BITMAP_V7S = 0x1000 | 0x10000 | 0x100000 | 0x1000000;
export const PRRR = 0x800b8204;
export const NMRR = 0x40004000;
/** TTBR attributes: S | NOS | IRGN(WBWA) | ORGN(WBWA) for coherent walks, S only otherwise. */
const TTBR_ATTR_COHERENT = 0x6a;
const TTBR_ATTR_NONCOHERENT = 0x2;

export type DecodeResult = { readonly ok: true; readonly text: V7sText } | { readonly ok: false; readonly refusal: V7sRefusal };

const refuse = (code: V7sRefusal["code"], message: string): DecodeResult => ({ ok: false, refusal: { code, message } });

/**
 * arm_v7s_alloc_pgtable's checks of `cfg` under `facts`, and the capability record when they pass.
 * Throws RangeError for values no io_pgtable_cfg can hold (negative, fractional, ias below 20).
 */
export function decodeV7s(cfg: V7sConfig, facts: V7sTextFacts): DecodeResult {
  for (const [name, v] of [
    ["ias", cfg.ias],
    ["oas", cfg.oas],
    ["quirks", cfg.quirks],
    ["pgsizeBitmap", cfg.pgsizeBitmap],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`V7sConfig.${name} = ${v}: must be a non-negative integer`);
  }
  const has = (q: V7sQuirk): boolean => {
    const bit = facts.quirkBits[q];
    return bit !== undefined && (cfg.quirks & bit) !== 0;
  };
  const mtkExt = has("ARM_MTK_EXT");
  // A text without ARM_MTK_EXT has one limit (ARM_V7S_ADDR_BITS); the others name the quirk that widens it.
  const note = facts.quirkBits.ARM_MTK_EXT === undefined ? `${facts.name} ARM_V7S_ADDR_BITS` : `${mtkExt ? "with" : "without"} ARM_MTK_EXT`;
  const maxIas = mtkExt ? facts.mtkExtMaxIas : facts.maxIas;
  const maxOas = mtkExt ? facts.mtkExtMaxOas : facts.maxOas;
  if (cfg.ias > maxIas) return refuse("ias-too-wide", `ias ${cfg.ias} > ${maxIas} (${note})`);
  if (cfg.oas > maxOas) return refuse("oas-too-wide", `oas ${cfg.oas} > ${maxOas} (${note})`);
  const known = quirksOf(facts);
  const mask = known.reduce((m, q) => m | (facts.quirkBits[q] ?? 0), 0);
  if (cfg.quirks & ~mask) {
    return refuse("quirk-unknown-bits", `quirks 0x${cfg.quirks.toString(16)}: the ${facts.name} text accepts only ${known.join("|")} (0x${mask.toString(16)})`);
  }
  for (const q of known) {
    const needs = QUIRKS[q].requires;
    if (needs !== undefined && has(q) && !has(needs)) return refuse("quirk-needs-quirk", `${q} requires ${needs}`);
  }
  const noDma = has("NO_DMA");
  const ttbrExt = has("ARM_MTK_TTBR_EXT");
  let l1Entries = facts.fixedL1Entries;
  if (l1Entries === null) {
    if (cfg.ias < 20) throw new RangeError(`V7sConfig.ias = ${cfg.ias}: below 20 the L1 index has no bits`);
    l1Entries = 2 ** (cfg.ias - 20);
  }
  const upper32Check = facts.rangeCheck === "upper-32-bits";
  // Every field spelt out (no spread): one object shape for every table, so the engine's loads of it
  // stay monomorphic.
  const text: V7sText = {
    name: facts.name,
    quirkBits: facts.quirkBits,
    mapOps: facts.mapOps,
    partialUnmap: facts.partialUnmap,
    protWithoutRW: facts.protWithoutRW,
    rangeCheck: facts.rangeCheck,
    tlbCallbacks: facts.tlbCallbacks,
    fitCheckLogs: facts.fitCheckLogs,
    tcr: facts.tcr,
    reportsTtbr1: facts.reportsTtbr1,
    fixedL1Entries: facts.fixedL1Entries,
    ttbrWalkAttrs: facts.ttbrWalkAttrs,
    dmaSkippedBy: facts.dmaSkippedBy,
    maxIas: facts.maxIas,
    maxOas: facts.maxOas,
    mtkExtMaxIas: facts.mtkExtMaxIas,
    mtkExtMaxOas: facts.mtkExtMaxOas,
    quirks: cfg.quirks,
    armNs: has("ARM_NS"),
    noPerms: has("NO_PERMS"),
    tlbiOnMap: has("TLBI_ON_MAP"),
    mtk4gb: has("ARM_MTK_4GB"),
    noDma,
    mtkExt,
    ttbrExt,
    dmaMaintained: facts.dmaSkippedBy === "NO_DMA" ? !noDma : !cfg.coherentWalk,
    l1Entries,
    iovaLimit: upper32Check ? SZ_4G : 2 ** cfg.ias,
    paddrLimit: upper32Check ? SZ_4G : 2 ** cfg.oas,
    tablePaLimit: ttbrExt ? 2 ** cfg.oas : SZ_4G,
  };
  return { ok: true, text: Object.freeze(text) };
}

/** Null when `era`'s text accepts the config, else the rule it breaks (alloc_io_pgtable_ops returns NULL). */
export function configRefusal(cfg: V7sConfig, era: Era): V7sRefusal | null {
  const d = decodeV7s(cfg, V7S_TEXTS[era.pgtable]);
  return d.ok ? null : d.refusal;
}

/**
 * The quirk bits of `names` as `era`'s io-pgtable.h numbers them, or a `quirk-not-in-era` refusal for
 * the first name the era's text does not define (a 4.19 driver cannot ask for ARM_MTK_TTBR_EXT: its bit
 * 16 is NO_DMA there).
 */
export function quirkBits(
  era: Era,
  names: readonly V7sQuirk[],
): { readonly ok: true; readonly bits: number } | { readonly ok: false; readonly refusal: V7sRefusal } {
  const facts = V7S_TEXTS[era.pgtable];
  let bits = 0;
  for (const q of names) {
    const bit = facts.quirkBits[q];
    if (bit === undefined) {
      const history = QUIRKS[q].history;
      return {
        ok: false,
        refusal: {
          code: "quirk-not-in-era",
          message: `IO_PGTABLE_QUIRK_${q} does not exist in Linux ${era.name}${history === undefined ? "" : ` (${history})`}`,
        },
      };
    }
    bits |= bit;
  }
  return { ok: true, bits };
}

/** The TTBR value for a pgd at `pgdPa`: its address (PA bits 32-34 folded in with ARM_MTK_EXT) and walk attributes. */
export function ttbrFor(pgdPa: number, text: V7sText, coherentWalk: boolean): number {
  if (text.mtkExt) return (lower32(pgdPa) | upper32(pgdPa)) >>> 0;
  const coherent = text.ttbrWalkAttrs === "always-coherent" || coherentWalk;
  return (lower32(pgdPa) | (coherent ? TTBR_ATTR_COHERENT : TTBR_ATTR_NONCOHERENT)) >>> 0;
}
