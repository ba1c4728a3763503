// SPDX-License-Identifier: GPL-2.0-only
/**
 * The fixed cost of one booted system, which `compare` pays once per strategy: the boot (memblock, the
 * buddy over 4 GiB, device probe, the "typical" background fill) of the default machine, and the host
 * memory the booted kernel holds (ArrayBuffers: the buddy's per-page state, the background's block
 * lists, PhysMemory's chunks; JS heap). Timed by measure.ts; the bytes are per boot, between full GCs.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { bootSystem, type System } from "../src/lab/system.ts";
import { DEFAULT_MACHINE, variant } from "../src/lab/spec.ts";
import { type Figure, measure } from "./measure.ts";

const BOOTS = 4;

export async function run(): Promise<Figure[]> {
  const spec = { machine: DEFAULT_MACHINE, variant: variant("slab-dma32") };
  const t = await measure([
    {
      name: "boot",
      setup: () => () => {
        for (let i = 0; i < BOOTS; i++) bootSystem(spec);
        return BOOTS;
      },
    },
  ]);
  const figures: Figure[] = [
    { name: "boot_default_machine_ms", unit: "CPU ms per system (mt8173-elm-4g v4.19, typical background)", value: t.boot.cpuMs / BOOTS },
  ];
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (() => void) | undefined;
  if (typeof gc === "function") {
    // ArrayBuffer backing stores are freed by a background sweep: collect until the count settles.
    const settled = async (): Promise<NodeJS.MemoryUsage> => {
      let last = -1;
      for (let i = 0; i < 20; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
        const ab = process.memoryUsage().arrayBuffers;
        if (ab === last) break;
        last = ab;
      }
      return process.memoryUsage();
    };
    const before = await settled();
    const kept: System[] = [];
    for (let i = 0; i < BOOTS; i++) kept.push(bootSystem(spec));
    const after = await settled();
    figures.push(
      { name: "boot_array_buffers_mb", unit: "MB of ArrayBuffers per booted system", value: (after.arrayBuffers - before.arrayBuffers) / BOOTS / 1e6 },
      { name: "boot_js_heap_mb", unit: "MB of JS heap per booted system", value: (after.heapUsed - before.heapUsed) / BOOTS / 1e6 },
    );
    if (kept.length !== BOOTS) throw new Error("bench boot: lost a system");
  }
  return figures;
}
