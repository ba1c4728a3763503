// SPDX-License-Identifier: GPL-2.0-only
/**
 * The IOVA allocator's ordered set of live ranges, standing in for the kernel's rb-tree: disjoint
 * [lo, hi] pfn ranges kept in descending order of lo, split into blocks of at most BLOCK_MAX entries
 * so that inserts and removals cost O(log n + BLOCK_MAX) even with 100k live ranges.
 *
 * A cursor names one range (block * 1024 + slot). ANCHOR sits above every range, as the rb-tree's
 * anchor node does; END lies below the lowest range (rb_prev returned NULL). Cursors are only valid
 * until the next insert or remove.
 */

const BLOCK_MAX = 512;
const SLOT_BITS = 1024;

export const ANCHOR = -1;
export const END = -2;

export class DescendingRanges {
  private readonly blockLo: number[][] = [[]];
  private readonly blockHi: number[][] = [[]];
  private count = 0;

  get size(): number {
    return this.count;
  }

  lo(c: number): number {
    return (this.blockLo[Math.floor(c / SLOT_BITS)] as number[])[c % SLOT_BITS] as number;
  }

  hi(c: number): number {
    return (this.blockHi[Math.floor(c / SLOT_BITS)] as number[])[c % SLOT_BITS] as number;
  }

  /** The next lower range (rb_prev), END past the lowest; from ANCHOR, the highest range. */
  down(c: number): number {
    if (c === ANCHOR) return this.count === 0 ? END : 0;
    const b = Math.floor(c / SLOT_BITS);
    const i = c % SLOT_BITS;
    if (i + 1 < (this.blockLo[b] as number[]).length) return c + 1;
    return b + 1 < this.blockLo.length ? (b + 1) * SLOT_BITS : END;
  }

  /** The next higher range (rb_next), ANCHOR above the highest. */
  up(c: number): number {
    if (c === END) return this.count === 0 ? ANCHOR : this.last();
    const b = Math.floor(c / SLOT_BITS);
    const i = c % SLOT_BITS;
    if (i > 0) return c - 1;
    return b > 0 ? (b - 1) * SLOT_BITS + (this.blockLo[b - 1] as number[]).length - 1 : ANCHOR;
  }

  private last(): number {
    const b = this.blockLo.length - 1;
    return b * SLOT_BITS + (this.blockLo[b] as number[]).length - 1;
  }

  /** Binary search over the blocks (kept in descending order): the first whose smallest lo is <= x. */
  private firstBlockAtOrBelow(x: number): number {
    const blocks = this.blockLo;
    let a = 0;
    let z = blocks.length;
    while (a < z) {
      const m = (a + z) >>> 1;
      const blk = blocks[m] as number[];
      if (blk.length === 0 || (blk[blk.length - 1] as number) > x) a = m + 1;
      else z = m;
    }
    return a;
  }

  /** The highest range whose lo <= pfn, or END. */
  atOrBelow(pfn: number): number {
    const blocks = this.blockLo;
    // First block whose smallest lo is <= pfn.
    const a = this.firstBlockAtOrBelow(pfn);
    if (a === blocks.length) return END;
    const blk = blocks[a] as number[];
    let x = 0;
    let y = blk.length;
    while (x < y) {
      const m = (x + y) >>> 1;
      if ((blk[m] as number) > pfn) x = m + 1;
      else y = m;
    }
    return a * SLOT_BITS + x;
  }

  /** The range starting exactly at `lo`, or END. */
  find(lo: number): number {
    const c = this.atOrBelow(lo);
    return c !== END && this.lo(c) === lo ? c : END;
  }

  /** The range containing `pfn`, or END. */
  containing(pfn: number): number {
    const c = this.atOrBelow(pfn);
    return c !== END && pfn <= this.hi(c) ? c : END;
  }

  /** The lowest range whose lo >= limit, or ANCHOR. */
  lowestAtOrAbove(limit: number): number {
    return this.up(this.atOrBelow(limit - 1));
  }

  insert(lo: number, hi: number): void {
    const blocks = this.blockLo;
    // The block holding the first range below `lo`; past the end, the last block.
    const a = this.firstBlockAtOrBelow(lo);
    const b = Math.min(a, blocks.length - 1);
    const blk = blocks[b] as number[];
    const bhi = this.blockHi[b] as number[];
    let x = 0;
    let y = blk.length;
    while (x < y) {
      const m = (x + y) >>> 1;
      if ((blk[m] as number) > lo) x = m + 1;
      else y = m;
    }
    if (x === blk.length) {
      blk.push(lo);
      bhi.push(hi);
    } else {
      blk.splice(x, 0, lo);
      bhi.splice(x, 0, hi);
    }
    this.count++;
    if (blk.length > BLOCK_MAX) {
      const half = blk.length >>> 1;
      blocks.splice(b + 1, 0, blk.splice(half));
      this.blockHi.splice(b + 1, 0, bhi.splice(half));
    }
  }

  remove(c: number): void {
    const b = Math.floor(c / SLOT_BITS);
    const i = c % SLOT_BITS;
    const blk = this.blockLo[b] as number[];
    const bhi = this.blockHi[b] as number[];
    if (i === blk.length - 1) {
      blk.pop();
      bhi.pop();
    } else {
      blk.splice(i, 1);
      bhi.splice(i, 1);
    }
    this.count--;
    if (blk.length === 0 && this.blockLo.length > 1) {
      this.blockLo.splice(b, 1);
      this.blockHi.splice(b, 1);
    }
  }

  /** Outputs of the last walkDown (fields, so the hot loop allocates nothing). */
  walkHigh = 0;
  walkNewPfn = 0;
  walkSteps = 0;

  /**
   * The backwards walk of __alloc_and_insert_iova_range from node `c` (ANCHOR allowed): at each node,
   * high = min(high, node.lo) and newPfn = (high - size) aligned down; continue to rb_prev while it
   * exists, newPfn <= its hi and (when `checkLow`) newPfn >= low. A high below size stands for the
   * unsigned wrap, which ends the walk. Inlined over the blocks: this loop is the allocator's cost.
   */
  walkDown(c: number, high0: number, size: number, alignUnit: number, low: number, checkLow: boolean): void {
    const blocks = this.blockLo;
    const his = this.blockHi;
    let high = high0;
    let b: number;
    let i: number;
    if (c === ANCHOR) {
      b = 0;
      i = -1;
    } else {
      b = Math.floor(c / SLOT_BITS);
      i = c % SLOT_BITS;
      high = Math.min(high, (blocks[b] as number[])[i] as number);
    }
    let blk = blocks[b] as number[];
    let bhi = his[b] as number[];
    let steps = 0;
    let newPfn: number;
    for (;;) {
      newPfn = high < size ? Number.POSITIVE_INFINITY : Math.floor((high - size) / alignUnit) * alignUnit;
      i++;
      if (i >= blk.length) {
        b++;
        if (b >= blocks.length) break;
        blk = blocks[b] as number[];
        bhi = his[b] as number[];
        i = 0;
      }
      steps++;
      if (!(newPfn <= (bhi[i] as number))) break;
      if (checkLow && !(newPfn >= low)) break;
      const lo = blk[i] as number;
      if (lo < high) high = lo;
    }
    this.walkHigh = high;
    this.walkNewPfn = newPfn;
    this.walkSteps = steps;
  }

  /** Ranges from the lowest up. */
  *ascending(): IterableIterator<{ readonly pfnLo: number; readonly pfnHi: number }> {
    for (let b = this.blockLo.length - 1; b >= 0; b--) {
      const blk = this.blockLo[b] as number[];
      const bhi = this.blockHi[b] as number[];
      for (let i = blk.length - 1; i >= 0; i--) yield { pfnLo: blk[i] as number, pfnHi: bhi[i] as number };
    }
  }
}
