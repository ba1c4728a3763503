// SPDX-License-Identifier: GPL-2.0-only
/**
 * M4U walker and TLB cost on mt8173-elm-4g in 4GB mode, over 256 L2 tables of 4 KiB pages (65,536
 * mappings, 256 MiB of IOVA) written straight into physical memory. Timed by measure.ts.
 */
import { M4u, mt8173Config } from "../src/iommu/m4u.ts";
import { PhysMemory } from "../src/phys/memory.ts";
import { platform } from "../src/phys/platform.ts";
import { type Figure, measure } from "./measure.ts";

const L1 = 0x4000_4000;
const L2_BASE = 0x4010_0000;
const TABLES = 256;

function build(tlbEntries: number): M4u {
  const phys = new PhysMemory(platform("mt8173-elm-4g"));
  for (let t = 0; t < TABLES; t++) {
    const l2 = L2_BASE + t * 0x400;
    phys.write32(L1 + 4 * t, (l2 | 0x9) >>> 0);
    for (let i = 0; i < 256; i++) {
      // MTK small page, CPU PA 0x5000_0000 + page (bus bit 32 set: PTE bit 9).
      const pa = 0x5000_0000 + (t * 256 + i) * 0x1000;
      phys.write32(l2 + 4 * i, (pa | 0xe42) >>> 0);
    }
  }
  const m4u = new M4u(phys, mt8173Config(true, { tlbEntries }));
  m4u.writePtBase(L1);
  return m4u;
}

/** Deterministic IOVAs spread over the mapped 256 MiB. */
function iovas(n: number): Float64Array {
  const out = new Float64Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = (x % (TABLES * 0x10_0000)) & ~3;
  }
  return out;
}

export async function run(): Promise<Figure[]> {
  const N = 200_000;
  const spread = iovas(N);
  const m4u = build(32);
  // 16 pages in a 32-entry TLB: every access after the first pass hits.
  const hot = new Float64Array(16).map((_, i) => i * 0x10_0000 + 0x40);
  let sink = 0;
  const t = await measure([
    {
      name: "walk_probe",
      setup: () => () => {
        for (let i = 0; i < N; i++) {
          const r = m4u.probe(spread[i] as number);
          if (r.ok) sink += r.pa;
        }
        return N;
      },
    },
    {
      name: "translate_tlb_hit",
      setup: () => {
        for (const iova of hot) m4u.translate(iova, "read");
        return () => {
          for (let i = 0; i < N; i++) {
            const r = m4u.translate(hot[i & 15] as number, "write");
            if (r.ok) sink += r.pa;
          }
          return N;
        };
      },
    },
    {
      // Random pages over 256 MiB with a 32-entry TLB: nearly every access misses, walks and fills.
      name: "translate_tlb_miss_walk",
      setup: () => () => {
        for (let i = 0; i < N; i++) {
          const r = m4u.translate(spread[i] as number, "read");
          if (r.ok) sink += r.pa;
        }
        return N;
      },
    },
  ]);
  if (sink === -1) throw new Error("unreachable");
  return [
    { name: "walk_probe", unit: "CPU ns/op", value: t.walk_probe.nsPerUnit },
    { name: "translate_tlb_hit", unit: "CPU ns/op", value: t.translate_tlb_hit.nsPerUnit },
    { name: "translate_tlb_miss_walk", unit: "CPU ns/op", value: t.translate_tlb_miss_walk.nsPerUnit },
  ];
}
