// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { era, ERA_NAMES } from "../../src/core/era.ts";
import { STRATEGIES, strategy, STRATEGY_NAMES } from "../../src/strategies/index.ts";
import { make } from "./helpers.ts";

describe("strategy registry", () => {
  it("lists the eight strategies once each, each creating a TableMemory of its own name", () => {
    assert.deepEqual(STRATEGY_NAMES, [
      "legacy-gfp-dma",
      "slab-dma32",
      "genalloc-prealloc",
      "genalloc-grow",
      "page-frag",
      "kzalloc-dma32",
      "page-per-table",
      "mtk-ttbr-ext",
    ]);
    for (const s of STRATEGIES) {
      assert.ok(s.description.length > 0 && s.origin.length > 0);
      assert.equal(make(s.name).tm.name, s.name);
    }
  });

  it("an unknown name is a RangeError listing the known ones", () => {
    assert.throws(() => strategy("slab-dma"), /unknown table-memory strategy "slab-dma" \(known: legacy-gfp-dma, slab-dma32, .*mtk-ttbr-ext\)/);
  });

  it("declares capabilities: only genalloc cannot shrink, only genalloc-prealloc preallocates", () => {
    const caps = Object.fromEntries(STRATEGIES.map((s) => [s.name, s.capabilities]));
    for (const [name, c] of Object.entries(caps)) {
      assert.equal(c.canShrink, !name.startsWith("genalloc"), name);
      assert.equal(c.preallocates, name === "genalloc-prealloc", name);
      assert.equal(c.allocatesInAtomicContext, true, name);
    }
  });
});

describe("strategy provenance", () => {
  it("merged strategies exist in the eras whose v7s text has them; RFC and hypothetical ones in none", () => {
    const exists = Object.fromEntries(STRATEGIES.map((s) => [s.name, ERA_NAMES.filter((e) => s.existsIn(era(e)))]));
    assert.deepEqual(exists, {
      "legacy-gfp-dma": ["v4.14", "v4.19"],
      "slab-dma32": ["v5.10", "v6.6", "latest"],
      "genalloc-prealloc": [],
      "genalloc-grow": [],
      "page-frag": [],
      "kzalloc-dma32": [],
      "page-per-table": [],
      "mtk-ttbr-ext": ["v6.6", "latest"],
    });
    assert.deepEqual(Object.fromEntries(STRATEGIES.map((s) => [s.name, s.provenance.kind])), {
      "legacy-gfp-dma": "merged",
      "slab-dma32": "merged",
      "genalloc-prealloc": "hypothetical",
      "genalloc-grow": "hypothetical",
      "page-frag": "rfc",
      "kzalloc-dma32": "hypothetical",
      "page-per-table": "hypothetical",
      "mtk-ttbr-ext": "merged",
    });
  });

  it("says why a strategy is absent, naming the release that added it", () => {
    assert.equal(
      strategy("mtk-ttbr-ext").absentReason(era("v5.10")),
      "mtk-ttbr-ext is not in Linux v5.10: it is IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT (MediaTek PGTABLE_PA_35_EN series), in v6.0",
    );
    assert.equal(strategy("mtk-ttbr-ext").absentReason(era("v6.6")), null);
    assert.match(strategy("page-frag").absentReason(era("v4.19")) as string, /never merged: it is the RFC <20181204082300/);
    assert.match(strategy("kzalloc-dma32").absentReason(era("latest")) as string, /hypothetical .*strips GFP_DMA32 from kmalloc/);
  });
});
