// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT8188 'geralt' Chromebooks (ciri).
 * - IOMMUs in DT order: infra_iommu @0x10315000, vpp_iommu @0x14018000, vdo_iommu @0x1c028000
 *   (K619:arch/arm64/boot/dts/mediatek/mt8188.dtsi). Plat data mt8188_data_infra (PM_CLK_AO, PCIe,
 *   single_domain, ias 32), mt8188_data_vdo / mt8188_data_vpp (IOVA_34_EN | SHARE_PGTABLE, hw_list
 *   m4ulist, mt8192_multi_dom with mt8188_larb_region_msk); all three set PGTABLE_PA_35_EN, so the L1
 *   comes from GFP_KERNEL and may lie anywhere below 2^35 (K619:drivers/iommu/mtk_iommu.c). Present with
 *   PA_35 in K66 (6.6.57), so TTBR_EXT from the SoC's first release on.
 * - 8 CPUs; soc dma-ranges <0 0 0 0 0x4 0> (16 GiB).
 * - RAM: mt8188-geralt.dtsi memory@40000000 has size 0 (bootloader); geralt ships with 8 GB [unverified].
 * - Support: absent in 6.4.6 (per the DMA audit), present in K66.
 */
import type { Platform } from "../platform.ts";
import { MT8192_MULTI_DOM, SINGLE_DOMAIN } from "./regions.ts";
import { K619, K66 } from "./sources.ts";

const SRC = `${K619}:drivers/iommu/mtk_iommu.c`;

export const MT8188: readonly Platform[] = [
  {
    name: "mt8188-geralt-8g",
    description: "MT8188 'geralt' Chromebook with 8 GiB: DRAM 0x4000_0000-0x2_4000_0000, infra + vpp/vdo M4Us, all with the 35-bit TTBR extension",
    ram: [{ start: 0x4000_0000, end: 0x2_4000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: 0x4_0000_0000,
    soc: "mt8188",
    config: { arch: "arm64", zoneDma: true, zoneDma32: true },
    iommus: [
      {
        name: "infra",
        compatible: "mediatek,mt8188-iommu-infra",
        driver: "mtk_iommu",
        base: 0x1031_5000,
        flags: ["PGTABLE_PA_35_EN", "PM_CLK_AO"],
        ttbrExtEras: ["v6.6", "latest"],
        shareGroup: null,
        regions: SINGLE_DOMAIN,
        masters: [],
        source: `${SRC}:mt8188_data_infra`,
      },
      {
        name: "vpp",
        compatible: "mediatek,mt8188-iommu-vpp",
        driver: "mtk_iommu",
        base: 0x1401_8000,
        flags: ["IOVA_34_EN", "SHARE_PGTABLE", "PGTABLE_PA_35_EN"],
        ttbrExtEras: ["v6.6", "latest"],
        shareGroup: "m4ulist",
        regions: MT8192_MULTI_DOM,
        masters: [
          { name: "display-rdma", kind: "display", larb: 1, region: 0 },
          { name: "mdp", kind: "mdp", larb: 4, region: 2 },
          { name: "vdec-lat", kind: "vdec", larb: 23, region: 1 },
        ],
        source: `${SRC}:mt8188_data_vpp, mt8188_larb_region_msk`,
      },
      {
        name: "vdo",
        compatible: "mediatek,mt8188-iommu-vdo",
        driver: "mtk_iommu",
        base: 0x1c02_8000,
        flags: ["IOVA_34_EN", "SHARE_PGTABLE", "PGTABLE_PA_35_EN"],
        ttbrExtEras: ["v6.6", "latest"],
        shareGroup: "m4ulist",
        regions: MT8192_MULTI_DOM,
        masters: [
          { name: "display", kind: "display", larb: 0, region: 0 },
          { name: "vdec", kind: "vdec", larb: 21, region: 1 },
          { name: "venc", kind: "venc", larb: 19, region: 1 },
          { name: "mdp-svpp", kind: "mdp", larb: 5, region: 2 },
        ],
        source: `${SRC}:mt8188_data_vdo`,
      },
    ],
    support: {
      eras: ["v6.6", "latest"],
      unverified: [],
      present: [6, 6],
      absent: [6, 4],
      source: `${K66}:drivers/iommu/mtk_iommu.c mtk_iommu_of_ids (6.4.6 per the DMA audit)`,
    },
    source: `${K619}:arch/arm64/boot/dts/mediatek/mt8188.dtsi (cpus, soc dma-ranges, iommu nodes), mt8188-geralt.dtsi (memory@40000000)`,
  },
];
