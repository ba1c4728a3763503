// SPDX-License-Identifier: GPL-2.0-only
/**
 * The walk of one IOVA at one moment, as data: what the driver wrote (L1 index and descriptor, the L2
 * table's address and zone, the L2 descriptor field by field, iova_to_phys) and what the hardware sees
 * when it walks the same memory (probe: no side effects). report/explain-text.ts renders it.
 */
import { SZ_4G, SZ_4K } from "../core/u32.ts";
import type { FaultType, WalkStep } from "../iommu/types.ts";
import { decodePte, describePte, FIELDS, L2_ENTRIES, type Level } from "../pgtable/format.ts";
import type { System } from "./system.ts";

/** One field of a decoded descriptor; `bits` is null for a field the format table does not place. */
export interface PteFieldValue {
  readonly name: string;
  readonly value: number;
  readonly bits: { readonly hi: number; readonly lo: number } | null;
}

export interface DescriptorView {
  readonly index: number;
  readonly pte: number;
  /** The one-line decode (type, output address, flags). */
  readonly summary: string;
  /** Empty for an invalid descriptor. */
  readonly fields: readonly PteFieldValue[];
}

export interface L2View extends DescriptorView {
  readonly tablePa: number;
  readonly tableZone: string | null;
  readonly tableAbove4GiB: boolean;
  /** The table address the L1 descriptor encodes, when it differs from the table's (a truncated pointer). */
  readonly encodedTablePa: number | null;
}

export type HardwareWalk =
  | {
      readonly ok: true;
      readonly steps: readonly WalkStep[];
      readonly pa: number;
      readonly pageSize: number;
      readonly writable: boolean;
      readonly owner: string | null;
    }
  | {
      readonly ok: false;
      readonly steps: readonly WalkStep[];
      readonly fault: { readonly type: FaultType; readonly level: number; readonly descriptor: number; readonly descriptorPa: number };
    };

export interface IovaExplanation {
  readonly iova: number;
  readonly strategy: string;
  readonly platform: string;
  readonly era: string;
  /** Null when the domain was never created. */
  readonly walk: {
    readonly l1Table: {
      readonly pa: number;
      readonly zone: string | null;
      readonly ttbr: number;
      /** The boot step that allocated it, and where the background load fell (null: a boot without one). */
      readonly allocatedAt: { readonly step: string; readonly timeIndex: number; readonly backgroundIndex: number | null } | null;
    };
    readonly l1: DescriptorView;
    readonly l2: L2View | null;
    /** The driver's iova_to_phys (0: no translation). */
    readonly iovaToPhys: number;
    readonly hardware: HardwareWalk;
  } | null;
}

/** A neutral refusal: the IOVA is outside what the M4U translates. */
export interface IovaOutOfRange {
  readonly code: "iova-out-of-range";
  readonly iova: number;
  readonly limit: number;
}

/** The boot step whose live allocations include `pa` (the L1 comes from device probe, wherever the run put it). */
function bootStepOf(s: System, pa: number): { step: string; timeIndex: number; backgroundIndex: number | null } | null {
  const step = s.boot.find((b) => b.allocated.some((a) => a.where === pa && !a.freed));
  if (step === undefined) return null;
  return { step: step.step, timeIndex: step.timeIndex, backgroundIndex: s.boot.find((b) => b.step === "background")?.timeIndex ?? null };
}

export function explainIova(s: System, iova: number): IovaExplanation | IovaOutOfRange {
  if (!Number.isSafeInteger(iova) || iova < 0 || iova >= s.iovaLimit) return { code: "iova-out-of-range", iova, limit: s.iovaLimit };
  const head = { iova, strategy: s.spec.variant.label, platform: s.platform.name, era: s.era.name };
  if (!s.domain.ok) return { ...head, walk: null };
  const domain = s.domain.domain;
  const table = domain.table;
  const fmt = table.text;
  const zone = (pa: number): string | null => s.km.buddy.zoneOf(pa);
  const view = (lvl: Level, index: number, pte: number): DescriptorView => {
    const d = decodePte(lvl, pte, fmt);
    const placed = d.type === null ? new Map() : new Map(FIELDS[d.type].map((f) => [f.name, { hi: f.lsb + f.width - 1, lo: f.lsb }]));
    const fields = d.type === null ? [] : Object.entries(d.fields).map(([name, value]) => ({ name, value, bits: placed.get(name) ?? null }));
    return { index, pte, summary: describePte(lvl, pte, fmt), fields };
  };
  const l1 = table.lookupL1(iova);
  let l2: L2View | null = null;
  if (l1.tablePa !== null) {
    const encoded = l1.descriptorTablePa !== null && l1.descriptorTablePa !== l1.tablePa ? l1.descriptorTablePa : null;
    l2 = {
      ...view(2, Math.floor(iova / SZ_4K) % L2_ENTRIES, table.readL2(iova) ?? 0),
      tablePa: l1.tablePa,
      tableZone: zone(l1.tablePa),
      tableAbove4GiB: l1.tablePa >= SZ_4G,
      encodedTablePa: encoded,
    };
  }
  const hw = s.m4u.probe(iova);
  const hardware: HardwareWalk = hw.ok
    ? { ok: true, steps: hw.steps, pa: hw.pa, pageSize: hw.pageSize, writable: hw.writable, owner: s.km.buddy.ownerOf(hw.pa) }
    : {
        ok: false,
        steps: hw.steps,
        fault: { type: hw.fault.type, level: hw.fault.level, descriptor: hw.fault.descriptor, descriptorPa: hw.fault.descriptorPa },
      };
  return {
    ...head,
    walk: {
      l1Table: { pa: table.out.pgdPhys, zone: zone(table.out.pgdPhys), ttbr: table.out.ttbr, allocatedAt: bootStepOf(s, table.out.pgdPhys) },
      l1: view(1, l1.l1Index, l1.pte),
      l2,
      iovaToPhys: domain.iovaToPhys(iova),
      hardware,
    },
  };
}
