// SPDX-License-Identifier: GPL-2.0-only
/**
 * Qualcomm APQ8064 (Nexus 7 2013 'flo', IFC6410) with 2 GiB: the non-MTK v7s user.
 * - msm_iommu: `depends on ARM` (32-bit only); cfg ias = oas = 32, no quirks (AP permissions on, no NS),
 *   aperture 0..2^32-1 (K619:drivers/iommu/msm_iommu.c:msm_iommu_domain_config, drivers/iommu/Kconfig:MSM_IOMMU);
 *   4.19 added IO_PGTABLE_QUIRK_TLBI_ON_MAP (K419:drivers/iommu/msm_iommu.c). Instances mdp_port0
 *   @0x07500000 and mdp_port1 @0x07600000 (display), gfx3d/gfx3d1 (GPU) in K619:arch/arm/boot/dts/qcom/qcom-apq8064.dtsi;
 *   each has its own table.
 * - Zones: 32-bit ARM has no ZONE_DMA32; mach-qcom selects no ZONE_DMA (K619:arch/arm/mach-qcom, mm/Kconfig:
 *   ZONE_DMA defaults to y only on ARM64/X86), so ARM_V7S_TABLE_GFP_DMA is GFP_DMA
 *   (K619:drivers/iommu/io-pgtable-arm-v7s.c) and GFP_DMA means ZONE_NORMAL (lowmem). arm zone_sizes_init:
 *   ZONE_NORMAL = lowmem, ZONE_HIGHMEM above (K619:arch/arm/mm/init.c:zone_sizes_init). With VMSPLIT_3G,
 *   vmalloc_limit = VMALLOC_END - 240 MiB - VMALLOC_OFFSET - PAGE_OFFSET + PHYS_OFFSET, i.e. 768 MiB of lowmem
 *   (K619:arch/arm/mm/mmu.c:adjust_lowmem_bounds). The model has no HIGHMEM zone: the preset's RAM is the
 *   768 MiB of lowmem at 0x8000_0000, and the 1.25 GiB of highmem (which no table or GFP_KERNEL page can
 *   come from) is left out.
 * - 4 cpu nodes (K619:arch/arm/boot/dts/qcom/qcom-apq8064.dtsi); memory@0 is a placeholder the bootloader
 *   fills; 2 GiB at 0x8000_0000 [unverified].
 * - Support: msm_iommu on v7s in K419; no older tree read.
 */
import type { Platform } from "../platform.ts";
import { K419, K619 } from "./sources.ts";

const SRC = `${K619}:drivers/iommu/msm_iommu.c; ${K619}:arch/arm/boot/dts/qcom/qcom-apq8064.dtsi`;

export const APQ8064: readonly Platform[] = [
  {
    name: "apq8064-2g",
    description: "Qualcomm APQ8064 (32-bit ARM, msm_iommu, permissions on) with 2 GiB: 768 MiB lowmem at 0x8000_0000 modelled, highmem left out",
    ram: [{ start: 0x8000_0000, end: 0xb000_0000 }],
    cpus: 4,
    iommu4gbMode: false,
    dmaRangesLimit: null,
    soc: "apq8064",
    config: { arch: "arm", zoneDma: false, zoneDma32: false },
    iommus: [
      {
        name: "mdp_port0",
        compatible: "qcom,apq8064-iommu",
        driver: "msm_iommu",
        base: 0x0750_0000,
        flags: [],
        ttbrExtEras: [],
        shareGroup: null,
        regions: [{ name: "0-4G", base: 0, size: 0x1_0000_0000 }],
        masters: [{ name: "display", kind: "display", larb: 0, region: 0 }],
        source: SRC,
      },
      {
        name: "mdp_port1",
        compatible: "qcom,apq8064-iommu",
        driver: "msm_iommu",
        base: 0x0760_0000,
        flags: [],
        ttbrExtEras: [],
        shareGroup: null,
        regions: [{ name: "0-4G", base: 0, size: 0x1_0000_0000 }],
        masters: [{ name: "display1", kind: "display", larb: 0, region: 0 }],
        source: SRC,
      },
    ],
    support: {
      eras: ["v4.19", "v5.10", "v6.6", "latest"],
      unverified: ["v4.14"],
      present: [4, 19],
      absent: null,
      source: `${K419}:drivers/iommu/msm_iommu.c (alloc_io_pgtable_ops(ARM_V7S, ...))`,
    },
    source: `${K619}:arch/arm/boot/dts/qcom/qcom-apq8064.dtsi (cpus, memory@0), arch/arm/mm/mmu.c, arch/arm/mm/init.c`,
  },
];
