// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import type { ComparisonReport } from "../../src/lab/types.ts";
import { renderCharts, type ChartSvg } from "../../src/report/charts.ts";
import { chartNotes } from "../../src/analysis/notes.ts";
import { computeAnswer } from "../../src/analysis/answer.ts";
import { renderHtml as render, type HtmlOptions } from "../../src/report/html.ts";
import { fixtureReport, withResult } from "../fixtures/report.ts";

/** The page with the answer the analysis computes for it, as the CLI writes it. */
function renderHtml(r: ComparisonReport, svgs: readonly ChartSvg[], o: HtmlOptions = {}): string {
  return render(r, computeAnswer(r), svgs, o);
}

describe("renderHtml", () => {
  let report: ComparisonReport;
  let charts: ChartSvg[];
  let html: string;
  before(async () => {
    report = fixtureReport();
    charts = await renderCharts(report, chartNotes());
    html = renderHtml(report, charts);
  });

  it("is one self-contained document: no script, no URL, no external resource", () => {
    assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
    assert.ok(!/https?:\/\//i.test(html), "names no URL");
    assert.ok(!/<script|<link\b|<iframe|<img\b|@import|url\((?!#)/i.test(html));
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? "");
    assert.ok(refs.length > 0 && refs.every((r) => r.startsWith("#")), refs.join(" "));
  });

  it("is byte-identical for the same input", async () => {
    const again = renderHtml(fixtureReport(), await renderCharts(fixtureReport(), chartNotes()));
    assert.equal(again, html);
  });

  it("has a figure per chart with its SVG and caption, ids unique across charts", () => {
    for (const c of charts) {
      const start = html.indexOf(`<figure data-chart="${c.id}">`);
      assert.ok(start >= 0, c.id);
      const fig = html.slice(start, html.indexOf("</figure>", start));
      assert.ok(fig.includes("<svg"), c.id);
      assert.ok(fig.includes(`<figcaption>`), c.id);
    }
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, "duplicate ids");
  });

  it("marks table rows by strategy and numeric cells with field and value", () => {
    const summary = html
      .split(`<table class="summary"`)
      .slice(1)
      .map((t) => t.slice(0, t.indexOf("</table>")))
      .join("");
    for (const r of report.results) {
      assert.equal(summary.split(`<tr data-strategy="${r.strategy}">`).length - 1, 3, `${r.strategy}: one row per table`);
    }
    assert.ok(html.includes(`<td class="right" data-field="peakHeldBytes" data-value="${4 * 1024 * 1024 + 16384}">4.02 MiB</td>`));
    assert.ok(html.includes(`<td class="right bad" data-field="mapFailures" data-value="40">40</td>`));
    assert.ok(html.includes(`data-field="kernelCounters.secPageTablesBytes" data-value="0">0 B</td>`));
    assert.ok(html.includes(`data-field="overhead" data-value="1" data-derived="true">1.00×</td>`));
  });

  it("puts each chart's data under it as a table of JSON fields and values", () => {
    for (const c of charts) {
      const start = html.indexOf(`<figure data-chart="${c.id}">`);
      const fig = html.slice(start, html.indexOf("</figure>", start));
      assert.ok(fig.includes(`<details class="chart-data"><summary>${c.table.summary}</summary>`), c.id);
      const table = fig.slice(fig.indexOf(`<table class="chart-data" data-chart="${c.id}">`));
      assert.equal((table.match(/<tr data-strategy=/g) ?? []).length, c.table.rows.length, c.id);
    }
    assert.ok(
      html.includes(
        `<tr data-strategy="genalloc-prealloc"><th scope="row">genalloc-prealloc</th><td class="right" data-field="peakHeldBytes" data-value="${4 * 1024 * 1024 + 16384}">4.02 MiB</td><td class="right" data-field="peakInUseBytes" data-value="${16384 + 40 * 1024}">56 KiB</td></tr>`,
      ),
    );
    assert.ok(
      html.includes(
        `<tr data-strategy="slab-dma32" data-kind="live"><th scope="row">slab-dma32</th><td data-field="level" data-value="1">live L1</td><td class="right" data-field="pa" data-value="${0xfdf0_0000}">0xfdf0_0000</td><td class="right" data-field="end" data-value="${0xfdf0_4000}" data-derived="true">0xfdf0_4000</td>`,
      ),
    );
    assert.ok(
      html.includes(
        `<tr data-strategy="slab-dma32" data-kind="sample"><th scope="row">slab-dma32</th><td class="right" data-field="event" data-value="0">0</td><td class="right" data-field="heldBytes" data-value="32768">32 KiB</td></tr>`,
      ),
    );
  });

  it("matches the golden page (accept a deliberate change with the cp command printed on failure)", () => {
    // Not named .html, so the linter leaves the generated page alone; the .actual.html is git-ignored.
    const golden = fileURLToPath(new URL("./golden/fixture-page.html.golden", import.meta.url));
    if (!existsSync(golden) || readFileSync(golden, "utf8") !== html) {
      const actual = golden.replace(/\.html\.golden$/, ".actual.html");
      writeFileSync(actual, html);
      assert.fail(`the page differs from ${golden}; look at ${actual} and, if it is right: cp ${actual} ${golden}`);
    }
  });

  it("states the answer and each prediction with its verdict", () => {
    assert.match(html, /<p class="summary">Best by bytes held: slab-dma32, merged in v5.1/);
    assert.equal((html.match(/data-holds="true"/g) ?? []).length, 4);
    const flipped = renderHtml(withResult(report, "page-frag", { finalHeldBytes: 1024 }), charts);
    assert.match(flipped, /data-prediction="page-frag-holds-more-under-churn" data-holds="false"><span class="verdict fails">does not hold<\/span>/);
    assert.ok(flipped.includes("does not hold here: after 28 L2 tables were freed"));
  });

  it("lists kernel messages per strategy, escaped", () => {
    const noisy = withResult(report, "slab-dma32", {
      messages: [{ text: "SLUB: Unable to allocate memory on node -1, gfp=0xa20(GFP_ATOMIC) <oops>", count: 2 }],
    });
    const out = renderHtml(noisy, charts);
    assert.ok(out.includes("[2×] SLUB: Unable to allocate memory on node -1, gfp=0xa20(GFP_ATOMIC) &lt;oops&gt;"));
    assert.ok(html.includes("[40×] arm-v7s io-pgtable: Page table does not fit in PTE: 0x000000013f000000"));
  });

  it("draws a bit legend when given a field table", () => {
    const out = renderHtml(report, charts, {
      legend: [
        {
          name: "Small page",
          fields: [
            { name: "type", hi: 1, lo: 1, meaning: "small page" },
            { name: "PA[31:12]", hi: 31, lo: 12, meaning: "output address" },
          ],
        },
      ],
    });
    assert.ok(out.includes(`<section id="legend">`));
    const section = out.slice(out.indexOf(`<section id="legend">`));
    assert.ok(section.indexOf(">31:12<") < section.indexOf(`<span class="bit-range">1</span>`), "high bits first");
    // Bits 11:2 belong to no field: one blank cell spans them.
    assert.ok(section.includes(`<div class="bit gap" style="grid-column:span 10"></div>`));
    assert.ok(!renderHtml(report, charts, { legend: [] }).includes(`<section id="legend">`));
  });

  it("shows the engine's own v7s field table by default", () => {
    const section = html.slice(html.indexOf(`<section id="legend">`));
    assert.ok(section.includes("<h3>L1 table descriptor (points to a 1 KiB L2 table)</h3>"));
    assert.ok(section.includes(`<span class="bit-name">table</span><span class="bit-range">31:10</span>`));
    assert.ok(section.includes(`<span class="bit-name">PA32</span><span class="bit-range">9</span>`));
    // Every format bar covers exactly 32 bits.
    for (const bar of section.split(`<div class="bits">`).slice(1)) {
      const spans = [...bar.slice(0, bar.indexOf("</div>\n</div>")).matchAll(/grid-column:span (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      assert.equal(spans, 32);
    }
  });
});
