// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT8183 'kukui' Chromebooks (Lenovo Duet, jacuzzi family).
 * - IOMMU: iommu@10205000 (K619:arch/arm64/boot/dts/mediatek/mt8183.dtsi). Plat data mt8183_data:
 *   RESET_AXI only, so no HAS_4GB_MODE (oas 35: output PA bit 32 goes straight into the PTE, no remap),
 *   no IOVA_34_EN (ias 32), no PGTABLE_PA_35_EN: tables below 4 GiB; single_domain
 *   (K619:drivers/iommu/mtk_iommu.c:mt8183_data).
 * - 8 CPUs, no dma-ranges in mt8183.dtsi (K619).
 * - RAM: mt8183-kukui.dtsi memory@40000000 is a 2 GiB placeholder; kukui boards ship with 4 GB
 *   [unverified]: the preset is the elm memory map, 0x4000_0000-0x1_4000_0000.
 * - Support: absent in K419 (4.19.0 knows only mt2712/mt8173), present in K510 (5.10.135).
 */
import type { Platform } from "../platform.ts";
import { SINGLE_DOMAIN } from "./regions.ts";
import { K419, K510, K619 } from "./sources.ts";

export const MT8183: readonly Platform[] = [
  {
    name: "mt8183-kukui-4g",
    description: "MT8183 'kukui' Chromebook with 4 GiB: DRAM 0x4000_0000-0x1_4000_0000 like elm, but no 4GB-mode remap (oas 35), tables below 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0x1_4000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: null,
    soc: "mt8183",
    config: { arch: "arm64", zoneDma: true, zoneDma32: true },
    iommus: [
      {
        name: "m4u",
        compatible: "mediatek,mt8183-m4u",
        driver: "mtk_iommu",
        base: 0x1020_5000,
        flags: [],
        ttbrExtEras: [],
        shareGroup: null,
        regions: SINGLE_DOMAIN,
        masters: [
          { name: "display", kind: "display", larb: 0, region: 0 },
          { name: "mdp", kind: "mdp", larb: 0, region: 0 },
          { name: "vdec", kind: "vdec", larb: 1, region: 0 },
          { name: "venc", kind: "venc", larb: 4, region: 0 },
          { name: "camera", kind: "camera", larb: 5, region: 0 },
        ],
        source: `${K619}:drivers/iommu/mtk_iommu.c:mt8183_data; ${K619}:arch/arm64/boot/dts/mediatek/mt8183.dtsi:iommu@10205000`,
      },
    ],
    support: {
      eras: ["v5.10", "v6.6", "latest"],
      unverified: [],
      present: [5, 10],
      absent: [4, 19],
      source: `${K419}, ${K510}: drivers/iommu/mtk_iommu.c mtk_iommu_of_ids`,
    },
    source: `${K619}:arch/arm64/boot/dts/mediatek/mt8183.dtsi (cpus), mt8183-kukui.dtsi (memory@40000000)`,
  },
];
