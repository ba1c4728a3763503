// SPDX-License-Identifier: GPL-2.0-only
/**
 * Era-specific details of the sub-page allocators that the shared `Era` profile does not carry. They are
 * tables keyed by era name (not version comparisons) so that they can move into `Era` without changing
 * any caller.
 */
import type { Era, EraName } from "../core/era.ts";

/**
 * SLUB per-CPU partial limit: in objects (cpu_partial, pobjects compared with it) before b47291ef02b0
 * "mm, slub: change percpu partial accounting from objects to pages" (v5.16), in slabs
 * (cpu_partial_slabs = DIV_ROUND_UP(cpu_partial * 2, oo_objects)) from then on.
 */
const CPU_PARTIAL_FORM: Readonly<Record<EraName, "objects" | "slabs">> = {
  "v4.14": "objects",
  "v4.19": "objects",
  "v5.10": "objects",
  "v6.6": "slabs",
  latest: "slabs",
};

export function slubCpuPartialForm(era: Era): "objects" | "slabs" {
  return CPU_PARTIAL_FORM[era.name];
}

/**
 * page_frag refill bias: `size` references (page_ref_add(size - 1), pagecnt_bias = size) as released in
 * v4.14/v4.19; from v5.1 PAGE_FRAG_CACHE_MAX_SIZE + 1 whatever the page size (Jann Horn's 2c2ade81741c "mm:
 * page_alloc: fix ref bias in page_frag_alloc() for 1-byte allocs", made a constant by Alexander Duyck's
 * 8644772637de; both later reached 4.19.y stable, which the `v4.19` era, the 2018 text, predates).
 */
const PAGE_FRAG_BIAS: Readonly<Record<EraName, "size" | "max+1">> = {
  "v4.14": "size",
  "v4.19": "size",
  "v5.10": "max+1",
  "v6.6": "max+1",
  latest: "max+1",
};

export function pageFragBiasForm(era: Era): "size" | "max+1" {
  return PAGE_FRAG_BIAS[era.name];
}

/**
 * Whether page_frag's order-3 attempt drops __GFP_DIRECT_RECLAIM. Present in the mm/page_frag_cache.c
 * text (kernel-facts §6.2); the release that added it is not pinned down here, so only `latest` has it.
 */
const PAGE_FRAG_NO_DIRECT_RECLAIM: Readonly<Record<EraName, boolean>> = {
  "v4.14": false,
  "v4.19": false,
  "v5.10": false,
  "v6.6": false,
  latest: true,
};

export function pageFragRefillNoDirectReclaim(era: Era): boolean {
  return PAGE_FRAG_NO_DIRECT_RECLAIM[era.name];
}

/**
 * arm64 ARCH_KMALLOC_MINALIGN: ARCH_DMA_MINALIGN (128) until Catalin Marinas's "arm64: Allow kmalloc()
 * caches aligned to the smaller cache_line_size()" series (v6.5), 8 after it. It decides the smallest
 * kmalloc cache (kmalloc-128 versus kmalloc-8) and whether kmalloc-96/-192 exist.
 */
const KMALLOC_MIN_ALIGN: Readonly<Record<EraName, number>> = {
  "v4.14": 128,
  "v4.19": 128,
  "v5.10": 128,
  "v6.6": 8,
  latest: 8,
};

export function kmallocMinAlign(era: Era): number {
  return KMALLOC_MIN_ALIGN[era.name];
}
