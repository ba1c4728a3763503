// SPDX-License-Identifier: GPL-2.0-only
/**
 * The IOMMU hardware model's surface (an M4U-like unit). It never calls the engine: it reads registers
 * and physical memory only. The iommu-dma layer drives its TLB maintenance as mtk_iommu does.
 */

export type Access = "read" | "write";

export type FaultType =
  /** Invalid L1 or L2 descriptor (bits 1:0 == 0). */
  | "translation"
  /** A write through a read-only mapping (AP2), only when permissions are modelled (no NO_PERMS). */
  | "permission"
  /** The walk itself read outside RAM (a truncated or stray table pointer). */
  | "walk-bus-error"
  /**
   * 4GB mode only: the walk produced a bus address outside the 4-8 GiB window where the M4U sees DRAM
   * (mtk_iommu.c's 4GB-mode map; VLD_PA_RNG SoCs program that window as valid), e.g. a leaf without bit 9.
   */
  | "invalid-pa";

export interface Fault {
  readonly type: FaultType;
  readonly iova: number;
  readonly access: Access;
  /** Level of the descriptor that faulted (1 or 2). */
  readonly level: 1 | 2;
  /** Physical address of that descriptor. */
  readonly descriptorPa: number;
  readonly descriptor: number;
}

export interface WalkStep {
  readonly level: 1 | 2;
  readonly descriptorPa: number;
  readonly descriptor: number;
  /** "table", "section", "supersection", "small", "large", "invalid", "bus-error". */
  readonly kind: string;
  /** True when the walk cache supplied this L1 table descriptor (no memory read). */
  readonly cached?: boolean;
}

export type Translation =
  | {
      readonly ok: true;
      readonly iova: number;
      /** The physical address the bus sees (after MTK PA bits and 4GB-mode remap). */
      readonly pa: number;
      /** The M4U's output address before the 4GB-mode remap (equal to `pa` outside 4GB mode). */
      readonly busPa: number;
      /** Size of the mapping that translated it (4K, 64K, 1M, 16M). */
      readonly pageSize: number;
      readonly writable: boolean;
      readonly fromTlb: boolean;
      readonly steps: readonly WalkStep[];
    }
  | { readonly ok: false; readonly fault: Fault; readonly steps: readonly WalkStep[] };

export interface IommuHardware {
  /** REG_MMU_PT_BASE_ADDR: the TTBR value the driver writes at attach. */
  writePtBase(ttbr: number): void;
  /** mtk_iommu_tlb_flush_range_sync: invalidate [start, end] (inclusive end, as the register pair). */
  flushRange(start: number, end: number): void;
  /** F_ALL_INVLD. */
  flushAll(): void;
  /** Architectural translation: uses and fills the TLB, records a fault on failure. */
  translate(iova: number, access: Access): Translation;
  /** Side-effect-free walk from memory (no TLB use or fill, no fault record): for explain, reports, tests. */
  probe(iova: number): Translation;
  readonly faults: readonly Fault[];
}
