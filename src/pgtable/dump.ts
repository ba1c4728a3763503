// SPDX-License-Identifier: GPL-2.0-only
/**
 * Table dumps: the golden vectors' Dump (table pointers masked so dumps do not depend on where tables
 * live) and a human listing, one decoded line per non-zero entry.
 */
import { hex } from "../core/u32.ts";
import { L2_ENTRIES, describePte } from "./format.ts";
import type { V7sPageTable } from "./types.ts";

export type DumpEntry = [number, number, number];

export interface Dump {
  /** [l1_idx, value, is_table]; a table's value is `pte & 0x3ff`. */
  l1: DumpEntry[];
  /** [l1_idx, l2_idx, pte] for every non-zero entry of every linked L2 table. */
  l2: DumpEntry[];
  l2_tables_live: number;
}

export function dumpTable(t: V7sPageTable): Dump {
  const l1: DumpEntry[] = [];
  const l2: DumpEntry[] = [];
  const n = t.out.l1Entries;
  for (let i = 0; i < n; i++) {
    const pte = t.readL1(i);
    if (pte === 0) continue;
    const isTable = (pte & 3) === 1;
    l1.push([i, isTable ? pte & 0x3ff : pte, isTable ? 1 : 0]);
    if (!isTable || t.readL2At(i, 0) === null) continue;
    for (let j = 0; j < L2_ENTRIES; j++) {
      const v = t.readL2At(i, j) ?? 0;
      if (v !== 0) l2.push([i, j, v]);
    }
  }
  return { l1, l2, l2_tables_live: t.l2TablesLive() };
}

/**
 * One line per non-zero entry: `L1[0x001] table  l2=0x40004400 NS`, then its L2 entries indented, e.g.
 * `  L2[0x12] small  pa=0x40123000 AF UNPRIV TEX=1 S nG XN  iova=0x00112000`. Runs of identical
 * contiguous copies are folded into one line with `x16`.
 */
export function prettyTable(t: V7sPageTable): string[] {
  const lines: string[] = [];
  const n = t.out.l1Entries;
  const w1 = Math.max(3, (n - 1).toString(16).length);
  lines.push(`L1 table at ${hex(t.out.pgdPhys)} (${n} entries), ${t.l2TablesLive()} live L2 tables`);
  for (let i = 0; i < n; ) {
    const pte = t.readL1(i);
    if (pte === 0) {
      i++;
      continue;
    }
    let run = 1;
    if ((pte & 3) !== 1) while (i + run < n && t.readL1(i + run) === pte) run++;
    const iova = i * 0x100000;
    const desc = describePte(1, pte, t.text);
    const real = (pte & 3) === 1 ? t.lookupL1(iova).tablePa : null;
    const note = real !== null && real !== (t.lookupL1(iova).descriptorTablePa ?? real) ? ` (CPU table at ${hex(real)})` : "";
    lines.push(`L1[${hex(i, w1)}] ${hex(pte, 8)} ${desc}${run > 1 ? ` x${run}` : ""}  iova=${hex(iova, 8)}${note}`);
    if ((pte & 3) === 1 && t.readL2At(i, 0) !== null) {
      const entry = (j: number): number => t.readL2At(i, j) ?? 0;
      for (let j = 0; j < L2_ENTRIES; ) {
        const v = entry(j);
        if (v === 0) {
          j++;
          continue;
        }
        let r = 1;
        while (j + r < L2_ENTRIES && entry(j + r) === v) r++;
        lines.push(`  L2[${hex(j, 2)}] ${hex(v, 8)} ${describePte(2, v, t.text)}${r > 1 ? ` x${r}` : ""}  iova=${hex(iova + j * 0x1000, 8)}`);
        j += r;
      }
    }
    i += run;
  }
  return lines;
}
