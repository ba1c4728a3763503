// SPDX-License-Identifier: GPL-2.0-only
/**
 * The pre-6.13 split-on-unmap paths (v4.19 and v6.6 texts; removed by fd50651636fb in v6.13), with their
 * oddities kept: a section split rebuilds entries from the prot alone, so the output address is lost; a
 * split of a supersection outside its first section fails its cmpxchg; split_cont aligns down to the
 * 16-entry group and overwrites whatever is there (the v4.19 raw-2M case leaks two L2 tables).
 */
import { SZ_4K } from "../core/u32.ts";
import { GFP_ATOMIC, type Gfp } from "../mm/gfp.ts";
import { L2_ENTRIES, blockSize, contToPte, isCont, protToPte, pteToCont, pteToProt, type Level } from "./format.ts";
import type { V7sText } from "./text.ts";
import type { FlushOps, IotlbGather } from "./types.ts";

/** What the split paths need of the engine that owns the table (an adapter over its private state). */
export interface SplitHost {
  readonly text: V7sText;
  readonly tlb: FlushOps | undefined;
  readonly pgdPa: number;
  /** dma_sync_single_for_device of `n` PTEs (a no-op for coherent walkers); `l1Index` -1 for an unlinked table. */
  sync(level: Level, tablePa: number, l1Index: number, l2Index: number | null, n: number): void;
  /** Clear the CPU-side pointer of an L1 slot whose table descriptor was overwritten. */
  forgetTable(l1Index: number): void;
  l2Pa(l1Index: number): number;
  l2View(l1Index: number): Uint32Array | null;
  /** __arm_v7s_alloc_table(2); null is -ENOMEM. */
  allocL2(gfp: Gfp): number | null;
  freeL2(pa: number): void;
  tableView(pa: number): Uint32Array;
  /** arm_v7s_install_table: returns the slot's old value (equal to `curr` on success). */
  installTable(pa: number, l1Index: number, curr: number): number;
  unmapLevel(gather: IotlbGather | null, iova: number, size: number, lvl: Level | 3, table: Uint32Array, l1Index: number): number;
}

/**
 * arm_v7s_split_cont: rewrite the 16 copies of a large page / supersection as 16 plain entries keeping
 * the PA, flush, and return the first of them (the caller carries on with it as "the" entry).
 */
export function splitCont(e: SplitHost, iova: number, idx: number, lvl: Level, table: Uint32Array, l1i: number): number {
  let pte = table[idx] as number;
  if (!isCont(pte, lvl)) return pte;
  const base = idx & ~15;
  const size = blockSize(lvl);
  pte = contToPte(pte, lvl);
  for (let i = 0; i < 16; i++) {
    if (lvl === 1 && ((table[base + i] as number) & 3) === 1) {
      // An L2 table inside the group (only reachable with non-standard sizes) is overwritten, not freed.
      e.forgetTable(base + i);
    }
    table[base + i] = (pte + i * size) >>> 0;
  }
  if (lvl === 1) e.sync(1, e.pgdPa, base, null, 16);
  else e.sync(2, e.l2Pa(l1i), l1i, base, 16);
  const span = size * 16;
  if (e.text.tlbCallbacks === "gather-ops") {
    e.tlb?.tlbAddFlush?.(iova, span, span, true);
    e.tlb?.tlbSync?.();
  } else {
    e.tlb?.tlbFlushWalk?.(iova, span, span);
  }
  return pte;
}

/**
 * arm_v7s_split_blk_unmap: replace a section by an L2 table mapping all of it except the unmapped part.
 * The new entries come from prot_to_pte(pte_to_prot(section)) with a PA counting up from 0.
 */
export function splitBlkUnmap(e: SplitHost, gather: IotlbGather | null, iova: number, size: number, blkPte: number, l1i: number): number {
  const pa = e.allocL2(GFP_ATOMIC);
  if (pa === null) return 0;
  const view = e.tableView(pa);
  const numEntries = Math.floor(size / SZ_4K);
  if (numEntries === 0) throw new RangeError(`split of a section for a ${size}-byte unmap: the kernel's fill loop would never end`);
  const unmapIdx = (iova >>> 12) & 0xff;
  let pte = protToPte(pteToProt(blkPte, 1), 2, e.text);
  if (numEntries > 1) pte = pteToCont(pte, 2);
  for (let i = 0; i < L2_ENTRIES; i += numEntries, pte = (pte + size) >>> 0) {
    if (i === unmapIdx) continue;
    // Entries past the 1 KiB table (a step that does not divide 256) would land in the next object.
    view.fill(pte, i, Math.min(i + numEntries, L2_ENTRIES));
    e.sync(2, pa, -1, i, numEntries);
  }
  const old = e.installTable(pa, l1i, blkPte);
  if (old !== blkPte) {
    e.freeL2(pa);
    if ((old & 3) !== 1) return 0;
    return e.unmapLevel(gather, iova, size, 2, e.l2View(l1i) as Uint32Array, l1i);
  }
  if (e.text.tlbCallbacks === "gather-ops") e.tlb?.tlbAddFlush?.(iova, size, size, true);
  else e.tlb?.tlbAddPage?.(gather, iova, size);
  return size;
}
