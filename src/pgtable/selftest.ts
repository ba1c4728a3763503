// SPDX-License-Identifier: GPL-2.0-only
/**
 * arm_v7s_do_selftests for each era: the boot-time self test of io-pgtable-arm-v7s.c, run against the
 * engine on a private arena. Pre-6.13 texts (v4.19, v6.6) add the "Partial unmap" step that exercises the
 * split paths. The dummy TLB callbacks WARN (recorded, as in the kernel they do not fail the test) when a
 * size shares no bit with the page-size bitmap.
 */
import { era as eraProfile, type EraName } from "../core/era.ts";
import { SZ_16M, SZ_4K } from "../core/u32.ts";
import { GFP_KERNEL } from "../mm/gfp.ts";
import { PhysMemory } from "../phys/memory.ts";
import { customPlatform } from "../phys/platform.ts";
import { ArenaTableMemory } from "../strategies/arena.ts";
import { PGSIZE_BITMAP_V7S } from "./config.ts";
import { allocV7s } from "./engine.ts";
import { V7S_TEXTS } from "./text.ts";
import { IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_READ, IOMMU_WRITE, type EngineEnv, type V7sConfig } from "./types.ts";

export type SelftestResult =
  | { readonly ok: true; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly step: string; readonly warnings: readonly string[] };

const SZ_1G = 0x4000_0000;
const TABLE_BASE = 0x4000_0000;
const PLATFORM = customPlatform("selftest", [{ start: TABLE_BASE, end: TABLE_BASE + 0x400_0000 }]);

/** The page sizes of a bitmap in find_first_bit / find_next_bit order. */
function pageSizes(bitmap: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 32; b++) if (bitmap & (2 ** b)) out.push(2 ** b);
  return out;
}

export function runSelftest(eraName: EraName = "latest"): SelftestResult {
  const era = eraProfile(eraName);
  const facts = V7S_TEXTS[era.pgtable];
  const bits = facts.quirkBits;
  const warnings: string[] = [];
  const cfg: V7sConfig = {
    ias: 32,
    oas: 32,
    // Texts without coherent_walk skip cache maintenance with the NO_DMA quirk instead.
    quirks: (bits.ARM_NS ?? 0) | (facts.dmaSkippedBy === "NO_DMA" ? (bits.NO_DMA ?? 0) : 0),
    pgsizeBitmap: PGSIZE_BITMAP_V7S,
    coherentWalk: true,
  };
  const checkSize = (what: string, size: number): void => {
    if (!(size & cfg.pgsizeBitmap)) warnings.push(`${what}: size 0x${size.toString(16)} not in the page-size bitmap`);
  };
  const env: EngineEnv = {
    era,
    mem: new ArenaTableMemory(new PhysMemory(PLATFORM), TABLE_BASE),
    tlb: {
      tlbFlushAll: () => {},
      tlbFlushWalk: (_iova, size) => checkSize("tlb_flush_walk", size),
      tlbAddPage: (_g, _iova, granule) => checkSize("tlb_add_page", granule),
      tlbAddFlush: (_iova, size) => checkSize("tlb_add_flush", size),
      tlbSync: () => {},
    },
    log: { warn: (kind, text) => warnings.push(`${kind}: ${text}`), error: (text) => warnings.push(text) },
    selftestRunning: true,
  };
  const res = allocV7s(cfg, env);
  if (!res.ok) return { ok: false, step: "selftest: failed to allocate io pgtable ops", warnings };
  const ops = res.table;
  const fail = (step: string): SelftestResult => ({ ok: false, step, warnings });
  const perPage = facts.mapOps === "per-page";
  const mapOne = (iova: number, pa: number, size: number, prot: number): number =>
    perPage ? ops.map(iova, pa, size, prot) : ops.mapPages(iova, pa, size, 1, prot, GFP_KERNEL).ret;
  const unmapOne = (iova: number, size: number): number => (perPage ? ops.unmap(iova, size) : ops.unmapPages(iova, size, 1, null));

  for (const iova of [42, SZ_1G + 42, 2 * SZ_1G + 42]) {
    if (ops.iovaToPhys(iova) !== 0) return fail(`iova_to_phys(0x${iova.toString(16)}) of an empty table is not 0`);
  }
  const sizes = pageSizes(ops.out.pgsizeBitmap);
  let iova = 0;
  for (const size of sizes) {
    const hexs = `0x${size.toString(16)}`;
    if (mapOne(iova, iova, size, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE) !== 0)
      return fail(`map ${hexs} at 0x${iova.toString(16)}: distinct mapping failed`);
    if (mapOne(iova, iova + size, size, IOMMU_READ | IOMMU_NOEXEC) === 0)
      return fail(`map ${hexs} at 0x${iova.toString(16)}: overlapping mapping did not fail`);
    if (ops.iovaToPhys(iova + 42) !== iova + 42) return fail(`iova_to_phys(0x${(iova + 42).toString(16)}) after mapping ${hexs}`);
    iova += SZ_16M;
  }
  if (facts.partialUnmap === "split") {
    // "Partial unmap" (removed with split in fd50651636fb, v6.13).
    const size = sizes[0] ?? SZ_4K;
    for (let i = 1; i < sizes.length; i++) {
      const at = i * SZ_16M + size;
      if (unmapOne(at, size) !== size) return fail(`partial unmap of 0x${size.toString(16)} at 0x${at.toString(16)}`);
      if (mapOne(at, size, size, IOMMU_READ) !== 0) return fail(`remap of partial unmap at 0x${at.toString(16)}`);
      if (ops.iovaToPhys(at + 42) !== size + 42) return fail(`iova_to_phys(0x${(at + 42).toString(16)}) after partial unmap and remap`);
    }
  }
  iova = 0;
  for (const size of sizes) {
    const hexs = `0x${size.toString(16)}`;
    if (unmapOne(iova, size) !== size) return fail(`full unmap of ${hexs} at 0x${iova.toString(16)}`);
    if (ops.iovaToPhys(iova + 42) !== 0) return fail(`iova_to_phys(0x${(iova + 42).toString(16)}) after full unmap of ${hexs}`);
    if (mapOne(iova, iova, size, IOMMU_WRITE) !== 0) return fail(`remap of ${hexs} at 0x${iova.toString(16)} after full unmap`);
    if (ops.iovaToPhys(iova + 42) !== iova + 42) return fail(`iova_to_phys(0x${(iova + 42).toString(16)}) after remapping ${hexs}`);
    iova += SZ_16M;
  }
  ops.free();
  return { ok: true, warnings };
}

export const SELFTEST_OK_LINE = "arm-v7s io-pgtable: self test ok";
