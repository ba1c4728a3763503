// SPDX-License-Identifier: GPL-2.0-only
import { bytes, hexGrouped } from "../../core/u32.ts";
import { KernelBoot } from "../../mm/boot.ts";
import { machineFlags } from "../options.ts";

interface MmFlags {
  era?: string;
  platform?: string;
  background?: string;
  seed?: string;
}

const PAGE = 4096;

/**
 * `mm`: the kernel memory a run starts from, booted in the kernel's order (mm/boot.ts): the memblock
 * reservations and where they sit, then the zones, watermarks and free lists after the background load.
 */
export function action(flags: MmFlags): void {
  const p = machineFlags(flags);
  const boot = new KernelBoot({ platform: p.platform, era: p.era, seed: p.seed });
  const memblock = boot.reserveMemblock();
  boot.initBuddy();
  boot.loadBackground(p.background);
  const km = boot.kernelMemory();
  const out: string[] = [`${km.platform.name}, Linux ${km.era.name} (${km.era.zones}), background "${p.background}", seed ${p.seed}`, ""];
  out.push("memblock reservations (top-down, before the buddy; not managed by it):");
  if (memblock.allocated.length === 0) out.push("  none modelled");
  for (const r of memblock.allocated) {
    const where = r.where === null ? "?" : `${hexGrouped(r.where)}-${hexGrouped(r.where + r.bytes)}`;
    out.push(`  ${r.what.padEnd(8)} ${where.padEnd(30)} ${bytes(r.bytes).padEnd(8)} ${r.zone ?? "outside every zone"}`);
  }
  for (const m of memblock.messages) out.push(`  ${m}`);
  out.push("");
  out.push("zone     span                                   present     managed     free        min/low/high (pages)  lowmem_reserve");
  for (const z of km.buddy.zoneStates()) {
    const span = z.endPfn > z.startPfn ? `${hexGrouped(z.startPfn * PAGE)}-${hexGrouped(z.endPfn * PAGE)}` : "empty";
    out.push(
      `${z.name.padEnd(8)} ${span.padEnd(38)} ${bytes((z.endPfn - z.startPfn) * PAGE).padEnd(11)} ${bytes(z.managedPages * PAGE).padEnd(11)} ${bytes(z.freePages * PAGE).padEnd(11)} ` +
        `${`${z.min}/${z.low}/${z.high}`.padEnd(21)} [${z.lowmemReserve.join(", ")}]`,
    );
  }
  out.push("", km.buddy.buddyinfo().trimEnd());
  process.stdout.write(out.join("\n") + "\n");
}
