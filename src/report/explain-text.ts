// SPDX-License-Identifier: GPL-2.0-only
/** An IOVA explanation (lab/explain.ts) as terminal text. */
import { hex } from "../core/u32.ts";
import type { DescriptorView, IovaExplanation } from "../lab/explain.ts";

/** When the walk was taken: the end of the workload, after N events, or at the start of a phase. */
export type ExplainMoment =
  | { readonly kind: "end" }
  | { readonly kind: "event"; readonly events: number }
  | { readonly kind: "phase-start"; readonly events: number; readonly phase: string }
  /** After the trace's line `line` (asked as a line, or as the last event at or before `seconds`). */
  | { readonly kind: "line"; readonly line: number; readonly events: number; readonly seconds?: number };

function momentText(m: ExplainMoment): string {
  if (m.kind === "line") {
    const at = `trace line ${m.line} (${m.events} events in)`;
    return m.seconds === undefined ? at : `${m.seconds}s: ${at}`;
  }
  return m.kind === "end" ? "the end" : m.kind === "event" ? `event ${m.events}` : `event ${m.events} (the start of ${m.phase})`;
}

export function renderExplanation(x: IovaExplanation, at: ExplainMoment): string {
  const out: string[] = [`IOVA ${hex(x.iova, 8)} at ${momentText(at)}: ${x.strategy} on ${x.platform}, Linux ${x.era}`];
  const w = x.walk;
  if (w === null) {
    out.push("  no DMA domain: the L1 table could not be allocated (see the kernel messages of `run`)");
    return out.join("\n") + "\n";
  }
  const zone = (z: string | null): string => z ?? "not managed RAM";
  out.push(`  L1 table       ${hex(w.l1Table.pa)} (${zone(w.l1Table.zone)}), TTBR ${hex(w.l1Table.ttbr, 8)}`);
  const made = w.l1Table.allocatedAt;
  if (made !== null) {
    const bg =
      made.backgroundIndex === null ? "" : `, ${made.timeIndex < made.backgroundIndex ? "before" : "after"} the background load (step ${made.backgroundIndex})`;
    out.push(`                 allocated at boot step ${made.timeIndex} (${made.step})${bg}`);
  }
  descriptor(out, "L1", w.l1);
  if (w.l2 !== null) {
    out.push(`  L2 table       ${hex(w.l2.tablePa)} (${zone(w.l2.tableZone)}, ${w.l2.tableAbove4GiB ? "above" : "below"} 4 GiB)`);
    if (w.l2.encodedTablePa !== null) out.push(`  !! the descriptor encodes ${hex(w.l2.encodedTablePa)}: the pointer was truncated (fit check off)`);
    descriptor(out, "L2", w.l2);
  }
  out.push(`  iova_to_phys   ${w.iovaToPhys === 0 ? "0 (no translation)" : hex(w.iovaToPhys)}`);
  const hw = w.hardware;
  out.push("  hardware walk (M4U probe):");
  for (const st of hw.steps) out.push(`    L${st.level} descriptor at ${hex(st.descriptorPa)} = ${hex(st.descriptor, 8)} (${st.kind})`);
  if (hw.ok) {
    const where = hw.owner === null ? "a free page" : `a page of ${hw.owner}`;
    out.push(`    -> PA ${hex(hw.pa)} (${hw.pageSize / 1024} KiB page${hw.writable ? "" : ", read-only"}), in the model's memory ${where}`);
  } else {
    out.push(`    -> ${hw.fault.type} fault at level ${hw.fault.level}, descriptor ${hex(hw.fault.descriptor, 8)} at ${hex(hw.fault.descriptorPa)}`);
  }
  return out.join("\n") + "\n";
}

function descriptor(out: string[], level: string, d: DescriptorView): void {
  out.push(`  ${level}[${d.index}]        ${hex(d.pte, 8)}  ${d.summary}`);
  const parts = d.fields.map((f) => {
    const bits = f.bits === null ? "" : f.bits.hi === f.bits.lo ? ` (bit ${f.bits.lo})` : ` (bits ${f.bits.hi}:${f.bits.lo})`;
    return `${f.name}=${f.value > 9 ? hex(f.value) : f.value}${bits}`;
  });
  for (let i = 0; i < parts.length; i += 4) out.push(`      ${parts.slice(i, i + 4).join("  ")}`);
}
