// SPDX-License-Identifier: GPL-2.0-only
/** Hand-built tables for the IOMMU tests: PTEs written straight into PhysMemory with known values. */
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform, platform } from "../../src/phys/platform.ts";
import type { RamBank } from "../../src/phys/platform.ts";

export function memory(ram: readonly RamBank[]): PhysMemory {
  return new PhysMemory(customPlatform("iommu-test", ram));
}

/** RAM over the whole low 4 GiB, so the selftest vectors' low output PAs are RAM too. */
export function flatMemory(): PhysMemory {
  return memory([{ start: 0, end: 0x1_0000_0000 }]);
}

export function elm4g(): PhysMemory {
  return new PhysMemory(platform("mt8173-elm-4g"));
}

/** arm64-8g: RAM 0x8000_0000-0x2_8000_0000, so a truncated pointer to a table at 6-10 GiB lands in RAM. */
export function arm64_8g(): PhysMemory {
  return new PhysMemory(platform("arm64-8g"));
}

/** Writes an L1 descriptor for `iova` into the L1 table at `l1`. */
export function setL1(phys: PhysMemory, l1: number, iova: number, desc: number, ias = 32): number {
  const pa = l1 + 4 * (Math.floor(iova / 0x100000) % 2 ** (ias - 20));
  phys.write32(pa, desc);
  return pa;
}

/** Writes an L2 descriptor for `iova` into the L2 table at `l2`. */
export function setL2(phys: PhysMemory, l2: number, iova: number, desc: number): number {
  const pa = l2 + 4 * (Math.floor(iova / 0x1000) & 0xff);
  phys.write32(pa, desc);
  return pa;
}

/** An L1 table descriptor as the v7s engine installs it: pointer bits 31:10 | NS (bit 3) | type 01. */
export function tableDesc(l2Pa: number): number {
  return ((l2Pa % 0x1_0000_0000) | 0x8 | 0x1) >>> 0;
}

/** MTK config leaf PTE (ARM_NS|NO_PERMS|MTK_EXT, prot R|W) for a 4K page at `pa` (35-bit). */
export function mtkSmall(pa: number): number {
  return (mtkBits(pa) | ((pa % 0x1_0000_0000) - (pa % 0x1000)) | 0xc42) >>> 0;
}

export function mtkSection(pa: number): number {
  return (mtkBits(pa) | ((pa % 0x1_0000_0000) - (pa % 0x100000)) | 0xb1002) >>> 0;
}

function mtkBits(pa: number): number {
  const hi = Math.floor(pa / 0x1_0000_0000);
  return ((hi & 1) << 9) | ((hi & 2) << 3) | ((hi & 4) << 3);
}
