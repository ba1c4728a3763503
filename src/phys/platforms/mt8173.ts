// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT8173 (elm/hana Chromebooks). mtk_iommu plat data mt8173_data: HAS_4GB_MODE | HAS_BCLK | RESET_AXI |
 * HAS_LEGACY_IVRP_PADDR | TF_PORT_TO_ADDR_MT8173, single_domain, no SHARE_PGTABLE, no IOVA_34_EN, no
 * PGTABLE_PA_35_EN (K619:drivers/iommu/mtk_iommu.c:mt8173_data). One M4U at 0x10205000, 4 CPUs, no
 * dma-ranges (K619:arch/arm64/boot/dts/mediatek/mt8173.dtsi). 4GB mode: 4.19 sets enable_4GB when
 * max_pfn > 4 GiB (K419:drivers/iommu/mtk_iommu.c:mtk_iommu_probe); later firmware sets
 * F_DDR_4GB_SUPPORT_EN. The elm DT's memory node is a 2 GiB placeholder; elm ships with 4 GiB.
 * No `support` range: the M4U predates every era the model has (the driver is in K419).
 */
import type { IommuInstance, Platform } from "../platform.ts";
import { SINGLE_DOMAIN } from "./regions.ts";
import { K419, K619 } from "./sources.ts";

const M4U: IommuInstance = {
  name: "m4u",
  compatible: "mediatek,mt8173-m4u",
  driver: "mtk_iommu",
  base: 0x1020_5000,
  flags: ["HAS_4GB_MODE"],
  ttbrExtEras: [],
  shareGroup: null,
  regions: SINGLE_DOMAIN,
  masters: [
    { name: "display", kind: "display", larb: 0, region: 0 },
    { name: "mdp", kind: "mdp", larb: 0, region: 0 },
    { name: "vdec", kind: "vdec", larb: 1, region: 0 },
    { name: "camera", kind: "camera", larb: 2, region: 0 },
    { name: "venc", kind: "venc", larb: 3, region: 0 },
  ],
  source: `${K619}:drivers/iommu/mtk_iommu.c:mt8173_data; ${K619}:arch/arm64/boot/dts/mediatek/mt8173.dtsi:iommu@10205000; ${K419}:drivers/iommu/mtk_iommu.c`,
};

const COMMON = {
  soc: "mt8173",
  config: { arch: "arm64", zoneDma: true, zoneDma32: true },
  iommus: [M4U],
  source: `${K619}:arch/arm64/boot/dts/mediatek/mt8173.dtsi (4 cpus, no dma-ranges), mt8173-elm.dtsi (memory@40000000)`,
} as const;

export const MT8173: readonly Platform[] = [
  {
    name: "mt8173-elm-4g",
    description: "MT8173 'elm' Chromebook (Acer R13) with 4 GiB: DRAM 0x4000_0000-0x1_4000_0000, 1 GiB above 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0x1_4000_0000 }],
    cpus: 4,
    iommu4gbMode: true,
    dmaRangesLimit: null,
    ...COMMON,
  },
  {
    name: "mt8173-elm-2g",
    description: "MT8173 'elm' with 2 GiB (the DT placeholder size): DRAM 0x4000_0000-0xC000_0000, all below 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0xc000_0000 }],
    cpus: 4,
    iommu4gbMode: false,
    dmaRangesLimit: null,
    ...COMMON,
  },
];
