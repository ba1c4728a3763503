// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeAnswer } from "../../src/analysis/answer.ts";
import type { Prediction, PredictionId } from "../../src/analysis/prediction.ts";
import { renderAnswerHtml, renderAnswerText } from "../../src/report/answer.ts";
import type { ComparisonReport, Sample } from "../../src/lab/types.ts";
import { fixtureReport, KiB, MiB, withResult } from "../fixtures/report.ts";

function prediction(report: ComparisonReport, id: PredictionId): Prediction {
  const p = computeAnswer(report).predictions.find((x) => x.id === id);
  assert.ok(p, `prediction ${id} missing`);
  return p;
}

function flatSamples(count: number, held: number, inUse: number, live: number): Sample[] {
  return Array.from({ length: count }, (_, event) => ({ event, heldBytes: held, inUseBytes: inUse, liveL2Tables: live }));
}

describe("computeAnswer best strategy", () => {
  it("picks the lowest peak held among merged strategies; RFC and hypothetical ones get a sentence of their own", () => {
    const a = computeAnswer(fixtureReport());
    // legacy-gfp-dma holds the least (16 KiB) but failed; mtk-ttbr-ext put tables above 4 GiB;
    // kzalloc-dma32 holds less than slab-dma32 but no kernel has DMA32 kmalloc caches.
    assert.equal(a.best.byBytesHeld?.strategy, "slab-dma32");
    assert.equal(a.best.byBytesHeld?.peakHeldBytes, 64 * KiB);
    assert.equal(a.best.byBytesHeld?.runnerUp, null, "no other merged strategy ran cleanly");
    assert.deepEqual(
      a.best.disqualified.map((d) => d.strategy),
      ["legacy-gfp-dma", "mtk-ttbr-ext"],
    );
    assert.equal(a.best.outsideKernel[0]?.strategy, "kzalloc-dma32");
    assert.equal(a.best.outsideKernel[0]?.provenance, "hypothetical");
    assert.ok(a.best.outsideKernel.some((o) => o.strategy === "page-frag" && o.provenance === "rfc"));
    // The fixture's era is v4.19, whose 4.19.0 text predates the merged fix: the sentence says where it is.
    assert.match(a.best.summary, /^Best by bytes held: slab-dma32, merged in v5\.1 \(backported to 4\.19\.y stable[^)]*\), peak 64 KiB/);
    assert.match(
      a.best.summary,
      /Not in any kernel: kzalloc-dma32 \(hypothetical\) would hold 8 KiB less \(56 KiB\); .*the kernel has no DMA32 kmalloc caches/,
    );
  });

  it("disqualifies a strategy for a single mismatch, fault or stray write", () => {
    for (const patch of [{ translationMismatches: 1 }, { faults: 1 }, { strayDmaWrites: 2 }, { domainCreated: false }]) {
      const a = computeAnswer(withResult(fixtureReport(), "kzalloc-dma32", patch));
      assert.equal(a.best.byBytesHeld?.strategy, "slab-dma32", JSON.stringify(patch));
      assert.ok(a.best.disqualified.some((d) => d.strategy === "kzalloc-dma32"));
    }
  });

  it("disqualifies dirty tables, and tables above 4 GiB only where the IOMMU cannot follow them", () => {
    const dirty = computeAnswer(withResult(fixtureReport(), "slab-dma32", { dirtyTables: 1 }));
    assert.equal(dirty.best.byBytesHeld, null);
    assert.ok(dirty.best.disqualified.some((d) => d.strategy === "slab-dma32" && d.reasons.some((x) => /stale entries/.test(x))));
    const base = fixtureReport();
    const ext = base.results.find((r) => r.strategy === "mtk-ttbr-ext");
    assert.ok(ext !== undefined);
    const followed = withResult(base, "mtk-ttbr-ext", { peakHeldBytes: 60 * KiB, capabilities: { ...ext.capabilities, tablesAbove4GiBAddressable: true } });
    assert.equal(computeAnswer(followed).best.byBytesHeld?.strategy, "mtk-ttbr-ext");
    const high = withResult(followed, "mtk-ttbr-ext", { capabilities: { ...ext.capabilities, tablesAbove4GiBAddressable: false } });
    assert.equal(computeAnswer(high).best.byBytesHeld?.strategy, "slab-dma32");
  });

  it("breaks a tie on peak held: the era's own text first, then no table-address extension, then final held", () => {
    const base = fixtureReport();
    const ext = base.results.find((r) => r.strategy === "mtk-ttbr-ext");
    assert.ok(ext !== undefined);
    const tie = withResult(base, "mtk-ttbr-ext", {
      tablesAbove4GiB: 0,
      peakHeldBytes: 64 * KiB,
      finalHeldBytes: 0,
      capabilities: { ...ext.capabilities, tablesAbove4GiBAddressable: true },
    });
    // Neither is in 4.19.0's text; slab-dma32 needs no TTBR extension, so it wins despite a larger final held.
    assert.equal(computeAnswer(tie).best.byBytesHeld?.strategy, "slab-dma32");
    assert.match(computeAnswer(tie).best.summary, /tied with mtk-ttbr-ext/);
    // In v6.6 both are in the era's text; the tie still goes to the strategy that needs no extension.
    const v66 = { ...tie, params: { ...tie.params, era: "v6.6" } };
    assert.equal(computeAnswer(v66).best.byBytesHeld?.strategy, "slab-dma32");
    assert.match(computeAnswer(v66).best.summary, /^Best by bytes held: slab-dma32, peak/);
  });

  it("says so when no strategy ran cleanly", () => {
    let r = fixtureReport();
    for (const s of r.results) r = withResult(r, s.strategy, { mapFailures: 1 });
    const a = computeAnswer(r);
    assert.equal(a.best.byBytesHeld, null);
    assert.match(a.best.summary, /none is best by bytes held/);
    assert.equal(a.best.byFailures.fewestCount, 1);
  });

  it("ranks by failures: fewest (all tied at zero) and the worst", () => {
    const a = computeAnswer(fixtureReport());
    assert.equal(a.best.byFailures.fewestCount, 0);
    assert.equal(a.best.byFailures.fewest.length, 7);
    assert.ok(!a.best.byFailures.fewest.includes("legacy-gfp-dma"));
    assert.deepEqual(a.best.byFailures.most, { strategy: "legacy-gfp-dma", count: 83 });
    assert.match(a.best.summary, /Most failures: legacy-gfp-dma \(40 allocation failures, 40 map failures, 3 faults\)/);
  });
});

describe("computeAnswer predictions", () => {
  it("checks the four predictions on the elm v4.19 fixture, and all hold", () => {
    const a = computeAnswer(fixtureReport());
    assert.deepEqual(
      a.predictions.map((p) => [p.id, p.holds]),
      [
        ["genalloc-prealloc-holds-4mib", true],
        ["page-frag-holds-more-under-churn", true],
        ["page-per-table-holds-4x", true],
        ["legacy-gfp-dma-fails-on-elm-v4.19", true],
      ],
    );
  });

  it("skips a prediction whose strategies are not in the run", () => {
    const r = fixtureReport();
    const only = { ...r, results: r.results.filter((x) => x.strategy === "page-frag" || x.strategy === "page-per-table") };
    assert.deepEqual(
      computeAnswer(only).predictions.map((p) => p.id),
      ["page-per-table-holds-4x"],
    );
  });

  it("(a) genalloc-prealloc: holds with the minimum held, fails when held drops below 4 MiB", () => {
    const p = prediction(fixtureReport(), "genalloc-prealloc-holds-4mib");
    assert.equal(p.figures["minHeldBytes"], 4 * MiB + 16 * KiB);
    assert.match(p.evidence, /never held less than 4\.02 MiB over 84 samples/);
    const shrunk = withResult(fixtureReport(), "genalloc-prealloc", {
      samples: [...flatSamples(3, 4 * MiB + 16 * KiB, 20 * KiB, 4), { event: 3, heldBytes: 2 * MiB, inUseBytes: 20 * KiB, liveL2Tables: 4 }],
    });
    const q = prediction(shrunk, "genalloc-prealloc-holds-4mib");
    assert.equal(q.holds, false);
    assert.match(q.evidence, /^does not hold here: genalloc-prealloc held as little as 2 MiB/);
  });

  it("(b) page-frag vs slab-dma32: holds, does not hold, and is not tested without churn", () => {
    const p = prediction(fixtureReport(), "page-frag-holds-more-under-churn");
    assert.equal(p.holds, true);
    assert.match(p.evidence, /page-frag held 80 KiB at the end and slab-dma32 48 KiB \(1\.67×\)/);

    const reused = withResult(fixtureReport(), "page-frag", { finalHeldBytes: 48 * KiB });
    const q = prediction(reused, "page-frag-holds-more-under-churn");
    assert.equal(q.holds, false);
    assert.match(q.evidence, /^does not hold here: after 28 L2 tables were freed, page-frag held 48 KiB at the end and slab-dma32 48 KiB/);

    const noChurn = withResult(fixtureReport(), "page-frag", { l2TablesFreed: 0 });
    assert.equal(prediction(noChurn, "page-frag-holds-more-under-churn").holds, null);

    // After a full teardown both hold nothing at the end: the comparison moves to the peaks.
    let torn = withResult(fixtureReport(), "page-frag", { finalHeldBytes: 0, finalInUseBytes: 0 });
    torn = withResult(torn, "slab-dma32", { finalHeldBytes: 0, finalInUseBytes: 0 });
    const t = prediction(torn, "page-frag-holds-more-under-churn");
    assert.equal(t.holds, true);
    assert.match(t.evidence, /80 KiB at the peak and slab-dma32 64 KiB/);
  });

  it("(c) page-per-table: 4x of L2 bytes holds; 2x does not", () => {
    const p = prediction(fixtureReport(), "page-per-table-holds-4x");
    assert.equal(p.holds, true);
    assert.equal(p.figures["ratio"], 4);
    assert.equal(p.figures["liveL2Tables"], 40);

    // 2 KiB per 1 KiB table: 16 KiB L1 + 10 tables.
    const half = withResult(fixtureReport(), "page-per-table", { samples: flatSamples(5, 16 * KiB + 10 * 2 * KiB, 16 * KiB + 10 * KiB, 10) });
    const q = prediction(half, "page-per-table-holds-4x");
    assert.equal(q.holds, false);
    assert.equal(q.figures["ratio"], 2);
    assert.match(q.evidence, /^does not hold here: with 10 live L2 tables page-per-table held 20 KiB for 10 KiB/);

    const none = withResult(fixtureReport(), "page-per-table", { samples: flatSamples(3, 16 * KiB, 16 * KiB, 0), l2Tables: 0 });
    assert.equal(prediction(none, "page-per-table-holds-4x").holds, null);
  });

  it("(d) legacy-gfp-dma: holds with failures on elm v4.19, does not hold without, untested on other eras", () => {
    const p = prediction(fixtureReport(), "legacy-gfp-dma-fails-on-elm-v4.19");
    assert.equal(p.holds, true);
    assert.match(p.evidence, /40 of 96 map calls failed, 56 tables landed at or above 4 GiB/);

    const clean = withResult(fixtureReport(), "legacy-gfp-dma", { mapFailures: 0, allocFailures: 0, tablesAbove4GiB: 0, faults: 0 });
    const q = prediction(clean, "legacy-gfp-dma-fails-on-elm-v4.19");
    assert.equal(q.holds, false);
    assert.match(q.evidence, /^does not hold here: on mt8173-elm-4g with v4.19, 0 of 96 map calls failed/);

    // The L1 itself above 4 GiB: no domain, which is a failure too.
    const noDomain = withResult(clean, "legacy-gfp-dma", { domainCreated: false, tablesAbove4GiB: 1, mapCalls: 0 });
    const d = prediction(noDomain, "legacy-gfp-dma-fails-on-elm-v4.19");
    assert.equal(d.holds, true);
    assert.match(d.evidence, /the domain was not created \(1 table at or above 4 GiB\), so no map call could succeed/);
    assert.ok(!computeAnswer(noDomain).best.byFailures.fewest.includes("legacy-gfp-dma"));

    const r = fixtureReport();
    const modern = { ...r, params: { ...r.params, era: "v6.6" } };
    const m = prediction(modern, "legacy-gfp-dma-fails-on-elm-v4.19");
    assert.equal(m.holds, null);
    assert.match(m.evidence, /^not tested: v6.6 is not a v4.16-v5.4 kernel/);

    const lowRam = { ...r, platform: { ...r.platform, name: "mt8173-elm-2g", ram: [{ start: 0x4000_0000, end: 0xc000_0000 }] } };
    assert.match(prediction(lowRam, "legacy-gfp-dma-fails-on-elm-v4.19").evidence, /has no RAM above 4 GiB/);
  });
});

describe("answer renderers", () => {
  it("terminal text shows every verdict and colours only when asked", () => {
    const a = computeAnswer(withResult(fixtureReport(), "page-frag", { finalHeldBytes: 48 * KiB }));
    const plain = renderAnswerText(a, { color: false });
    assert.ok(!plain.includes("\x1b["));
    assert.match(plain, /\[holds\] genalloc needs the 4 MiB pool/);
    assert.match(plain, /\[does not hold\] page_frag/);
    assert.ok(
      plain.split("\n").every((l) => l.length <= 100),
      "wrapped at 100 columns",
    );
    const colored = renderAnswerText(a, { color: true });
    assert.ok(colored.includes("\x1b[31m[does not hold]"));
    assert.ok(colored.includes("\x1b[32m[holds]"));
  });

  it("HTML escapes text and marks each prediction with data attributes", () => {
    const r = fixtureReport();
    const evil = { ...r, results: r.results.map((x) => (x.strategy === "legacy-gfp-dma" ? { ...x, strategy: "<b>legacy</b>" } : x)) };
    const html = renderAnswerHtml(computeAnswer(evil));
    assert.ok(!html.includes("<b>legacy</b>"));
    assert.ok(html.includes("&lt;b&gt;legacy&lt;/b&gt;"));
    const full = renderAnswerHtml(computeAnswer(r));
    assert.equal((full.match(/data-prediction=/g) ?? []).length, 4);
    assert.ok(full.includes(`data-prediction="page-per-table-holds-4x" data-holds="true"`));
  });
});
