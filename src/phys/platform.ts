// SPDX-License-Identifier: GPL-2.0-only
/**
 * Platforms: the RAM banks, CPUs and IOMMU instances of a board, the kernel configuration facts that
 * decide its zones, and the releases in which the kernel supports its SoC. The presets live in
 * src/phys/platforms/<soc>.ts, each number with the DT or driver source it comes from.
 */
import { PAGE_SIZE } from "../core/bits.ts";
import type { Era, EraName } from "../core/era.ts";
import { InputError } from "../core/errors.ts";
import { PRESETS } from "./platforms/index.ts";

export interface RamBank {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

/** A mainline release as [major, minor]. */
export type Release = readonly [number, number];

export function releaseName(r: Release): string {
  return `${r[0]}.${r[1]}`;
}

/** For reading user input (a boot log's "Linux version"); the model's own behaviour never compares releases. */
export function releaseAtLeast(r: Release, min: Release): boolean {
  return r[0] !== min[0] ? r[0] > min[0] : r[1] >= min[1];
}

/**
 * Where the kernel knows the SoC: the model's eras whose kernel has it (read per era, so no version
 * names are compared), eras no tree was read for, the first release read in which driver and DT support
 * it, and the newest release read in which they do not (null when no older tree was read).
 */
export interface SocSupport {
  readonly eras: readonly EraName[];
  /** Eras older than every tree read: refused as unverified rather than guessed. */
  readonly unverified: readonly EraName[];
  readonly present: Release;
  readonly absent: Release | null;
  /** repo@commit:path of the trees read. */
  readonly source: string;
}

/**
 * One IOVA region of an instance (mtk_iommu_iova_region). `size: "4g"` is a 4 GiB window less the era's
 * gap (MTK_IOMMU_IOVA_SZ_4G = SZ_4G - SZ_8M from v6.4, SZ_4G before): the same gap the era's
 * single_domain aperture has.
 */
export interface IovaRegion {
  readonly name: string;
  readonly base: number;
  readonly size: number | "4g";
}

/** A bus master behind an IOMMU instance: its larb and the IOVA region its larb/port mask selects. */
export interface IommuMaster {
  readonly name: string;
  /** Function, for device profiles: display, vdec, venc, camera, mdp, jpeg, ccu. */
  readonly kind: "display" | "vdec" | "venc" | "camera" | "mdp" | "jpeg" | "ccu" | "other";
  readonly larb: number;
  /** Index into the instance's regions (mtk_iommu_get_iova_region_id). */
  readonly region: number;
}

export interface IommuInstance {
  /** Short name ("m4u", "vdo", "vpp", "infra"). */
  readonly name: string;
  readonly compatible: string;
  readonly driver: "mtk_iommu" | "msm_iommu";
  /** Register base, as the boot log names the device ("14018000.iommu"). */
  readonly base: number;
  /** mtk_iommu_plat_data flags that decide the page table (others are listed only in the source comment). */
  readonly flags: readonly ("HAS_4GB_MODE" | "HAS_VLD_PA_RNG" | "IOVA_34_EN" | "SHARE_PGTABLE" | "PGTABLE_PA_35_EN" | "PM_CLK_AO")[];
  /** Eras whose plat data sets PGTABLE_PA_35_EN (IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT). */
  readonly ttbrExtEras: readonly EraName[];
  /** Instances with the same group share one v7s table (SHARE_PGTABLE, one hw_list); null: own table. */
  readonly shareGroup: string | null;
  readonly regions: readonly IovaRegion[];
  readonly masters: readonly IommuMaster[];
  /** repo@commit:path:symbol of the plat data and DT node. */
  readonly source: string;
}

/** Kernel configuration facts that decide the zones and the v7s table gfp. */
export interface KernelConfig {
  /** arm64 zones follow the release's arch/arm64/mm/init.c; 32-bit arm's follow arch/arm/mm/init.c. */
  readonly arch: "arm64" | "arm";
  /**
   * CONFIG_ZONE_DMA / CONFIG_ZONE_DMA32. On arm64 `true` means "as the release's Kconfig has it" (4.19
   * has no ZONE_DMA whatever the board); `false` builds without it (Android's single memory zone).
   * 32-bit arm has no ZONE_DMA32; its ZONE_DMA exists only when a selected machine selects it.
   */
  readonly zoneDma: boolean;
  readonly zoneDma32: boolean;
}

export interface Platform {
  readonly name: string;
  readonly description: string;
  readonly ram: readonly RamBank[];
  /** Present CPUs: SLUB's calculate_order and the IOVA rcache take it as an input. */
  readonly cpus: number;
  /** MT8173-style "4GB mode": the M4U sees CPU PA 1-4 GiB at 5-8 GiB (bit 32 set). */
  readonly iommu4gbMode: boolean;
  /** Device-tree dma-ranges limit (exclusive: of_dma_get_max_cpu_address + 1) for v5.11+ ZONE_DMA; null when the DT does not restrict it. */
  readonly dmaRangesLimit: number | null;
  /** SoC name ("mt8195"); "custom" for maps built in code or read from a file. */
  readonly soc?: string;
  readonly config?: KernelConfig;
  /** Probe order: the order of the DT nodes. Absent: one MT8173-like M4U (the model's default). */
  readonly iommus?: readonly IommuInstance[];
  readonly support?: SocSupport;
  /** repo@commit:path of the DT memory, cpus and dma-ranges. */
  readonly source?: string;
}

const PLATFORMS: readonly Platform[] = PRESETS;

export const PLATFORM_NAMES = PLATFORMS.map((p) => p.name);

export function isPlatformName(name: string): boolean {
  return PLATFORM_NAMES.includes(name);
}

/** Throws RangeError naming the known platforms when `name` is not one. */
export function platform(name: string): Platform {
  const p = PLATFORMS.find((x) => x.name === name);
  if (p === undefined) throw new RangeError(`unknown platform "${name}" (known: ${PLATFORM_NAMES.join(", ")})`);
  return p;
}

export function allPlatforms(): readonly Platform[] {
  return PLATFORMS;
}

/** A platform with the given RAM banks (page-aligned, non-empty), for tests and custom maps. */
export function customPlatform(name: string, ram: readonly RamBank[], cpus = 4): Platform {
  for (const b of ram) {
    if (!(b.start % PAGE_SIZE === 0 && b.end % PAGE_SIZE === 0 && b.end > b.start)) {
      throw new RangeError(`platform ${name}: RAM bank 0x${b.start.toString(16)}-0x${b.end.toString(16)} is not page-aligned and non-empty`);
    }
  }
  return { name, description: "custom", ram, cpus, iommu4gbMode: false, dmaRangesLimit: null };
}

/** A preset used with an era older than its SoC's support: the message names both releases. */
export class PlatformEraError extends InputError {
  readonly code = "PLATFORM_ERA_UNSUPPORTED";
  readonly platform: string;
  readonly era: string;
  constructor(p: Platform, era: Era, problem: string) {
    // A neutral place; the CLI shows it as the flag (cli/errors.ts).
    super(p.name, `era ${era.name}`, problem);
    this.platform = p.name;
    this.era = era.name;
  }
}

/** Throws PlatformEraError when `era`'s kernel does not have (or is not known to have) the platform's SoC. */
export function checkPlatformEra(p: Platform, era: Era): void {
  const s = p.support;
  if (s === undefined || s.eras.includes(era.name)) return;
  const soc = (p.soc ?? p.name).toUpperCase();
  const first = `first supported in Linux ${releaseName(s.present)} among the trees read`;
  if (s.unverified.includes(era.name)) throw new PlatformEraError(p, era, `${soc} support in Linux ${era.name} is not verified (${first})`);
  const absent = s.absent === null ? "" : `absent in ${releaseName(s.absent)}; `;
  throw new PlatformEraError(p, era, `Linux ${era.name} does not support the ${soc} (${absent}${first}; eras with it: ${s.eras.join(", ")})`);
}

/** The IOMMU instances of a platform; a platform without a list has MT8173's single M4U. */
export function iommuInstances(p: Platform): readonly IommuInstance[] {
  return p.iommus ?? [];
}
