// SPDX-License-Identifier: GPL-2.0-only
/**
 * The walk of one IOVA at one moment, as text: what the driver wrote (L1 index and descriptor, the L2
 * table's address and zone, the L2 descriptor field by field, iova_to_phys) and what the hardware sees
 * when it walks the same memory (probe: no side effects).
 */
import { hex } from "../core/u32.ts";
import { decodePte, describePte, FIELDS, type Level, type PteFormat } from "../pgtable/format.ts";
import type { Session } from "./session.ts";

export function explainIova(s: Session, iova: number, at: string): string[] {
  const out: string[] = [];
  const o = s.opts;
  out.push(`IOVA ${hex(iova, 8)} at ${at}: ${o.strategy.name} on ${o.platform.name}, Linux ${o.era.name}`);
  const domain = s.domain;
  if (domain === null) {
    out.push("  no DMA domain: the L1 table could not be allocated (see the kernel messages of `run`)");
    return out;
  }
  const table = domain.table;
  const fmt = table.text;
  const zone = (pa: number): string => s.km.buddy.zoneOf(pa) ?? "not managed RAM";
  const l1 = table.lookupL1(iova);
  out.push(`  L1 table       ${hex(table.out.pgdPhys)} (${zone(table.out.pgdPhys)}), TTBR ${hex(table.out.ttbr, 8)}`);
  out.push(`  L1[${l1.l1Index}]        ${hex(l1.pte, 8)}  ${describePte(1, l1.pte, fmt)}`);
  fields(out, 1, l1.pte, fmt);
  if (l1.tablePa !== null) {
    out.push(`  L2 table       ${hex(l1.tablePa)} (${zone(l1.tablePa)}, ${l1.tablePa >= 2 ** 32 ? "above" : "below"} 4 GiB)`);
    if (l1.descriptorTablePa !== null && l1.descriptorTablePa !== l1.tablePa) {
      out.push(`  !! the descriptor encodes ${hex(l1.descriptorTablePa)}: the pointer was truncated (fit check off)`);
    }
    const l2 = table.readL2(iova) ?? 0;
    const l2i = Math.floor(iova / 4096) % 256;
    out.push(`  L2[${l2i}]        ${hex(l2, 8)}  ${describePte(2, l2, fmt)}`);
    fields(out, 2, l2, fmt);
  }
  const sw = domain.iovaToPhys(iova);
  out.push(`  iova_to_phys   ${sw === 0 ? "0 (no translation)" : hex(sw)}`);
  const hw = s.m4u.probe(iova);
  out.push("  hardware walk (M4U probe):");
  for (const st of hw.steps) out.push(`    L${st.level} descriptor at ${hex(st.descriptorPa)} = ${hex(st.descriptor, 8)} (${st.kind})`);
  if (hw.ok) {
    const owner = s.km.buddy.ownerOf(hw.pa);
    out.push(`    -> PA ${hex(hw.pa)} (${hw.pageSize / 1024} KiB page${hw.writable ? "" : ", read-only"}), in the model's memory ${owner === null ? "a free page" : `a page of ${owner}`}`);
  } else {
    out.push(`    -> ${hw.fault.type} fault at level ${hw.fault.level}, descriptor ${hex(hw.fault.descriptor, 8)} at ${hex(hw.fault.descriptorPa)}`);
  }
  return out;
}

function fields(out: string[], lvl: Level, pte: number, fmt: PteFormat): void {
  const d = decodePte(lvl, pte, fmt);
  if (d.type === null) return;
  const bits = new Map(FIELDS[d.type].map((f) => [f.name, f.width === 1 ? `bit ${f.lsb}` : `bits ${f.lsb + f.width - 1}:${f.lsb}`]));
  const parts = Object.entries(d.fields).map(([k, v]) => `${k}=${v > 9 ? hex(v) : v}${bits.has(k) ? ` (${bits.get(k)})` : ""}`);
  for (let i = 0; i < parts.length; i += 4) out.push(`      ${parts.slice(i, i + 4).join("  ")}`);
}
