// SPDX-License-Identifier: GPL-2.0-only
/** The dma-side era data the audits corrected, pinned per modelled era with the kernel text it comes from. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era, ERA_NAMES } from "../../src/core/era.ts";
import { mtkV7sConfig } from "../../src/dma/iommu-core.ts";

const by = <T>(f: (name: (typeof ERA_NAMES)[number]) => T): Record<string, T> => Object.fromEntries(ERA_NAMES.map((n) => [n, f(n)]));

describe("dma era data", () => {
  it("MT8173 aperture: DMA_BIT_MASK(32) up to v6.3 (4.19, 5.10), SZ_4G - SZ_8M from v6.4", () => {
    assert.deepEqual(
      by((n) => era(n).mt8173ApertureEnd),
      { "v4.14": 0xffff_ffff, "v4.19": 0xffff_ffff, "v5.10": 0xffff_ffff, "v6.6": 0xff7f_ffff, latest: 0xff7f_ffff },
    );
  });

  it("release boundaries between the modelled eras: range tracepoint (v5.17), map_pages count (v5.15), magazine 127 (v6.0)", () => {
    assert.deepEqual(
      by((n) => [era(n).tracepointFormat, era(n).mapPagesBatched, era(n).iovaRcacheMagazineSize]),
      {
        "v4.14": ["old", false, 128],
        "v4.19": ["old", false, 128],
        "v5.10": ["old", false, 128],
        "v6.6": ["range", true, 127],
        latest: ["range", true, 127],
      },
    );
  });

  it("v5.10 follows its own v7s text (no MTK_TTBR_EXT), with mtk_iommu's 5.10 oas of 34", () => {
    assert.equal(era("v5.10").pgtable, "v5.10");
    const cfg = mtkV7sConfig(era("v5.10"), true);
    assert.equal(cfg.oas, 34);
    assert.deepEqual([mtkV7sConfig(era("v4.19"), true).oas, mtkV7sConfig(era("v6.6"), true).oas, mtkV7sConfig(era("v6.6"), false).oas], [32, 33, 32]);
  });

  it("dma_alloc_attrs __GFP_COMP and the ftrace context columns per era", () => {
    assert.deepEqual(
      by((n) => era(n).dma.dmaAllocComp),
      { "v4.14": "split", "v4.19": "split", "v5.10": "strip", "v6.6": "reject", latest: "reject" },
    );
    assert.deepEqual(era("v5.10").dma.ftraceContext, { pidWidth: 7, flagChars: 4 });
  });
});

describe("era releases", () => {
  it("v5.10 stands for 5.10.0-5.10.21, before 5.10.22's devicetree ZONE_DMA backport; --help can say so", async () => {
    const { eraChoices } = await import("../../src/core/era.ts");
    assert.equal(era("v5.10").releases, "5.10.0-5.10.21");
    assert.match(era("v5.10").description, /^Linux 5\.10\.0-5\.10\.21 \(before 5\.10\.22 backported the devicetree-sized ZONE_DMA\)/);
    assert.equal(eraChoices(), "v4.14 (4.14), v4.19 (4.19.0), v5.10 (5.10.0-5.10.21), v6.6 (6.6.y), latest (6.13 and later)");
  });
});
