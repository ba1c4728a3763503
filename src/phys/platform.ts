// SPDX-License-Identifier: GPL-2.0-only
/** Platform memory maps: RAM banks and the SoC facts the model needs. */
import { PAGE_SIZE } from "../core/bits.ts";

export interface RamBank {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface Platform {
  readonly name: string;
  readonly description: string;
  readonly ram: readonly RamBank[];
  /** Present CPUs: SLUB's calculate_order and the IOVA rcache take it as an input. */
  readonly cpus: number;
  /** MT8173-style "4GB mode": the M4U sees CPU PA 1-4 GiB at 5-8 GiB (bit 32 set). */
  readonly iommu4gbMode: boolean;
  /** Device-tree dma-ranges limit (exclusive) for v5.11+ zone_dma_bits; null when the DT does not restrict it. */
  readonly dmaRangesLimit: number | null;
}

const PLATFORMS: readonly Platform[] = [
  {
    name: "mt8173-elm-4g",
    description: "MT8173 'elm' Chromebook (Acer R13) with 4 GiB: DRAM 0x4000_0000-0x1_4000_0000, 1 GiB above 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0x1_4000_0000 }],
    cpus: 4,
    iommu4gbMode: true,
    dmaRangesLimit: null,
  },
  {
    name: "mt8173-elm-2g",
    description: "MT8173 'elm' with 2 GiB (the DT placeholder size): DRAM 0x4000_0000-0xC000_0000, all below 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0xc000_0000 }],
    cpus: 4,
    iommu4gbMode: false,
    dmaRangesLimit: null,
  },
  {
    name: "arm64-8g",
    description: "Generic arm64 board with 8 GiB at 0x8000_0000-0x2_8000_0000 (2 GiB below 4 GiB), 8 CPUs",
    ram: [{ start: 0x8000_0000, end: 0x2_8000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: null,
  },
];

export const PLATFORM_NAMES = PLATFORMS.map((p) => p.name);

/** Throws RangeError naming the known platforms when `name` is not one. */
export function platform(name: string): Platform {
  const p = PLATFORMS.find((x) => x.name === name);
  if (p === undefined) throw new RangeError(`unknown platform "${name}" (known: ${PLATFORM_NAMES.join(", ")})`);
  return p;
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
