// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DMA_ATTR_FORCE_CONTIGUOUS,
  DMA_ATTR_PRIVILEGED,
  DMA_DIRECTIONS,
  DMA_MAPPING_ERROR,
  type DmaDirection,
  IommuDma,
  dmaInfoToProt,
  platformDevice,
} from "../../src/dma/dma-api.ts";
import { __GFP_COMP, __GFP_DMA32, __GFP_HIGHMEM, __GFP_NORETRY, __GFP_NOWARN, __GFP_ZERO, GFP_ATOMIC, GFP_KERNEL, gfp, has } from "../../src/mm/gfp.ts";
import { IOMMU_CACHE, IOMMU_PRIV, IOMMU_READ, IOMMU_WRITE } from "../../src/pgtable/types.ts";
import { arenaRig, buddyRig, ScriptedPages } from "./rig.ts";

const dev = platformDevice("mtk-disp");

function dmaRig(eraName: "latest" | "v4.19" = "latest", failOrders: readonly number[] = []) {
  const rig = arenaRig(eraName);
  const pages = new ScriptedPages(rig.phys, failOrders);
  return { ...rig, pages, dma: new IommuDma({ domain: rig.domain, pages, cpus: 4 }) };
}

describe("dma_info_to_prot", () => {
  it("maps direction, coherence and DMA_ATTR_PRIVILEGED to IOMMU prot bits", () => {
    assert.equal(dmaInfoToProt("DMA_TO_DEVICE", false, 0), IOMMU_READ);
    assert.equal(dmaInfoToProt("DMA_FROM_DEVICE", false, 0), IOMMU_WRITE);
    assert.equal(dmaInfoToProt("DMA_BIDIRECTIONAL", true, 0), IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
    assert.equal(dmaInfoToProt("DMA_TO_DEVICE", false, DMA_ATTR_PRIVILEGED), IOMMU_READ | IOMMU_PRIV);
  });

  it("has no DMA_NONE: every dma_map_* BUG()s on it, so the type refuses it", () => {
    // @ts-expect-error DMA_NONE is not a mapping direction.
    const none: DmaDirection = "DMA_NONE";
    assert.deepEqual(DMA_DIRECTIONS, ["DMA_BIDIRECTIONAL", "DMA_TO_DEVICE", "DMA_FROM_DEVICE"]);
    assert.ok(!DMA_DIRECTIONS.includes(none));
  });
});

describe("dma_map_page", () => {
  it("maps the page under the aperture top and returns iova + offset", () => {
    const { dma, domain } = dmaRig();
    const a = dma.mapPage(dev, 0x4812_3456, 0x100, "DMA_TO_DEVICE");
    assert.equal(a, 0xff7f_f456);
    assert.equal(domain.iovaToPhys(a), 0x4812_3456);
    // The 4.19 aperture reaches 0xFFFF_FFFF.
    const old = dmaRig("v4.19");
    assert.equal(old.dma.mapPage(dev, 0x4812_3456, 0x100, "DMA_TO_DEVICE"), 0xffff_f456);
  });

  it("widens a buffer that crosses a page to two IOVA pages, 2-page aligned", () => {
    const { dma, domain } = dmaRig();
    // offset 0xF00 + 0x200 = 0x1100 -> 2 pages at (0xFF800 - 2) & ~1 = 0xFF7FE.
    const a = dma.mapPage(dev, 0x4812_3f00, 0x200, "DMA_FROM_DEVICE");
    assert.equal(a, 0xff7f_ef00);
    assert.equal(domain.iovaToPhys(0xff7f_f000), 0x4812_4000);
  });

  it("unmap frees the IOVA into the rcache: the next mapping gets the same address", () => {
    const { dma, domain } = dmaRig();
    const a = dma.mapPage(dev, 0x4812_3000, 0x1000, "DMA_BIDIRECTIONAL");
    dma.unmapPage(dev, a, 0x1000, "DMA_BIDIRECTIONAL");
    assert.equal(domain.iovaToPhys(a), 0);
    assert.equal(dma.iovad.cachedRanges, 1);
    assert.equal(dma.mapPage(dev, 0x4900_0000, 0x1000, "DMA_BIDIRECTIONAL"), a);
  });

  it("returns DMA_MAPPING_ERROR and frees the IOVA when iommu_map fails", () => {
    const { dma, domain } = dmaRig();
    assert.equal(domain.map(0xff7f_f000, 0x4a00_0000, 0x1000, IOMMU_READ, GFP_ATOMIC).ret, 0);
    assert.equal(dma.mapPage(dev, 0x4812_3000, 0x1000, "DMA_TO_DEVICE"), DMA_MAPPING_ERROR);
    assert.equal(dma.counters.mapPageErrors, 1);
    assert.equal(dma.iovad.cachedRanges, 1, "free_iova_fast parked it");
    assert.equal(domain.iovaToPhys(0xff7f_f000), 0x4a00_0000, "the existing mapping is untouched");
  });

  it("honours a device mask below the aperture", () => {
    const { dma } = dmaRig();
    const small = platformDevice("old-dev", { dmaMask: 0x0fff_ffff });
    assert.equal(dma.mapPage(small, 0x4812_3000, 0x1000, "DMA_TO_DEVICE"), 0x0fff_f000);
  });
});

describe("dma_map_sg", () => {
  it("uses one IOVA for the list, merges physically contiguous runs and builds DMA segments", () => {
    const { dma, domain, trace } = dmaRig();
    const m = dma.mapSg(
      dev,
      [
        { phys: 0x5000_0000, length: 0x1000 },
        { phys: 0x5000_1000, length: 0x1000 },
        { phys: 0x5100_0010, length: 0x100 },
      ],
      "DMA_BIDIRECTIONAL",
    );
    assert.ok(m !== null);
    // 3 IOVA pages -> rounded to 4, aligned to 4: pfn (0xFF800 - 4) = 0xFF7FC.
    assert.equal(m.iova, 0xff7f_c000);
    assert.equal(m.iovaLen, 0x3000);
    // Entries 0 and 1 continue each other in IOVA space: one segment; entry 2 starts at an offset.
    assert.deepEqual(m.segments, [
      { dmaAddress: 0xff7f_c000, dmaLength: 0x2000 },
      { dmaAddress: 0xff7f_e010, dmaLength: 0x100 },
    ]);
    assert.equal(m.nents, 2);
    // iommu_map_sg: the physically contiguous 8K is one iommu_map, the third entry another.
    assert.deepEqual(
      trace.events.map((e) => [e.kind, e.iova, e.size]),
      [
        ["map", 0xff7f_c000, 0x2000],
        ["map", 0xff7f_e000, 0x1000],
      ],
    );
    assert.equal(domain.iovaToPhys(0xff7f_e010), 0x5100_0010);
    dma.unmapSg(dev, m, "DMA_BIDIRECTIONAL");
    assert.equal(domain.iovaToPhys(0xff7f_c000), 0);
    assert.deepEqual(trace.events.at(-1), { kind: "unmap", iova: 0xff7f_c000, size: 0x3000, unmapped: 0x3000 });
    assert.equal(dma.iovad.cachedRanges, 1);
  });

  it("starts a new segment at max_segment_size", () => {
    const { dma } = dmaRig();
    const sg = Array.from({ length: 20 }, (_, i) => ({ phys: 0x5000_0000 + i * 0x1000, length: 0x1000 }));
    const m = dma.mapSg(dev, sg, "DMA_TO_DEVICE");
    assert.ok(m !== null);
    // 64 KiB segments: 16 pages, then 4.
    assert.deepEqual(
      m.segments.map((s) => s.dmaLength),
      [0x10000, 0x4000],
    );
  });
});

describe("MT8173 aperture by era", () => {
  it("the first 4 KiB IOVA is 0xFFFF_F000 up to v6.3 (v4.19, v5.10: DMA_BIT_MASK(32)) and 0xFF7F_F000 from the v6.4 gap", () => {
    const expected = { "v4.19": 0xffff_f000, "v5.10": 0xffff_f000, "v6.6": 0xff7f_f000, latest: 0xff7f_f000 } as const;
    for (const [name, iova] of Object.entries(expected) as [keyof typeof expected, number][]) {
      const { domain } = buddyRig(name);
      const dma = new IommuDma({ domain, pages: buddyRig(name).pages, cpus: 4 });
      assert.equal(dma.mapSingle(dev, 0x4812_3000, 0x1000, "DMA_TO_DEVICE"), iova, name);
      assert.equal(domain.apertureEnd, iova + 0xfff, name);
    }
  });
});

describe("dma_alloc_attrs", () => {
  it("__GFP_COMP: 6.6+ WARNs and returns NULL; 4.19 and 5.10 hand out single (non-compound) pages", () => {
    const latest = dmaRig("latest");
    assert.equal(latest.dma.allocAttrs(dev, 0x2000, gfp(GFP_KERNEL, __GFP_COMP)), null);
    assert.deepEqual(latest.domain.messages.at(-1), { level: "warn", text: "WARN_ON_ONCE: flag & __GFP_COMP (dma_alloc_attrs)" });
    assert.equal(latest.pages.calls.length, 0);
    const old = dmaRig("v4.19");
    const buf = old.dma.allocAttrs(dev, 0x2_0000, gfp(GFP_KERNEL, __GFP_COMP));
    assert.ok(buf !== null);
    for (const c of old.pages.calls) assert.ok(!has(c.gfp, __GFP_COMP) && has(c.gfp, __GFP_ZERO));
  });

  it("the remap path maps with the caller's gfp minus DMA|DMA32|HIGHMEM|COMP, keeping __GFP_ZERO", () => {
    const { dma, domain } = dmaRig("latest");
    const seen: number[] = [];
    const mapSg = domain.mapSg.bind(domain);
    domain.mapSg = (iova, entries, prot, g) => {
      seen.push(g);
      return mapSg(iova, entries, prot, g);
    };
    assert.ok(dma.allocAttrs(dev, 0x3000, gfp(GFP_KERNEL, __GFP_DMA32)) !== null);
    assert.equal(seen.length, 1);
    assert.ok(has(seen[0] as never, __GFP_ZERO) && !has(seen[0] as never, __GFP_DMA32) && !has(seen[0] as never, __GFP_COMP));
    assert.equal(domain.messages.length, 0);
  });

  it("drops an order permanently after it fails, with __GFP_NORETRY while smaller orders remain", () => {
    const { dma, pages, domain } = dmaRig("latest", [8]);
    const buf = dma.allocAttrs(dev, 0x20_0000, gfp(GFP_KERNEL, __GFP_DMA32));
    assert.ok(buf !== null);
    assert.deepEqual(buf.droppedOrders, [8]);
    // 2 MiB = 512 pages: orders {0,4,8} & GENMASK(9, 0): try 8 (fails), then 32 blocks of order 4; 8 is never retried.
    assert.deepEqual(
      pages.calls.map((c) => c.order),
      [8, ...Array<number>(32).fill(4)],
    );
    for (const c of pages.calls) {
      assert.ok(has(c.gfp, __GFP_NORETRY), "order 0 still remains below");
      assert.ok(has(c.gfp, __GFP_ZERO) && has(c.gfp, __GFP_NOWARN) && has(c.gfp, __GFP_HIGHMEM));
      assert.ok(!has(c.gfp, __GFP_DMA32), "dma_alloc_attrs strips the caller's zone bits");
      assert.equal(c.owner, "dma:mtk-disp");
    }
    assert.equal(buf.contiguous, false);
    assert.equal(domain.iovaToPhys(buf.dmaHandle + 0x1f_f000), (buf.blocks[31]?.pa ?? 0) + 0xf000);
    dma.freeAttrs(dev, buf);
    assert.equal(pages.live.size, 0);
    assert.equal(domain.iovaToPhys(buf.dmaHandle), 0);
  });

  it("limits orders to __fls(count) and retries normally at order 0", () => {
    const { dma, pages } = dmaRig();
    // 5 pages: orders & GENMASK(2, 0) = {0}: five order-0 allocations without __GFP_NORETRY.
    const buf = dma.allocAttrs(dev, 0x5000, GFP_KERNEL);
    assert.ok(buf !== null);
    assert.deepEqual(
      pages.calls.map((c) => [c.order, has(c.gfp, __GFP_NORETRY)]),
      Array.from({ length: 5 }, () => [0, false]),
    );
  });

  it("fails cleanly (NULL) when even order 0 fails, giving back what it had", () => {
    const { dma, pages } = dmaRig("latest", [0, 4, 8]);
    assert.equal(dma.allocAttrs(dev, 0x2000, GFP_KERNEL), null);
    assert.equal(pages.live.size, 0);
    assert.equal(dma.counters.allocFailures, 1);
  });

  it("takes one contiguous block for a non-blocking gfp or FORCE_CONTIGUOUS", () => {
    for (const [g, attrs] of [
      [GFP_ATOMIC, 0],
      [GFP_KERNEL, DMA_ATTR_FORCE_CONTIGUOUS],
    ] as const) {
      const { dma, pages, domain } = dmaRig();
      const buf = dma.allocAttrs(dev, 0x3000, g, attrs);
      assert.ok(buf !== null && buf.contiguous);
      assert.deepEqual(
        pages.calls.map((c) => c.order),
        [2],
      );
      assert.equal(domain.iovaToPhys(buf.dmaHandle), buf.blocks[0]?.pa);
      dma.freeAttrs(dev, buf);
      assert.equal(pages.live.size, 0);
    }
  });

  it("an 8 MiB framebuffer from order-8 buddy pages maps as 1 MiB sections at a 1 MiB-aligned IOVA", () => {
    const { domain, hw, pages, trace } = buddyRig("latest");
    const dma = new IommuDma({ domain, pages, cpus: 4 });
    const buf = dma.allocAttrs(dev, 0x80_0000, GFP_KERNEL);
    assert.ok(buf !== null);
    assert.deepEqual(
      buf.blocks.map((b) => b.order),
      Array<number>(8).fill(8),
    );
    // 2048 pages: no rounding, aligned to 2048 pages: (0xFF800 - 0x800) & ~0x7FF = 0xFF000.
    assert.equal(buf.dmaHandle, 0xff00_0000);
    assert.equal(domain.table.l2TablesLive(), 0, "no L2 table: all sections");
    for (let i = 0; i < 8; i++) {
      const t = hw.probe(buf.dmaHandle + i * 0x10_0000 + 0x1234);
      assert.ok(t.ok);
      assert.equal(t.pageSize, 0x10_0000);
      assert.equal(t.pa, (buf.blocks[i]?.pa ?? 0) + 0x1234);
    }
    // One iommu_map per physically contiguous run of blocks.
    assert.ok(trace.events.every((e) => e.kind === "map" && e.size % 0x10_0000 === 0));
    // The same pages at a 64K-aligned (not 1M-aligned) IOVA: 64K large pages in L2 tables.
    const entries = buf.blocks.map((b) => ({ phys: b.pa, length: 0x10_0000 }));
    assert.equal(domain.mapSg(0x2001_0000, entries, IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0x80_0000);
    assert.ok(domain.table.l2TablesLive() > 0);
    const t = hw.probe(0x2011_0000);
    assert.ok(t.ok && t.pageSize === 0x1_0000);
    assert.equal(domain.unmap(0x2001_0000, 0x80_0000), 0x80_0000);
    dma.freeAttrs(dev, buf);
    assert.equal(domain.iovaToPhys(buf.dmaHandle), 0);
    for (const b of buf.blocks) assert.equal(pages.ownerOf(b.pa), null);
  });
});
