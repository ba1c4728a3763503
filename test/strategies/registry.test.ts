// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
