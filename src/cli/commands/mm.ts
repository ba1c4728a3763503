// SPDX-License-Identifier: GPL-2.0-only
import { bytes, hexGrouped } from "../../core/u32.ts";
import { bootKernelMemory } from "../../mm/kernel.ts";
import { resolveMachine } from "../../lab/spec.ts";
import { machineFlags } from "../options.ts";

interface MmFlags {
  era?: string;
  platform?: string;
  platformFile?: string;
  background?: string;
  seed?: string;
}

const PAGE = 4096;

/** `mm`: the zones, watermarks and free lists a run starts from. */
export function action(flags: MmFlags): void {
  const p = machineFlags(flags);
  const km = bootKernelMemory({ platform: resolveMachine(p).platform, era: p.era, background: p.background, seed: p.seed });
  const out: string[] = [`${km.platform.name}, Linux ${km.era.name} (${km.era.zones}), background "${p.background}", seed ${p.seed}`, ""];
  out.push("zone     span                                   managed     free        min/low/high (pages)  lowmem_reserve");
  for (const z of km.buddy.zoneStates()) {
    const span = z.endPfn > z.startPfn ? `${hexGrouped(z.startPfn * PAGE)}-${hexGrouped(z.endPfn * PAGE)}` : "empty";
    out.push(
      `${z.name.padEnd(8)} ${span.padEnd(38)} ${bytes(z.managedPages * PAGE).padEnd(11)} ${bytes(z.freePages * PAGE).padEnd(11)} ` +
        `${`${z.min}/${z.low}/${z.high}`.padEnd(21)} [${z.lowmemReserve.join(", ")}]`,
    );
  }
  out.push("", km.buddy.buddyinfo().trimEnd());
  process.stdout.write(out.join("\n") + "\n");
}
