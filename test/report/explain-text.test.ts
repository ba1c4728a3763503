// SPDX-License-Identifier: GPL-2.0-only
/** explainIova gives data (bounded by the system's own IOVA space); renderExplanation turns it into text. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperimentSync } from "../../src/lab/experiment.ts";
import { explainIova } from "../../src/lab/explain.ts";
import { eventListSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec } from "../../src/lab/spec.ts";
import { renderExplanation } from "../../src/report/explain-text.ts";

const machine: MachineSpec = { platform: "mt8173-elm-4g", era: "latest", cpus: null, seed: 1, background: "none", backgroundChurn: 0 };

function system(strategy: string) {
  const map = { type: "iommuMap" as const, iova: 0x1000_0000, paddr: 0x5000_0000, size: 0x1000, line: 0 };
  return runExperimentSync({ machine, variant: variant(strategy) }, eventListSource([map])).system;
}

describe("explainIova", () => {
  it("refuses an IOVA outside the M4U's input address space, as a value", () => {
    assert.deepEqual(explainIova(system("slab-dma32"), 2 ** 32), { code: "iova-out-of-range", iova: 2 ** 32, limit: 2 ** 32 });
  });

  it("a mapped page: the L2 descriptor decoded, and the hardware walk reaching the intended PA", () => {
    const x = explainIova(system("slab-dma32"), 0x1000_0000);
    assert.ok(!("code" in x) && x.walk !== null);
    assert.equal(x.walk.l1.index, 0x100);
    assert.equal(x.walk.l2?.index, 0);
    assert.equal(x.walk.iovaToPhys, 0x5000_0000);
    assert.ok(x.walk.hardware.ok && x.walk.hardware.pa === 0x5000_0000);
    const text = renderExplanation(x, { kind: "event", events: 1 });
    assert.match(text, /^IOVA 0x10000000 at event 1: slab-dma32 on mt8173-elm-4g, Linux latest\n/);
    assert.match(text, /\n {2}L2\[0\] {8}0x[0-9a-f]{8} {2}small /);
    assert.match(text, /-> PA 0x50000000 \(4 KiB page\), in the model's memory a free page\n$/);
  });

  it("no domain: says so in one line", () => {
    const x = explainIova(bootless(), 0);
    assert.ok(!("code" in x) && x.walk === null);
    assert.match(renderExplanation(x, { kind: "end" }), /at the end: mtk-ttbr-ext .*\n {2}no DMA domain/);
  });
});

/** mtk-ttbr-ext on v4.19: the quirk does not exist there, so there is no domain. */
function bootless() {
  return runExperimentSync({ machine: { ...machine, era: "v4.19" }, variant: variant("mtk-ttbr-ext") }, eventListSource([])).system;
}
