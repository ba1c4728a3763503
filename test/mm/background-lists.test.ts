// SPDX-License-Identifier: GPL-2.0-only
/**
 * The background load with its live blocks packed in typed lists against the number[] version it
 * replaced (background-reference.ts), each on its own freshly booted buddy with the same seed: the fill,
 * churn (allocations and random frees), and kswapd's reclaim must leave identical free lists, counts and
 * reclaim statistics.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { applyBackgroundLoad, type BackgroundPreset } from "../../src/mm/background.ts";
import { KernelBoot } from "../../src/mm/boot.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { GFP_DMA32, GFP_KERNEL, gfp } from "../../src/mm/gfp.ts";
import { ReferenceBackgroundLoad } from "./background-reference.ts";
import { freeLists } from "./buddy-helpers.ts";

function booted(eraName: string): BuddyAllocator {
  const boot = new KernelBoot({ platform: "mt8173-elm-4g", era: eraName });
  boot.reserveMemblock();
  boot.initBuddy();
  return boot.buddy;
}

function state(b: BuddyAllocator): unknown {
  return { lists: freeLists(b), zones: b.zoneStates(), usage: [...b.usageByOwner()], stats: { ...b.stats } };
}

const CASES: readonly [string, BackgroundPreset, number][] = [
  ["v4.19", "typical", 3],
  ["v4.19", "dma32-pressure", 5],
  ["v6.6", "light", 11],
];

for (const [eraName, preset, seed] of CASES) {
  test(`${eraName} ${preset}: packed block lists behave as the number[] ones through fill, churn and kswapd`, () => {
    const a = booted(eraName);
    const r = booted(eraName);
    const rngA = new Rng(seed);
    const rngR = new Rng(seed);
    const bgA = applyBackgroundLoad(a, preset, rngA);
    const bgR = new ReferenceBackgroundLoad(r, preset, rngR);
    bgR.fill(rngR);
    assert.deepEqual(state(a), state(r));
    assert.equal(bgA.liveBlocks, bgR.liveBlocks);
    // Churn, with requests that reach the slow path (and wake kswapd) under pressure.
    const dma32 = gfp(GFP_KERNEL, GFP_DMA32);
    for (let i = 0; i < 30000; i++) {
      bgA.step(rngA);
      bgR.step(rngR);
      if (i % 50 === 0) {
        const order = i % 4;
        const pa = a.allocPages(i % 100 === 0 ? dma32 : GFP_KERNEL, order, "test");
        assert.equal(pa, r.allocPages(i % 100 === 0 ? dma32 : GFP_KERNEL, order, "test"), `step ${i}`);
      }
      if (i % 5000 === 0) assert.deepEqual(state(a), state(r), `step ${i}`);
    }
    assert.deepEqual(state(a), state(r));
    assert.deepEqual(bgA.kswapd, bgR.kswapd);
    assert.deepEqual([bgA.heldPages, bgA.liveBlocks], [bgR.heldPages, bgR.liveBlocks]);
    if (preset === "dma32-pressure") assert.ok(bgA.kswapd.runs > 0, "kswapd ran");
    bgA.releaseAll();
    bgR.releaseAll();
    assert.deepEqual(state(a), state(r));
    assert.equal(bgA.heldPages, 0);
  });
}
