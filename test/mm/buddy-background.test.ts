// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { DMA32_PRESSURE_MARGIN } from "../../src/mm/background.ts";
import { GFP_DMA, GFP_DMA32, GFP_KERNEL } from "../../src/mm/gfp.ts";
import { bootKernelMemory } from "../../src/mm/kernel.ts";
import { SZ_4G } from "../../src/core/u32.ts";

const used = (s: { freePages: number; managedPages: number }): number => 1 - s.freePages / s.managedPages;

test("presets on elm v4.19 leave the fill their doc comment states", () => {
  const none = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19" });
  assert.equal(none.background.heldPages, 0);

  const light = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "light", seed: 7 });
  const ln = light.buddy.zoneState("NORMAL");
  const ld = light.buddy.zoneState("DMA32");
  assert.ok(used(ln) > 0.5 && used(ln) < 0.7, `light NORMAL ${used(ln)}`);
  assert.ok(used(ld) < 0.05, `light DMA32 ${used(ld)}`);

  const typical = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "typical", seed: 7 });
  const tn = typical.buddy.zoneState("NORMAL");
  const td = typical.buddy.zoneState("DMA32");
  // NORMAL consumed first, then kswapd left it just above its high watermark.
  assert.ok(tn.freePages > tn.high && tn.freePages < tn.high + 64, `typical NORMAL free ${tn.freePages}`);
  assert.ok(used(td) > 0.7 && used(td) < 0.78, `typical DMA32 ${used(td)}`);
  // A new GFP_DMA (= NORMAL in 4.19) page still lands above 4 GiB.
  assert.ok((typical.buddy.allocPages(GFP_DMA, 0, "t") as number) >= SZ_4G);
  typical.buddy.checkInvariants();

  const pressure = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "dma32-pressure", seed: 7 });
  const pd = pressure.buddy.zoneState("DMA32");
  assert.equal(pd.freePages, pd.high + DMA32_PRESSURE_MARGIN);
  assert.ok(pressure.buddy.allocPages(GFP_DMA32, 0, "t") !== null);
  pressure.buddy.checkInvariants();
});

test("the background is deterministic per seed and keeps the allocator consistent while churning", () => {
  const a = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "typical", seed: 3 });
  const b = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "typical", seed: 3 });
  assert.equal(a.buddy.buddyinfo(), b.buddy.buddyinfo());
  const c = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "typical", seed: 4 });
  assert.notEqual(a.buddy.buddyinfo(), c.buddy.buddyinfo());
  const rng = new Rng(11);
  for (let i = 0; i < 20000; i++) {
    a.background.step(rng);
    if (i % 50 === 0) a.buddy.allocPages(GFP_KERNEL, 0, "table");
  }
  a.buddy.checkInvariants();
  const owners = a.buddy.usageByOwner();
  let bg = 0;
  for (const [owner, byZone] of owners) if (owner.startsWith("background:")) for (const v of Object.values(byZone)) bg += v;
  assert.equal(bg, a.background.heldPages * 4096);
  a.background.releaseAll();
  assert.equal(a.background.heldPages, 0);
  a.buddy.checkInvariants();
});

test("kswapd emulation refills a zone driven under its low watermark", () => {
  const k = bootKernelMemory({ platform: "mt8173-elm-4g", era: "v4.19", background: "dma32-pressure", seed: 5 });
  const rng = new Rng(2);
  // Keep asking for DMA32 pages: the fast path fails, the background reclaims, DMA32 comes back above high.
  const runs = k.background.kswapd.runs;
  for (let i = 0; i < 5000; i++) k.background.allocOne(rng);
  assert.ok(k.background.kswapd.runs > runs);
  k.buddy.checkInvariants();
});
