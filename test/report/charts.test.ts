// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ComparisonReport } from "../../src/lab/types.ts";
import { chartNotes } from "../../src/analysis/notes.ts";
import { chartSpecs, normaliseIds, renderCharts, renderSvg, type ChartSvg } from "../../src/report/charts.ts";
import { fixtureReport, fixtureResults } from "../fixtures/report.ts";

function chart(charts: readonly ChartSvg[], id: string): string {
  const c = charts.find((x) => x.id === id);
  assert.ok(c, `chart ${id} missing`);
  return c.svg;
}

/** The contents of every <g> whose class list has all of `classes`, each up to its matching </g>. */
function groups(svg: string, ...classes: string[]): string[] {
  const out: string[] = [];
  const open = /<g class="([^"]*)"/g;
  for (let o = open.exec(svg); o !== null; o = open.exec(svg)) {
    const list = (o[1] ?? "").split(" ");
    if (!classes.every((c) => list.includes(c))) continue;
    let depth = 0;
    const re = /<g\b|<\/g>/g;
    re.lastIndex = o.index;
    for (let m = re.exec(svg); m !== null; m = re.exec(svg)) {
      depth += m[0] === "</g>" ? -1 : 1;
      if (depth === 0) {
        out.push(svg.slice(o.index, m.index));
        break;
      }
    }
  }
  assert.ok(out.length > 0, `no group with ${classes.join(" ")}`);
  return out;
}

/** Mark items (one SVG element each) inside the matching groups. */
function items(svg: string, element: string, ...classes: string[]): number {
  return groups(svg, ...classes).reduce((n, g) => n + (g.match(new RegExp(`<${element} `, "g")) ?? []).length, 0);
}

describe("charts", () => {
  let report: ComparisonReport;
  let charts: ChartSvg[];
  before(async () => {
    report = fixtureReport();
    charts = await renderCharts(report, chartNotes());
  });

  it("renders every chart to an SVG string with a title and a caption", () => {
    assert.deepEqual(charts.map((c) => c.id), ["held-over-time", "memory-map", "l2-occupancy", "held-vs-in-use"]);
    for (const c of charts) {
      assert.ok(c.svg.startsWith("<svg"), c.id);
      assert.ok(c.svg.trimEnd().endsWith("</svg>"), c.id);
      assert.match(c.svg, /width="\d+" height="\d+"/);
      assert.ok(c.caption.length > 20 && c.title.length > 5);
    }
  });

  it("held over time: one line path per strategy, legend names each strategy", () => {
    const svg = chart(charts, "held-over-time");
    assert.equal(items(svg, "path", "mark-line", "role-mark"), report.results.length);
    for (const r of report.results) assert.ok(svg.includes(`>${r.strategy}</text>`), r.strategy);
    assert.ok(svg.includes(">4 MiB</text>"), "byte-formatted log axis");
  });

  it("memory map: zone bands, one row per strategy, the 4 GiB line", () => {
    const svg = chart(charts, "memory-map");
    assert.equal(items(svg, "path", "mark-rect", "layer_0_marks"), report.platform.zones.length);
    assert.equal(items(svg, "line", "mark-rule", "role-mark"), 1);
    assert.ok(svg.includes("4 GiB: limit of a 32-bit table pointer"));
    // Ticks render as rects; every strategy has at least its L1 tick.
    assert.ok(items(svg, "path", "mark-rect", "layer_1_marks") >= report.results.length);
    for (const z of ["DMA32", "NORMAL"]) assert.ok(svg.includes(`>${z}</text>`));
    for (const r of report.results) assert.ok(svg.includes(`>${r.strategy}</text>`), r.strategy);
    assert.match(charts.find((c) => c.id === "memory-map")?.caption ?? "", /legacy-gfp-dma 56\/57 above 4 GiB; slab-dma32 0\/57 above 4 GiB/);
  });

  it("occupancy: nine buckets times the strategies as bars", () => {
    const svg = chart(charts, "l2-occupancy");
    assert.equal(items(svg, "path", "mark-rect", "role-mark"), 9 * report.results.length);
    assert.ok(svg.includes(">224–256</text>"));
  });

  it("held vs in use: two bars and two labels per strategy", () => {
    const svg = chart(charts, "held-vs-in-use");
    assert.equal(items(svg, "path", "mark-rect", "role-mark"), 2 * report.results.length);
    assert.ok(svg.includes(">4.02 MiB</text>"));
  });

  it("is byte-identical for the same data, even after other charts bumped vega's id counters", async () => {
    const again = await renderCharts(fixtureReport(), chartNotes());
    for (const c of charts) assert.equal(chart(again, c.id), c.svg, c.id);
  });

  it("downsamples long sample series but keeps the peak", () => {
    const long = fixtureResults().map((r) => ({
      ...r,
      samples: Array.from({ length: 5000 }, (_, i) => ({ event: i, heldBytes: i === 2345 ? 9 * 1024 * 1024 : 64 * 1024, inUseBytes: 32 * 1024, liveL2Tables: 16 })),
    }));
    const spec = chartSpecs(fixtureReport(long), chartNotes())[0]?.spec as { data: { values: { held: number }[] } };
    const values = spec.data.values;
    assert.ok(values.length <= long.length * 601, `${values.length} points`);
    assert.equal(values.filter((v) => v.held === 9 * 1024 * 1024).length, long.length);
  });

  it("renames vega's counter ids per chart", async () => {
    assert.equal(normaliseIds('<clipPath id="clip17"></clipPath><g clip-path="url(#clip17)"></g><g clip-path="url(#clip9)"></g>', "x"),
      '<clipPath id="x-clip1"></clipPath><g clip-path="url(#x-clip1)"></g><g clip-path="url(#x-clip2)"></g>');
    const spec = { data: { values: [{ a: 1 }] }, mark: { type: "point", clip: true }, encoding: { x: { field: "a", type: "quantitative" } } };
    const one = await renderSvg(spec, { idPrefix: "p" });
    const two = await renderSvg(spec, { idPrefix: "p" });
    assert.equal(one, two);
    assert.match(one, /id="p-clip1"/);
  });
});
