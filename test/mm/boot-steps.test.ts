// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SZ_4G } from "../../src/core/u32.ts";
import { BACKGROUND_PRESETS } from "../../src/mm/background.ts";
import { bootKernel, KernelBoot, memblockAllocTopDown, memblockReservations, memmapBytes } from "../../src/mm/boot.ts";
import { __GFP_ZERO, GFP_DMA, gfp } from "../../src/mm/gfp.ts";
import { era } from "../../src/core/era.ts";
import { platform } from "../../src/phys/platform.ts";
import { zonesFor } from "../../src/phys/zones.ts";

const MiB = 1024 * 1024;
const legacyL1 = (b: { allocPages: (g: never, o: number, w: string) => number | null }): number | null =>
  b.allocPages(gfp(GFP_DMA, __GFP_ZERO) as never, 2, "io-pgtable-arm-v7s:l1");

describe("memblock reservations", () => {
  it("elm 4.19: 64 MiB memmap at the top of RAM, 64 MiB swiotlb at the top of ZONE_DMA32", () => {
    const p = platform("mt8173-elm-4g");
    assert.equal(memmapBytes(p), 64 * MiB);
    const { regions, messages } = memblockReservations(p, zonesFor(p, era("v4.19")));
    assert.deepEqual(regions, [
      { what: "memmap", start: 0x1_3c00_0000, end: 0x1_4000_0000 },
      { what: "swiotlb", start: 0xfc00_0000, end: 0x1_0000_0000 },
    ]);
    assert.deepEqual(messages, ["software IO TLB: mapped [mem 0xfc000000-0x100000000] (64MB)"]);
  });

  it("5.10 and 6.6: the buffer sits below ZONE_DMA's end (ARCH_LOW_ADDRESS_LIMIT = arm64_dma_phys_limit - 1)", () => {
    const p = platform("mt8173-elm-4g");
    const sw = (e: "v5.10" | "v6.6") => memblockReservations(p, zonesFor(p, era(e))).regions.find((r) => r.what === "swiotlb");
    // 5.10.0-5.10.21: ZONE_DMA is the 30-bit window 0x4000_0000-0x8000_0000.
    assert.deepEqual(sw("v5.10"), { what: "swiotlb", start: 0x7c00_0000, end: 0x8000_0000 });
    assert.deepEqual(sw("v6.6"), { what: "swiotlb", start: 0xfc00_0000, end: 0x1_0000_0000 });
  });

  it("no swiotlb when all RAM lies below arm64_dma_phys_limit (elm 2 GiB)", () => {
    const p = platform("mt8173-elm-2g");
    const { regions, messages } = memblockReservations(p, zonesFor(p, era("v4.19")));
    assert.deepEqual(regions, [{ what: "memmap", start: 0xbe00_0000, end: 0xc000_0000 }]);
    assert.deepEqual(messages, []);
  });

  it("top-down allocation skips reservations and honours the limit and alignment", () => {
    const ram = [{ start: 0x1000_0000, end: 0x2000_0000 }];
    const r = [{ what: "x", start: 0x1f00_0000, end: 0x2000_0000 }];
    assert.equal(memblockAllocTopDown(ram, r, 0x10_0000, 0x1000, 0x2000_0000), 0x1ef0_0000);
    assert.equal(memblockAllocTopDown(ram, r, 0x10_0000, 0x1000, 0x1800_0000), 0x17f0_0000);
    assert.equal(memblockAllocTopDown(ram, r, 0x1_0000, 0x40_0000, 0x1f01_0000), 0x1ec0_0000);
    assert.equal(memblockAllocTopDown(ram, r, 0x2000_0000, 0x1000, 0x2000_0000), null);
  });
});

describe("boot steps in the kernel's order", () => {
  it("the buddy never sees reserved pages: managed = present - reserved, watermarks from managed", () => {
    const boot = new KernelBoot({ platform: "mt8173-elm-4g", era: "v4.19" });
    boot.reserveMemblock();
    boot.initBuddy();
    const b = boot.buddy;
    const [d, n] = [b.zoneState("DMA32"), b.zoneState("NORMAL")];
    assert.deepEqual([d.managedPages, d.freePages, n.managedPages, n.freePages], [770048, 770048, 245760, 245760]);
    // init_per_zone_wmark_min: int_sqrt(1015808 * 4 * 16) = 8062 KiB, 2015 pages shared by managed size.
    assert.deepEqual([d.min, d.low, d.high, n.min, n.low, n.high], [1527, 2297, 3067, 487, 732, 977]);
    assert.equal(b.zoneOf(0x1_3c00_0000), "NORMAL");
    assert.equal(b.ownerOf(0x1_3c00_0000), null);
    b.checkInvariants();
  });

  it("elm 4.19: the L1 allocated at device probe lands above 4 GiB for every background preset, before the load", () => {
    for (const preset of BACKGROUND_PRESETS) {
      let l1: number | null = null;
      const { steps } = bootKernel({ platform: "mt8173-elm-4g", era: "v4.19", background: preset, seed: 1, probe: (b) => void (l1 = legacyL1(b)) });
      // The head of NORMAL's order-10 list is its highest free 4 MiB block, just below the memmap.
      assert.equal(l1, 0x1_3bc0_0000, preset);
      assert.deepEqual(
        steps.map((s) => [s.step, s.timeIndex]),
        [
          ["memblock", 0],
          ["buddy", 1],
          ["device-probe", 2],
          ["background", 3],
          ["workload", 4],
        ],
      );
      assert.deepEqual(steps[2]?.allocated, [
        { what: "io-pgtable-arm-v7s:l1", where: 0x1_3bc0_0000, bytes: 16384, zone: "NORMAL", freed: false, requestedZone: "NORMAL" },
      ]);
      // The probe saw NORMAL as booted: every managed page free, whatever the preset loads later.
      assert.deepEqual(
        steps[2]?.zonesAtStart.map((z) => [z.zone, z.freePages]),
        [
          ["DMA32", 770048],
          ["NORMAL", 245760],
        ],
      );
    }
  });

  it("the same L1 after the typical background load falls to DMA32 (NORMAL sits at its low watermark)", () => {
    let l1: number | null = null;
    const { steps, memory } = bootKernel({
      platform: "mt8173-elm-4g",
      era: "v4.19",
      background: "typical",
      seed: 1,
      probeAfterBackground: true,
      probe: (b) => void (l1 = legacyL1(b)),
    });
    assert.ok(l1 !== null && l1 < SZ_4G);
    assert.equal(memory.buddy.zoneOf(l1), "DMA32");
    assert.deepEqual(
      steps.map((s) => s.step),
      ["memblock", "buddy", "background", "device-probe", "workload"],
    );
    const n = memory.buddy.zoneState("NORMAL");
    assert.equal(n.freePages, n.low);
  });

  it("a refused allocation that was freed again is listed as freed; steps out of order are RangeErrors", () => {
    const boot = new KernelBoot({ platform: "mt8173-elm-4g", era: "v4.19" });
    assert.throws(() => boot.initBuddy(), /out of order/);
    boot.reserveMemblock();
    assert.throws(() => boot.reserveMemblock(), /out of order/);
    boot.initBuddy();
    const { step } = boot.probeDevices((b) => {
      const pa = legacyL1(b) as number;
      b.freePages(pa, 2);
    });
    assert.deepEqual(step.allocated, [
      { what: "io-pgtable-arm-v7s:l1", where: 0x1_3bc0_0000, bytes: 16384, zone: "NORMAL", freed: true, requestedZone: "NORMAL" },
    ]);
    assert.throws(() => boot.background, /no background step/);
    assert.equal(boot.kernelMemory().background.preset, "none");
  });
});
