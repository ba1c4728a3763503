// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT6893 (Dimensity 1200) phone with 12 GiB and a single memory zone.
 * - IOMMU: plat data mt6893_data: M4U_MT8192 port layout, IOVA_34_EN | SHARE_PGTABLE, no PGTABLE_PA_35_EN,
 *   no HAS_4GB_MODE: ias 34, oas 35, tables below 4 GiB (GFP_DMA32 / SLAB_CACHE_DMA32), mt8192_multi_dom
 *   with mt8192_larb_region_msk (K619:drivers/iommu/mtk_iommu.c:mt6893_data). The tree has no mt6893 DT,
 *   so the register base is the MT8192 one and the masters follow the MT8192 larbs [unverified].
 * - Single memory zone: Android phone kernels that build without CONFIG_ZONE_DMA and CONFIG_ZONE_DMA32
 *   put all RAM in ZONE_NORMAL, so GFP_DMA32 tables may land above 4 GiB and v7s refuses them; the
 *   cover letter of the PGTABLE_PA_35_EN series names this case ("ZONE_DMA32 memory is used out").
 * - 8 CPUs (1+3+4 Cortex-A78/A55), 12 GiB at 0x4000_0000 [unverified: no DT in the tree].
 * - Support: present in K619 and 6.18.2 (per the DMA audit), absent in K613 (6.13.7).
 */
import type { Platform } from "../platform.ts";
import { MT8192_MULTI_DOM } from "./regions.ts";
import { K613, K619 } from "./sources.ts";

export const MT6893: readonly Platform[] = [
  {
    name: "mt6893-phone-12g",
    description: "MT6893 phone with 12 GiB at 0x4000_0000-0x3_4000_0000 and a single memory zone (no ZONE_DMA/DMA32): GFP_DMA32 tables can land above 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0x3_4000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: null,
    soc: "mt6893",
    config: { arch: "arm64", zoneDma: false, zoneDma32: false },
    iommus: [
      {
        name: "mm",
        compatible: "mediatek,mt6893-iommu-mm",
        driver: "mtk_iommu",
        base: 0x1401_d000,
        flags: ["IOVA_34_EN", "SHARE_PGTABLE"],
        ttbrExtEras: [],
        shareGroup: null,
        regions: MT8192_MULTI_DOM,
        masters: [
          { name: "display", kind: "display", larb: 0, region: 0 },
          { name: "vdec", kind: "vdec", larb: 4, region: 1 },
          { name: "venc", kind: "venc", larb: 7, region: 1 },
          { name: "mdp", kind: "mdp", larb: 2, region: 2 },
          { name: "camera", kind: "camera", larb: 16, region: 2 },
        ],
        source: `${K619}:drivers/iommu/mtk_iommu.c:mt6893_data, mt8192_larb_region_msk`,
      },
    ],
    support: {
      eras: ["latest"],
      unverified: [],
      present: [6, 18],
      absent: [6, 13],
      source: `${K613}, ${K619}:drivers/iommu/mtk_iommu.c mtk_iommu_of_ids (6.18.2 per the DMA audit)`,
    },
    source: `${K619}:drivers/iommu/mtk_iommu.c (no arch/arm64/boot/dts/mediatek/mt6893* in the tree)`,
  },
];
