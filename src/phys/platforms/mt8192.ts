// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT8192 'asurada' Chromebooks (spherion, hayato).
 * - IOMMU: one M4U, iommu0: m4u@1401d000 (K619:arch/arm64/boot/dts/mediatek/mt8192.dtsi). Plat data
 *   mt8192_data: IOVA_34_EN, no SHARE_PGTABLE, no PGTABLE_PA_35_EN, no HAS_4GB_MODE: ias 34 (64 KiB
 *   L1), oas 35, tables below 4 GiB; mt8192_multi_dom with mt8192_larb_region_msk: region 0 larb0/1
 *   (display), region 1 larb4/5/7 (vdec, venc), region 2 larb2 (MDP) and the camera larbs 9-20, regions
 *   4/5 larb13 ports 9/10 and larb14 ports 4/5 (CCU) (K619:drivers/iommu/mtk_iommu.c:mt8192_data).
 * - 8 CPUs; soc dma-ranges <0 0 0 0 0x4 0> (16 GiB) (K619:.../mt8192.dtsi).
 * - RAM: mt8192-asurada.dtsi memory@40000000 is a 2 GiB placeholder; the preset is an 8 GiB board
 *   (asurada ships with 4 or 8 GB [unverified]).
 * - Support: absent in K510 (5.10.135), present in K515 (5.15.100) and K66.
 */
import type { Platform } from "../platform.ts";
import { MT8192_MULTI_DOM } from "./regions.ts";
import { K510, K515, K619, K66 } from "./sources.ts";

export const MT8192: readonly Platform[] = [
  {
    name: "mt8192-asurada-8g",
    description: "MT8192 'asurada' Chromebook with 8 GiB: DRAM 0x4000_0000-0x2_4000_0000, one M4U with ias 34 and multi-region IOVA, tables below 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0x2_4000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: 0x4_0000_0000,
    soc: "mt8192",
    config: { arch: "arm64", zoneDma: true, zoneDma32: true },
    iommus: [
      {
        name: "m4u",
        compatible: "mediatek,mt8192-m4u",
        driver: "mtk_iommu",
        base: 0x1401_d000,
        flags: ["IOVA_34_EN"],
        ttbrExtEras: [],
        shareGroup: null,
        regions: MT8192_MULTI_DOM,
        masters: [
          { name: "display", kind: "display", larb: 0, region: 0 },
          { name: "vdec", kind: "vdec", larb: 4, region: 1 },
          { name: "venc", kind: "venc", larb: 7, region: 1 },
          { name: "mdp", kind: "mdp", larb: 2, region: 2 },
          { name: "camera", kind: "camera", larb: 16, region: 2 },
          { name: "ccu", kind: "ccu", larb: 13, region: 4 },
        ],
        source: `${K619}:drivers/iommu/mtk_iommu.c:mt8192_data, mt8192_larb_region_msk; ${K619}:arch/arm64/boot/dts/mediatek/mt8192.dtsi:m4u@1401d000`,
      },
    ],
    support: {
      eras: ["v6.6", "latest"],
      unverified: [],
      present: [5, 15],
      absent: [5, 10],
      source: `${K510}, ${K515}, ${K66}: drivers/iommu/mtk_iommu.c mtk_iommu_of_ids`,
    },
    source: `${K619}:arch/arm64/boot/dts/mediatek/mt8192.dtsi (cpus, soc dma-ranges), mt8192-asurada.dtsi (memory@40000000)`,
  },
];
