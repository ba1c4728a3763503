// SPDX-License-Identifier: GPL-2.0-only
/**
 * `mtk-ttbr-ext`: IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT (MediaTek, v6.0; Yunfei Wang / Ning Li), for SoCs
 * whose M4U takes 35-bit table pointers ("single normal zone" phones with no ZONE_DMA32). L1 from
 * __get_free_pages(GFP_KERNEL | __GFP_ZERO); L2 from the io-pgtable_armv7s_l2 cache with flags 0 and
 * kmem_cache_zalloc(gfp). Tables may land anywhere; the engine's fit check uses oas (phys < 2^oas) in
 * this mode instead of the 32-bit test.
 */
import { GFP_KERNEL, NO_GFP } from "../mm/gfp.ts";
import type { StrategyContext } from "./base.ts";
import { SlabL2TableMemory } from "./slab-l2.ts";

export class MtkTtbrExtTableMemory extends SlabL2TableMemory {
  readonly name = "mtk-ttbr-ext";

  constructor(ctx: StrategyContext) {
    super(ctx, { cacheName: "io-pgtable_armv7s_l2", cacheAlign: 1024, cacheFlags: 0, l1Gfp: GFP_KERNEL, l2ExtraGfp: NO_GFP });
  }
}
