// SPDX-License-Identifier: GPL-2.0-only
/**
 * MT8195 'cherry' Chromebooks (Acer Chromebook Spin 513 CP513-2H and others).
 * - IOMMUs: iommu_vpp @0x14018000 and iommu_vdo @0x1c01f000, in that DT order
 *   (K619:arch/arm64/boot/dts/mediatek/mt8195.dtsi). Plat data mt8195_data_vpp / mt8195_data_vdo: IOVA_34_EN |
 *   SHARE_PGTABLE, hw_list = &m4ulist (one table for both), no PGTABLE_PA_35_EN, no HAS_4GB_MODE, so
 *   ias 34 (a 64 KiB L1), oas 35, tables below 4 GiB (GFP_DMA32 L1, SLAB_CACHE_DMA32 L2), regions
 *   mt8192_multi_dom with mt8195_larb_region_msk: region 0 larb0-3, region 1 larb19-24, region 2 the
 *   other larbs, regions 4/5 larb18 ports 0/1 and 2/3 (K619:drivers/iommu/mtk_iommu.c). The infra
 *   IOMMU (mt8195_data_infra, PCIe/USB) has no node in mt8195.dtsi and is left out.
 * - Masters (iommus = <&iommu_vdo/vpp M4U_PORT_Lnn_...> in mt8195.dtsi): ovl0/rdma0 larb0 (vdo), vdo1 rdma
 *   larb2 (vdo) / larb3 (vpp), vdec larb21/24 (vdo) and larb23 (vpp), venc and jpeg larb19 (vdo) /
 *   larb20 (vpp), MDP larb4/6 (vpp) and larb5 (vdo). The CCU (larb18) has no mainline DT node; the model
 *   gives it the CCU windows the driver reserves. The Mali GPU has its own MMU (panfrost), not the M4U.
 * - 8 CPUs; soc dma-ranges <0 0 0 0 0x4 0>: CPU end 0x3_ffff_ffff, so the dma-ranges limit is 16 GiB
 *   (K619:arch/arm64/boot/dts/mediatek/mt8195.dtsi:soc).
 * - RAM: mt8195-cherry.dtsi has memory@40000000 with a 2 GiB placeholder the bootloader overwrites;
 *   mt8195-demo.dts declares 8 GiB at 0x4000_0000 (reg = <0 0x40000000 0x2 0x00000000>), the size
 *   this preset uses (shipping cherry boards: 4 or 8 GB [unverified]).
 * - Support: present in K519 (5.19.0) and K66, absent in K517 (5.17-rc5, per the DMA audit) and in K510.
 */
import type { IommuInstance, IommuMaster, Platform } from "../platform.ts";
import { MT8192_MULTI_DOM } from "./regions.ts";
import { K510, K519, K619, K66 } from "./sources.ts";

const VPP_MASTERS: readonly IommuMaster[] = [
  { name: "vdo1-rdma-odd", kind: "display", larb: 3, region: 0 },
  { name: "mdp", kind: "mdp", larb: 4, region: 2 },
  { name: "vdec-ufo", kind: "vdec", larb: 23, region: 1 },
  { name: "jpeg-vpp", kind: "jpeg", larb: 20, region: 1 },
  { name: "ccu0", kind: "ccu", larb: 18, region: 4 },
];

const VDO_MASTERS: readonly IommuMaster[] = [
  { name: "display", kind: "display", larb: 0, region: 0 },
  { name: "vdo1-rdma-even", kind: "display", larb: 2, region: 0 },
  { name: "vdec", kind: "vdec", larb: 21, region: 1 },
  { name: "venc", kind: "venc", larb: 19, region: 1 },
  { name: "mdp-svpp", kind: "mdp", larb: 5, region: 2 },
  { name: "ccu1", kind: "ccu", larb: 18, region: 5 },
];

const SRC = `${K619}:drivers/iommu/mtk_iommu.c`;

const INSTANCES: readonly IommuInstance[] = [
  {
    name: "vpp",
    compatible: "mediatek,mt8195-iommu-vpp",
    driver: "mtk_iommu",
    base: 0x1401_8000,
    flags: ["IOVA_34_EN", "SHARE_PGTABLE"],
    ttbrExtEras: [],
    shareGroup: "m4ulist",
    regions: MT8192_MULTI_DOM,
    masters: VPP_MASTERS,
    source: `${SRC}:mt8195_data_vpp, mt8195_larb_region_msk; ${K619}:arch/arm64/boot/dts/mediatek/mt8195.dtsi:iommu@14018000`,
  },
  {
    name: "vdo",
    compatible: "mediatek,mt8195-iommu-vdo",
    driver: "mtk_iommu",
    base: 0x1c01_f000,
    flags: ["IOVA_34_EN", "SHARE_PGTABLE"],
    ttbrExtEras: [],
    shareGroup: "m4ulist",
    regions: MT8192_MULTI_DOM,
    masters: VDO_MASTERS,
    source: `${SRC}:mt8195_data_vdo; ${K619}:arch/arm64/boot/dts/mediatek/mt8195.dtsi:iommu@1c01f000`,
  },
];

export const MT8195: readonly Platform[] = [
  {
    name: "mt8195-cherry-8g",
    description:
      "MT8195 'cherry' Chromebook with 8 GiB: DRAM 0x4000_0000-0x2_4000_0000 (5 GiB above 4 GiB), vpp+vdo M4Us sharing one ias-34 table kept below 4 GiB",
    ram: [{ start: 0x4000_0000, end: 0x2_4000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: 0x4_0000_0000,
    soc: "mt8195",
    config: { arch: "arm64", zoneDma: true, zoneDma32: true },
    iommus: INSTANCES,
    support: {
      eras: ["v6.6", "latest"],
      unverified: [],
      present: [5, 19],
      absent: [5, 17],
      source: `${K510}, ${K519}, ${K66}: drivers/iommu/mtk_iommu.c mtk_iommu_of_ids (5.17 per the DMA audit)`,
    },
    source: `${K619}:arch/arm64/boot/dts/mediatek/mt8195.dtsi (cpus, soc dma-ranges), mt8195-cherry.dtsi, mt8195-demo.dts (memory@40000000)`,
  },
];
