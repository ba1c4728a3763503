// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT8186 'corsola' Chromebooks (steelix, krabby...).
 * - IOMMU: iommu_mm @0x14016000 (K619:arch/arm64/boot/dts/mediatek/mt8186.dtsi). Plat data mt8186_data_mm:
 *   IOVA_34_EN, no SHARE_PGTABLE, no HAS_4GB_MODE: ias 34, oas 35, mt8192_multi_dom with
 *   mt8186_larb_region_msk (region 0 larb0/1/2, region 1 larb4/7, region 2 larb8-20, 4/5 CCU ports).
 *   PGTABLE_PA_35_EN is absent in K519 (5.19.0) and K66 (6.6.57) and present in K613 (6.13.7) and K619; the
 *   release between 6.7 and 6.13 that added it is not pinned down; of the model's eras only `latest` has it.
 * - 8 CPUs; soc dma-ranges <0 0 0 0 0x4 0>; the vdec node's own dma-ranges end at CPU 0x1_3fef_ffff,
 *   above 4 GiB, so ZONE_DMA is still capped at 4 GiB (K619:.../mt8186.dtsi:video-decoder@16000000).
 *   The preset keeps the smallest CPU end of_dma_get_max_cpu_address finds: 0x1_3ff0_0000 exclusive.
 * - RAM: mt8186-corsola.dtsi memory@40000000 has size 0 ("filled in by the bootloader"); the preset is
 *   an 8 GiB board [unverified shipping size].
 * - Support: present in K519 (5.19.0) and K66, absent in 5.17-rc5 (per the DMA audit).
 */
import type { Platform } from "../platform.ts";
import { MT8192_MULTI_DOM } from "./regions.ts";
import { K519, K613, K619, K66 } from "./sources.ts";

export const MT8186: readonly Platform[] = [
  {
    name: "mt8186-corsola-8g",
    description:
      "MT8186 'corsola' Chromebook with 8 GiB: DRAM 0x4000_0000-0x2_4000_0000, ias-34 M4U; tables below 4 GiB up to 6.6, anywhere with TTBR_EXT later",
    ram: [{ start: 0x4000_0000, end: 0x2_4000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: 0x1_3ff0_0000,
    soc: "mt8186",
    config: { arch: "arm64", zoneDma: true, zoneDma32: true },
    iommus: [
      {
        name: "mm",
        compatible: "mediatek,mt8186-iommu-mm",
        driver: "mtk_iommu",
        base: 0x1401_6000,
        flags: ["IOVA_34_EN", "PGTABLE_PA_35_EN"],
        ttbrExtEras: ["latest"],
        shareGroup: null,
        regions: MT8192_MULTI_DOM,
        masters: [
          { name: "display", kind: "display", larb: 0, region: 0 },
          { name: "mdp", kind: "mdp", larb: 2, region: 0 },
          { name: "vdec", kind: "vdec", larb: 4, region: 1 },
          { name: "venc", kind: "venc", larb: 7, region: 1 },
          { name: "camera", kind: "camera", larb: 16, region: 2 },
          { name: "ccu", kind: "ccu", larb: 13, region: 4 },
        ],
        source: `${K619}:drivers/iommu/mtk_iommu.c:mt8186_data_mm, mt8186_larb_region_msk; ${K66}:drivers/iommu/mtk_iommu.c:mt8186_data_mm (no PGTABLE_PA_35_EN); ${K613}:drivers/iommu/mtk_iommu.c:mt8186_data_mm (PGTABLE_PA_35_EN)`,
      },
    ],
    support: {
      eras: ["v6.6", "latest"],
      unverified: [],
      present: [5, 19],
      absent: [5, 17],
      source: `${K519}, ${K66}:drivers/iommu/mtk_iommu.c mtk_iommu_of_ids (5.17 per the DMA audit)`,
    },
    source: `${K619}:arch/arm64/boot/dts/mediatek/mt8186.dtsi (cpus, dma-ranges), mt8186-corsola.dtsi (memory@40000000)`,
  },
];
