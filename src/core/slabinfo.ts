// SPDX-License-Identifier: GPL-2.0-only
/**
 * One /proc/slabinfo line's numbers (mm/slab_common.c cache_show): what SLUB reports of a cache and what
 * board-import reads back from a board. Here because both mm/ and phys/ need it and phys may not import mm.
 */
export interface SlabinfoRow {
  readonly name: string;
  readonly activeObjs: number;
  readonly numObjs: number;
  readonly objSize: number;
  readonly objPerSlab: number;
  readonly pagesPerSlab: number;
  readonly activeSlabs: number;
  readonly numSlabs: number;
}
