// SPDX-License-Identifier: GPL-2.0-only
/**
 * The golden-vector harness's table memory: the pgd first at `base` (aligned to its size), then 1 KiB L2
 * tables bump-allocated after it, freed L2 tables reused LIFO. No zones, no limit but the window.
 */
import type { Gfp } from "../mm/gfp.ts";
import type { Usage } from "../mm/page-source.ts";
import type { PhysMemory } from "../phys/memory.ts";
import { L2_TABLE_BYTES } from "./base.ts";
import type { TableMemory } from "./table-memory.ts";

export class ArenaTableMemory implements TableMemory {
  readonly name = "arena";
  readonly phys: PhysMemory;
  private readonly base: number;
  private readonly limit: number;
  private next: number;
  private readonly freeL2s: number[] = [];
  private l1Bytes = 0;
  private liveL2 = 0;
  private l1Allocated = false;

  /** `windowBytes` bounds the arena; an allocation past it fails like an exhausted allocator. */
  constructor(phys: PhysMemory, base: number, windowBytes = 64 * 1024 * 1024) {
    this.phys = phys;
    this.base = base;
    this.limit = base + windowBytes;
    this.next = base;
  }

  allocL1(bytes: number): number | null {
    if (this.l1Allocated) throw new RangeError("ArenaTableMemory: the L1 table is already allocated");
    const pa = Math.ceil(this.next / bytes) * bytes;
    if (pa + bytes > this.limit || !this.phys.isRam(pa, bytes)) return null;
    this.phys.zero(pa, bytes);
    this.next = pa + bytes;
    this.l1Bytes = bytes;
    this.l1Allocated = true;
    return pa;
  }

  freeL1(pa: number, bytes: number): void {
    if (!this.l1Allocated || bytes !== this.l1Bytes) {
      throw new RangeError(`ArenaTableMemory: free of L1 at 0x${pa.toString(16)} (${bytes} bytes) that is not the live L1`);
    }
    this.l1Allocated = false;
    this.l1Bytes = 0;
  }

  allocL2(_gfp: Gfp): number | null {
    let pa = this.freeL2s.pop();
    if (pa === undefined) {
      if (this.next + L2_TABLE_BYTES > this.limit || !this.phys.isRam(this.next, L2_TABLE_BYTES)) return null;
      pa = this.next;
      this.next += L2_TABLE_BYTES;
    }
    this.phys.zero(pa, L2_TABLE_BYTES);
    this.liveL2++;
    return pa;
  }

  freeL2(pa: number): void {
    if (pa % L2_TABLE_BYTES !== 0 || pa < this.base || pa >= this.next || this.freeL2s.includes(pa)) {
      throw new RangeError(`ArenaTableMemory: free of L2 at 0x${pa.toString(16)} that is not a live table`);
    }
    this.freeL2s.push(pa);
    this.liveL2--;
  }

  usage(): Usage {
    const held = this.next - this.base;
    return { heldBytes: held, inUseBytes: this.l1Bytes + this.liveL2 * L2_TABLE_BYTES, heldByZone: {} };
  }

  destroy(): void {}
}
