// SPDX-License-Identifier: GPL-2.0-only
/** The IOVA region tables of drivers/iommu/mtk_iommu.c (K619:drivers/iommu/mtk_iommu.c). */
import type { IovaRegion } from "../platform.ts";

/** single_domain: 0 .. MTK_IOMMU_IOVA_SZ_4G (4.19/5.10 used DMA_BIT_MASK(32) directly: the same window). */
export const SINGLE_DOMAIN: readonly IovaRegion[] = [{ name: "0-4G", base: 0, size: "4g" }];

/**
 * mt8192_multi_dom with CONFIG_ARCH_DMA_ADDR_T_64BIT (MT8192_MULTI_REGION_NR = 6): four 4 GiB windows
 * and the two 64 MiB CCU windows (K619:drivers/iommu/mtk_iommu.c:mt8192_multi_dom).
 */
export const MT8192_MULTI_DOM: readonly IovaRegion[] = [
  { name: "0-4G", base: 0, size: "4g" },
  { name: "4-8G", base: 0x1_0000_0000, size: "4g" },
  { name: "8-12G", base: 0x2_0000_0000, size: "4g" },
  { name: "12-16G", base: 0x3_0000_0000, size: "4g" },
  { name: "CCU0", base: 0x2_4000_0000, size: 0x400_0000 },
  { name: "CCU1", base: 0x2_4400_0000, size: 0x400_0000 },
];
