// SPDX-License-Identifier: GPL-2.0-only
/**
 * iommu_map_sg and dma_map_sg without per-entry copies (runs read off the entries in place, no result
 * object per run, the caller's scatterlist passed on when it is already IOVA-aligned) against the code
 * they replaced, copied here as the reference and run on a twin rig: after every operation of a random
 * sequence both rigs agree on return values, counters, kernel messages, flush logs, trace events, the
 * tables' contents and the TLB.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { alignUp } from "../../src/core/bits.ts";
import type { EraName } from "../../src/core/era.ts";
import { EINVAL } from "../../src/core/errors.ts";
import { type DmaDevice, IommuDma, platformDevice, type SgEntry, type SgMapping } from "../../src/dma/dma-api.ts";
import type { IommuDomain } from "../../src/dma/iommu-core.ts";
import { iommuPgsizeInto, type PgsizeOut } from "../../src/dma/pgsize.ts";
import { __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, GFP_ATOMIC, GFP_KERNEL, type Gfp } from "../../src/mm/gfp.ts";
import { dumpTable } from "../../src/pgtable/dump.ts";
import { IOMMU_READ, IOMMU_WRITE } from "../../src/pgtable/types.ts";
import { arenaRig, type Rig, ScriptedPages } from "./rig.ts";

// --- the previous implementation (reference), b0f46f0 src/dma/iommu-core.ts and dma-api.ts ---------------
// Private members of the domain are reached by name: they are the same primitives the new code calls.
interface DomainPrivates {
  table: IommuDomain["table"];
  inOp: "map" | "unmap" | "idle";
  driverPaddr(paddr: number): number;
  flushRange(iova: number, size: number, cause: string, skip: boolean): void;
}
const PGSIZE: PgsizeOut = { pgsize: 0, count: 0 };
function isAligned(x: number, a: number): boolean {
  return x % a === 0;
}
function pa64(x: number): string {
  return "0x" + x.toString(16).padStart(16, "0");
}
function checkAddr(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} = ${v}: must be a non-negative safe integer`);
}
function oldMapNoSync(d: IommuDomain, iova: number, paddr: number, size: number, prot: number, gfp: Gfp): { ret: number; mapped: number; rolledBack: number } {
  const p = d as unknown as DomainPrivates;
  checkAddr("iommu_map iova", iova);
  checkAddr("iommu_map paddr", paddr);
  checkAddr("iommu_map size", size);
  if (d.features.rejectZoneGfp && (gfp & (__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) !== 0) {
    d.messages.push({ level: "warn", text: "WARN_ON_ONCE: gfp & (__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)" });
    return { ret: -EINVAL, mapped: 0, rolledBack: 0 };
  }
  const min = d.minPagesz;
  if (!isAligned(iova, min) || !isAligned(paddr, min) || !isAligned(size, min)) {
    d.messages.push({
      level: "err",
      text: `unaligned: iova 0x${iova.toString(16)} pa ${pa64(paddr)} size 0x${size.toString(16)} min_pagesz 0x${min.toString(16)}`,
    });
    return { ret: -EINVAL, mapped: 0, rolledBack: 0 };
  }
  const table = p.table;
  const batched = d.era.mapPagesBatched;
  let ret = 0;
  let mapped = 0;
  let curIova = iova;
  let curPa = paddr;
  let left = size;
  p.inOp = "map";
  try {
    while (left > 0) {
      const pgsize = iommuPgsizeInto(PGSIZE, d.pgsizeBitmap, curIova, curPa, left, batched);
      const count = PGSIZE.count;
      let done: number;
      if (batched) {
        const r = table.mapPages(curIova, p.driverPaddr(curPa), pgsize, count, prot, gfp);
        done = r.mapped;
        ret = r.ret;
        if (ret === 0 && done === 0) throw new RangeError("iommu_map: map_pages mapped nothing and returned 0");
      } else {
        ret = table.map(curIova, p.driverPaddr(curPa), pgsize, prot);
        done = ret === 0 ? pgsize : 0;
      }
      left -= done;
      mapped += done;
      if (ret !== 0) break;
      curIova += done;
      curPa += done;
    }
  } finally {
    p.inOp = "idle";
  }
  if (ret !== 0) {
    const rolledBack = d.unmap(iova, mapped);
    return { ret, mapped, rolledBack: Math.max(0, rolledBack) };
  }
  d.counters.bytesMapped += size;
  d.trace?.emit({ kind: "map", iova, paddr, size });
  return { ret: 0, mapped, rolledBack: 0 };
}
function oldDomainMap(d: IommuDomain, iova: number, paddr: number, size: number, prot: number, gfp: Gfp): { ret: number; mapped: number; rolledBack: number } {
  d.counters.mapCalls++;
  const r = oldMapNoSync(d, iova, paddr, size, prot, gfp);
  if (r.ret !== 0) {
    d.counters.mapFailures++;
    return r;
  }
  if (d.features.mtkFlush === "sync-map") (d as unknown as DomainPrivates).flushRange(iova, size, "sync-map", d.skipFlush.map ?? false);
  return r;
}
function oldDomainMapSg(d: IommuDomain, iova: number, entries: readonly { readonly phys: number; readonly length: number }[], prot: number, gfp: Gfp): number {
  d.counters.mapCalls++;
  const runs: { phys: number; length: number }[] = [];
  for (const e of entries) {
    const last = runs[runs.length - 1];
    if (d.features.sgMerge && last !== undefined && last.phys + last.length === e.phys) last.length += e.length;
    else runs.push({ phys: e.phys, length: e.length });
  }
  let mapped = 0;
  for (const run of runs) {
    if (!d.features.sgMerge && !isAligned(run.phys, d.minPagesz)) {
      d.unmap(iova, mapped);
      d.counters.mapFailures++;
      return -EINVAL;
    }
    const r = oldMapNoSync(d, iova + mapped, run.phys, run.length, prot, gfp);
    if (r.ret !== 0) {
      d.unmap(iova, mapped);
      d.counters.mapFailures++;
      return r.ret;
    }
    mapped += run.length;
  }
  if (d.features.mtkFlush === "sync-map" && mapped > 0) (d as unknown as DomainPrivates).flushRange(iova, mapped, "sync-map", d.skipFlush.map ?? false);
  return mapped;
}
function oldDmaMapSg(dma: IommuDma, dev: DmaDevice, sg: readonly SgEntry[], prot: number, cpu = 0): SgMapping | null {
  if (sg.length === 0) throw new RangeError("dma_map_sg: empty scatterlist");
  dma.counters.mapSg++;
  const boundary = dev.segBoundaryMask + 1;
  const offs: number[] = [];
  const iovaLens: number[] = [];
  const aligned: { phys: number; length: number }[] = [];
  let iovaLen = 0;
  for (const s of sg) {
    if (!Number.isSafeInteger(s.length) || s.length <= 0) throw new RangeError(`dma_map_sg entry length = ${s.length}: must be a positive integer`);
    const off = s.phys % 4096;
    const len = alignUp(s.length + off, 4096);
    const pad = (boundary - (iovaLen % boundary)) % boundary;
    const prev = aligned.length - 1;
    if (pad !== 0 && pad < len - 1 && prev >= 0) {
      (aligned[prev] as { length: number }).length += pad;
      iovaLens[prev] = (iovaLens[prev] as number) + pad;
      iovaLen += pad;
    }
    offs.push(off);
    iovaLens.push(len);
    aligned.push({ phys: s.phys - off, length: len });
    iovaLen += len;
  }
  const iova = dma.allocIova(dev, iovaLen, dev.dmaMask, cpu);
  if (iova === 0) {
    dma.counters.mapSgErrors++;
    return null;
  }
  const ret = oldDomainMapSg(dma.domain, iova, aligned, prot, GFP_ATOMIC);
  if (ret < iovaLen) {
    dma.freeIova(iova, iovaLen, cpu);
    dma.counters.mapSgErrors++;
    return null;
  }
  const segments: { dmaAddress: number; dmaLength: number }[] = [];
  let dmaAddr = iova;
  let curLen = 0;
  for (let i = 0; i < sg.length; i++) {
    const sOff = offs[i] as number;
    const sLen = (sg[i] as SgEntry).length;
    const sIovaLen = iovaLens[i] as number;
    const last = segments[segments.length - 1];
    if (last !== undefined && curLen !== 0 && sOff === 0 && dmaAddr % boundary !== 0 && dev.maxSegmentSize - curLen >= sLen) {
      curLen += sLen;
      last.dmaLength = curLen;
    } else {
      curLen = sLen;
      segments.push({ dmaAddress: dmaAddr + sOff, dmaLength: sLen });
    }
    dmaAddr += sIovaLen;
    if (sLen + sOff < sIovaLen) curLen = 0;
  }
  return { nents: segments.length, segments, iova, iovaLen };
}
// ---------------------------------------------------------------------------------------------------

const ERAS: readonly EraName[] = ["v4.19", "v5.10", "v6.6", "latest"];
const RW = IOMMU_READ | IOMMU_WRITE;

/** Everything the model shows of a rig. */
function state(r: Rig): unknown {
  const d = r.domain;
  return {
    counters: { ...d.counters },
    messages: [...d.messages],
    flushes: [...d.flushLog],
    trace: [...r.trace.events],
    table: dumpTable(d.table),
    tlb: r.hw.tlbEntries(),
    hw: r.hw.counters(),
  };
}

/** Scatterlist entries: runs of physically contiguous pages (merged where the era merges), some unaligned. */
const entryArb = fc.record({
  gap: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }) }),
  pages: fc.oneof(
    { weight: 6, arbitrary: fc.constant(1) },
    { weight: 3, arbitrary: fc.integer({ min: 2, max: 20 }) },
    { weight: 1, arbitrary: fc.constant(256) },
  ),
  offset: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4095 }) }),
  shorten: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4095 }) }),
});
type EntrySpec = { gap: number; pages: number; offset: number; shorten: number };

function entriesOf(base: number, specs: readonly EntrySpec[], whole: boolean): { phys: number; length: number }[] {
  const out: { phys: number; length: number }[] = [];
  let pa = base;
  for (const s of specs) {
    pa += s.gap * 4096;
    const phys = pa + (whole ? 0 : s.offset);
    const length = Math.max(1, s.pages * 4096 - (whole ? 0 : s.offset + s.shorten));
    out.push({ phys, length });
    pa += s.pages * 4096;
  }
  return out;
}

type DomainOp =
  | { op: "mapSg"; iovaPage: number; pa: number; specs: EntrySpec[]; whole: boolean; gfp: "atomic" | "dma32" }
  | { op: "map"; iovaPage: number; pa: number; pages: number }
  | { op: "unmap"; iovaPage: number; pages: number }
  | { op: "touch"; iovaPage: number };

/** IOVAs in a 16 MiB window, so maps overlap (-EEXIST and its rollback) and flushes meet TLB entries. */
const iovaPage = fc.integer({ min: 0, max: 4095 }).map((p) => 0x1000_0 + p);
const paBase = fc.constantFrom(0x5000_0000, 0x7000_0000, 0x1_2000_0000);
const domainOp: fc.Arbitrary<DomainOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("mapSg" as const),
      iovaPage,
      pa: paBase,
      specs: fc.array(entryArb, { minLength: 1, maxLength: 12 }),
      whole: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      gfp: fc.oneof({ weight: 9, arbitrary: fc.constant("atomic" as const) }, { weight: 1, arbitrary: fc.constant("dma32" as const) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("map" as const), iovaPage, pa: paBase, pages: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unmap" as const), iovaPage, pages: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("touch" as const), iovaPage }) },
);

describe("iommu_map_sg reading runs in place equals the run-copying version", () => {
  for (const eraName of ERAS) {
    it(`${eraName}: same returns, counters, messages, flushes, trace, tables and TLB after every operation`, () => {
      fc.assert(
        fc.property(fc.array(domainOp, { maxLength: 25 }), (ops) => {
          const now = arenaRig(eraName);
          const old = arenaRig(eraName);
          for (const o of ops) {
            switch (o.op) {
              case "mapSg": {
                const entries = entriesOf(o.pa, o.specs, o.whole);
                const gfp = o.gfp === "atomic" ? GFP_ATOMIC : ((GFP_KERNEL | __GFP_DMA32) as Gfp);
                assert.equal(now.domain.mapSg(o.iovaPage * 4096, entries, RW, gfp), oldDomainMapSg(old.domain, o.iovaPage * 4096, entries, RW, gfp));
                break;
              }
              case "map":
                assert.deepEqual(
                  now.domain.map(o.iovaPage * 4096, o.pa, o.pages * 4096, RW, GFP_ATOMIC),
                  oldDomainMap(old.domain, o.iovaPage * 4096, o.pa, o.pages * 4096, RW, GFP_ATOMIC),
                );
                break;
              case "unmap":
                assert.equal(now.domain.unmap(o.iovaPage * 4096, o.pages * 4096), old.domain.unmap(o.iovaPage * 4096, o.pages * 4096));
                break;
              case "touch":
                assert.deepEqual(now.hw.translate(o.iovaPage * 4096, "read"), old.hw.translate(o.iovaPage * 4096, "read"));
                break;
            }
            assert.deepEqual(state(now), state(old));
          }
        }),
        { numRuns: eraName === "v4.19" ? 150 : 60 },
      );
    });
  }
});

type DmaOp =
  | { op: "mapSg"; pa: number; specs: EntrySpec[]; whole: boolean; boundary: number }
  | { op: "unmapSg"; pick: number }
  | { op: "touch"; pick: number; page: number };

const dmaOp: fc.Arbitrary<DmaOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("mapSg" as const),
      pa: paBase,
      specs: fc.array(entryArb, { minLength: 1, maxLength: 40 }),
      whole: fc.boolean(),
      // A small segment boundary makes dma_map_sg pad entries apart.
      boundary: fc.constantFrom(0xffff_ffff, 0xffff, 0x3_ffff),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("unmapSg" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("touch" as const), pick: fc.nat(), page: fc.nat() }) },
);

describe("dma_map_sg passing an aligned scatterlist on equals the copying version", () => {
  for (const eraName of ERAS) {
    it(`${eraName}: same mappings, counters and model state after every operation`, () => {
      fc.assert(
        fc.property(fc.array(dmaOp, { maxLength: 20 }), (ops) => {
          const twins = [arenaRig(eraName), arenaRig(eraName)].map((rig) => ({
            rig,
            dma: new IommuDma({ domain: rig.domain, pages: new ScriptedPages(rig.phys), cpus: 4 }),
            live: [] as SgMapping[],
          }));
          const [now, old] = twins as [(typeof twins)[0], (typeof twins)[0]];
          for (const o of ops) {
            switch (o.op) {
              case "mapSg": {
                const dev = platformDevice("dev", { segBoundaryMask: o.boundary });
                const sg = entriesOf(o.pa, o.specs, o.whole);
                const a = now.dma.mapSg(dev, sg, "DMA_BIDIRECTIONAL");
                const b = oldDmaMapSg(old.dma, dev, sg, RW);
                assert.deepEqual(a, b);
                if (a !== null && b !== null) {
                  now.live.push(a);
                  old.live.push(b);
                }
                break;
              }
              case "unmapSg": {
                if (now.live.length === 0) break;
                const i = o.pick % now.live.length;
                const dev = platformDevice("dev");
                now.dma.unmapSg(dev, now.live.splice(i, 1)[0] as SgMapping, "DMA_BIDIRECTIONAL");
                old.dma.unmapSg(dev, old.live.splice(i, 1)[0] as SgMapping, "DMA_BIDIRECTIONAL");
                break;
              }
              case "touch": {
                if (now.live.length === 0) break;
                const m = now.live[o.pick % now.live.length] as SgMapping;
                const at = m.iova + (o.page % (m.iovaLen / 4096)) * 4096;
                assert.deepEqual(now.rig.hw.translate(at, "write"), old.rig.hw.translate(at, "write"));
                break;
              }
            }
            assert.deepEqual(now.dma.counters, old.dma.counters);
            assert.deepEqual(state(now.rig), state(old.rig));
          }
        }),
        { numRuns: eraName === "v4.19" ? 120 : 50 },
      );
    });
  }
});
