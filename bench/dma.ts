// SPDX-License-Identifier: GPL-2.0-only
/**
 * The iommu-dma layer's speed: the IOVA allocator alone (rcache churn, and the tree with 100k live
 * ranges), and dma_map_page + dma_unmap_page of 4 KiB through the real engine and core (arena table
 * memory, no hardware attached, no trace). Timed by measure.ts (minimum CPU time of 5 interleaved runs).
 */
import { era } from "../src/core/era.ts";
import { Rng } from "../src/core/rng.ts";
import { IommuDma, platformDevice } from "../src/dma/dma-api.ts";
import { IommuDomain } from "../src/dma/iommu-core.ts";
import { IovaDomain } from "../src/dma/iova.ts";
import type { Gfp } from "../src/mm/gfp.ts";
import type { PageSource } from "../src/mm/page-source.ts";
import { PhysMemory } from "../src/phys/memory.ts";
import { platform } from "../src/phys/platform.ts";
import { ArenaTableMemory } from "../src/strategies/arena.ts";
import { type Figure, measure } from "./measure.ts";

const LATEST = era("latest");

/** 1,000 live ranges of 1..16 pages, random alloc/free on 4 CPUs: the rcache path. */
function churnSetup(): { iovad: IovaDomain; rng: Rng; live: [number, number][] } {
  const iovad = IovaDomain.forAperture(LATEST, 0, 4);
  const rng = new Rng(1);
  const live: [number, number][] = [];
  for (let i = 0; i < 1000; i++) {
    const pages = 1 + rng.int(16);
    live.push([iovad.allocIova(pages, 0xff7ff), pages]);
  }
  return { iovad, rng, live };
}

function iovaChurn({ iovad, rng, live }: ReturnType<typeof churnSetup>): number {
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    const cpu = i & 3;
    const j = rng.int(live.length);
    const [pfn, pages] = live[j] as [number, number];
    iovad.freeIova(pfn, pages, cpu);
    const np = 1 + rng.int(16);
    live[j] = [iovad.allocIova(np, 0xff7ff, cpu), np];
  }
  return 2 * N;
}

/**
 * 100,000 live 64-page ranges (no rcache): free a random one, allocate one. A free below the cached
 * node leaves it in place, so the next allocation walks down to the hole, as the kernel's rb_prev walk
 * does: this figure is dominated by that walk (about n/2 ranges per allocation here).
 */
function tree100kSetup(): { iovad: IovaDomain; rng: Rng; live: number[] } {
  const iovad = IovaDomain.forAperture(LATEST, 0, 1);
  const live: number[] = [];
  for (let i = 0; i < 100_000; i++) live.push(iovad.allocIova(64, 0x3fff_ffff));
  return { iovad, rng: new Rng(2), live };
}

function iovaTree100k({ iovad, rng, live }: ReturnType<typeof tree100kSetup>): number {
  const N = 1_000;
  for (let i = 0; i < N; i++) {
    const j = rng.int(live.length);
    iovad.freeIova(live[j] as number, 64);
    live[j] = iovad.allocIova(64, 0x3fff_ffff);
  }
  return 2 * N;
}

const noPages: PageSource = {
  phys: new PhysMemory(platform("mt8173-elm-4g")),
  allocPages: (_g: Gfp, _o: number) => null,
  freePages: () => {},
  zoneOf: () => null,
  ownerOf: () => null,
};

/** dma_map_page + dma_unmap_page of 4 KiB pages of a 16 MiB buffer, 8 in flight. */
function dmaSetup(): IommuDma {
  const phys = new PhysMemory(platform("mt8173-elm-4g"));
  const r = IommuDomain.create({ era: LATEST, mem: new ArenaTableMemory(phys, 0x4000_0000), hw: null, enable4GB: true });
  if (!r.ok) throw new Error(`bench: domain: ${r.reason}`);
  return new IommuDma({ domain: r.domain, pages: noPages, cpus: 4 });
}

function dmaMapUnmap(dma: IommuDma): number {
  const dev = platformDevice("bench");
  const inflight: number[] = [];
  const N = 30_000;
  for (let i = 0; i < N; i++) {
    const a = dma.mapPage(dev, 0x5000_0000 + (i % 4096) * 0x1000, 0x1000, "DMA_BIDIRECTIONAL");
    if (a < 0) throw new Error("bench: dma_map_page failed");
    inflight.push(a);
    if (inflight.length > 8) dma.unmapPage(dev, inflight.shift() as number, 0x1000, "DMA_BIDIRECTIONAL");
  }
  for (const a of inflight) dma.unmapPage(dev, a, 0x1000, "DMA_BIDIRECTIONAL");
  return N;
}

export async function run(): Promise<Figure[]> {
  const t = await measure([
    { name: "iova_alloc_free", setup: () => iovaChurn.bind(null, churnSetup()) },
    { name: "iova_alloc_free_100k_live", setup: () => iovaTree100k.bind(null, tree100kSetup()) },
    { name: "dma_map_unmap_4k", setup: () => dmaMapUnmap.bind(null, dmaSetup()) },
  ]);
  return [
    { name: "iova_alloc_free", unit: "ops/CPU-s (alloc or free, rcache churn, 1k live)", value: t.iova_alloc_free.unitsPerSecond },
    { name: "iova_alloc_free_100k_live", unit: "ops/CPU-s (64-page ranges, tree path)", value: t.iova_alloc_free_100k_live.unitsPerSecond },
    { name: "dma_map_unmap_4k", unit: "ops/CPU-s (one map + one unmap)", value: t.dma_map_unmap_4k.unitsPerSecond },
  ];
}
