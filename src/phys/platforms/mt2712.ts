// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT2712 evaluation board (automotive).
 * - IOMMUs: iommu0 @0x10205000 and iommu1 @0x1020a000 (K619:arch/arm64/boot/dts/mediatek/mt2712e.dtsi).
 *   Plat data mt2712_data: HAS_4GB_MODE | HAS_BCLK | HAS_VLD_PA_RNG | SHARE_PGTABLE, hw_list m4ulist (the two
 *   M4Us share one table), single_domain, ias 32, oas 33/32 (K619:drivers/iommu/mtk_iommu.c:mt2712_data).
 * - 3 cpu nodes in mt2712e.dtsi; no dma-ranges.
 * - RAM: mt2712-evb.dts memory@40000000, reg = <0 0x40000000 0 0x80000000>: 2 GiB, all below 4 GiB, so
 *   4GB mode stays off (4.19 enable_4GB needs max_pfn above 4 GiB).
 * - Support: present in K419 (4.19.0); no older tree read.
 */
import type { Platform } from "../platform.ts";
import { SINGLE_DOMAIN } from "./regions.ts";
import { K419, K619 } from "./sources.ts";

const SRC = `${K619}:drivers/iommu/mtk_iommu.c:mt2712_data`;

export const MT2712: readonly Platform[] = [
  {
    name: "mt2712-evb",
    description: "MT2712 evaluation board: 2 GiB at 0x4000_0000-0xC000_0000, two M4Us sharing one table (4GB-mode hardware, off with 2 GiB)",
    ram: [{ start: 0x4000_0000, end: 0xc000_0000 }],
    cpus: 3,
    iommu4gbMode: false,
    dmaRangesLimit: null,
    soc: "mt2712",
    config: { arch: "arm64", zoneDma: true, zoneDma32: true },
    iommus: [
      {
        name: "m4u0",
        compatible: "mediatek,mt2712-m4u",
        driver: "mtk_iommu",
        base: 0x1020_5000,
        flags: ["HAS_4GB_MODE", "HAS_VLD_PA_RNG", "SHARE_PGTABLE"],
        ttbrExtEras: [],
        shareGroup: "m4ulist",
        regions: SINGLE_DOMAIN,
        masters: [
          { name: "display", kind: "display", larb: 0, region: 0 },
          { name: "vdec", kind: "vdec", larb: 1, region: 0 },
          { name: "camera", kind: "camera", larb: 2, region: 0 },
          { name: "venc", kind: "venc", larb: 3, region: 0 },
        ],
        source: `${SRC}; ${K619}:arch/arm64/boot/dts/mediatek/mt2712e.dtsi:iommu@10205000`,
      },
      {
        name: "m4u1",
        compatible: "mediatek,mt2712-m4u",
        driver: "mtk_iommu",
        base: 0x1020_a000,
        flags: ["HAS_4GB_MODE", "HAS_VLD_PA_RNG", "SHARE_PGTABLE"],
        ttbrExtEras: [],
        shareGroup: "m4ulist",
        regions: SINGLE_DOMAIN,
        masters: [
          { name: "display1", kind: "display", larb: 4, region: 0 },
          { name: "mdp", kind: "mdp", larb: 5, region: 0 },
        ],
        source: `${SRC}; ${K619}:arch/arm64/boot/dts/mediatek/mt2712e.dtsi:iommu@1020a000`,
      },
    ],
    support: {
      eras: ["v4.19", "v5.10", "v6.6", "latest"],
      unverified: ["v4.14"],
      present: [4, 19],
      absent: null,
      source: `${K419}:drivers/iommu/mtk_iommu.c mtk_iommu_of_ids`,
    },
    source: `${K619}:arch/arm64/boot/dts/mediatek/mt2712e.dtsi (cpus), mt2712-evb.dts (memory@40000000)`,
  },
];
