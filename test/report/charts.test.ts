// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ComparisonReport } from "../../src/lab/types.ts";
import { chartNotes } from "../../src/analysis/notes.ts";
import { accessible, chartSpecs, normaliseIds, renderCharts, renderSvg, sameAs, type ChartSvg } from "../../src/report/charts.ts";
import { memoryMap } from "../../src/report/memory-map.ts";
import { summarise, tableShape } from "../../src/report/table-shape.ts";
import { fixtureReport, fixtureResults, withResult } from "../fixtures/report.ts";

const GiB = 1024 ** 3;

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

  it("renders every chart to an SVG string with an accessible title, a caption and a data table", () => {
    assert.deepEqual(
      charts.map((c) => c.id),
      ["held-over-time", "memory-map", "l2-occupancy", "held-vs-in-use"],
    );
    for (const c of charts) {
      assert.ok(c.svg.startsWith("<svg"), c.id);
      assert.ok(c.svg.trimEnd().endsWith("</svg>"), c.id);
      assert.match(c.svg, /width="\d+" height="\d+"/);
      assert.ok(c.caption.length > 20 && c.title.length > 5);
      assert.match(c.svg, new RegExp(`^<svg [^>]*role="img" aria-labelledby="${c.id}-title ${c.id}-desc"`), c.id);
      assert.ok(c.svg.includes(`<title id="${c.id}-title">${c.title}</title>`), c.id);
      assert.ok(c.table.rows.length > 0 && c.table.rows.every((r) => r.cells.length === c.table.headers.length), c.id);
    }
  });

  it("held over time: one line per strategy, a dash pattern each, 'same as' for a repeated series", () => {
    const svg = chart(charts, "held-over-time");
    assert.equal(items(svg, "path", "mark-line", "role-mark"), report.results.length);
    // The fixture's mtk-ttbr-ext holds what slab-dma32 holds, event for event.
    const same = sameAs(report);
    assert.deepEqual([...same], [["mtk-ttbr-ext", "slab-dma32"]]);
    for (const r of report.results) {
      const label = same.has(r.strategy) ? `${r.strategy} (same as ${same.get(r.strategy)})` : r.strategy;
      assert.ok(svg.includes(`>${label}</text>`), label);
    }
    const lines = groups(svg, "mark-line", "role-mark").join("");
    const dashes = [...lines.matchAll(/<path [^>]*>/g)].map((m) => /stroke-dasharray="([^"]*)"/.exec(m[0])?.[1] ?? "none");
    assert.equal(dashes.length, report.results.length);
    // Every line but the repeat (drawn thin and solid over its twin) has its own dash pattern.
    assert.ok(new Set(dashes).size >= report.results.length - 1, dashes.join(" | "));
    assert.match(charts[0]?.caption ?? "", /mtk-ttbr-ext is the same as slab-dma32 at every sample/);
    assert.ok(svg.includes(">4 MiB</text>"), "byte-formatted log axis");
  });

  it("held over time: a strategy at 0 B is a drawn line on the symlog axis, with a 0 B tick", async () => {
    const zero = withResult(report, "page-frag", {
      samples: report.results[0]?.samples.map((s) => ({ ...s, heldBytes: 0 })) ?? [],
      peakHeldBytes: 0,
    });
    const spec = chartSpecs(zero, chartNotes())[0];
    assert.ok(spec);
    const values = (spec.spec as { data: { values: { strategy: string; held: number }[] } }).data.values;
    assert.ok(
      values.some((v) => v.strategy === "page-frag" && v.held === 0),
      "0 B points are kept",
    );
    assert.match(spec.caption, /At 0 B throughout: page-frag/);
    const svg = await renderSvg(spec.spec);
    assert.equal(items(svg, "path", "mark-line", "role-mark"), zero.results.length);
    assert.ok(svg.includes(">0 B</text>"), "a 0 B tick");
    assert.ok(svg.includes("symlog"), "axis title names the scale");
  });

  it("held over time: names a peak that no sample shows (reached and left within one event)", () => {
    const spec = chartSpecs(withResult(report, "slab-dma32", { peakHeldBytes: 10 * 1024 * 1024 }), chartNotes())[0];
    assert.match(spec?.caption ?? "", /between two samples and not drawn: slab-dma32 10 MiB\./);
    assert.doesNotMatch(charts[0]?.caption ?? "", /between two samples/);
  });

  it("held over time: the data table lists exactly the plotted points, each one a real sample", () => {
    const spec = chartSpecs(report, chartNotes())[0];
    assert.ok(spec);
    const values = (spec.spec as { data: { values: { strategy: string; event: number; held: number }[] } }).data.values;
    assert.equal(spec.table.rows.length, values.length);
    spec.table.rows.forEach((row, i) => {
      const r = report.results.find((x) => x.strategy === row.strategy);
      const [event, held] = row.cells.map((c) => c.value);
      assert.equal(event, values[i]?.event);
      assert.equal(held, values[i]?.held);
      assert.ok(
        r?.samples.some((s) => s.event === event && s.heldBytes === held),
        `${row.strategy} ${event}`,
      );
    });
  });

  it("memory map: every live table and every freed bin is one mark, in its detail panel", () => {
    const svg = chart(charts, "memory-map");
    const live = [...svg.matchAll(/<rect class="table-mark live" data-strategy="([^"]+)" data-pa="(\d+)"/g)].map((m) => `${m[1]} ${m[2]}`).sort();
    const want = report.results.flatMap((r) => r.tables.filter((t) => t.live).map((t) => `${r.strategy} ${t.pa}`)).sort();
    assert.deepEqual(live, want);
    const freed = [...svg.matchAll(/<rect class="table-mark freed" data-strategy="([^"]+)" data-start="(\d+)" data-count="(\d+)"/g)]
      .map((m) => `${m[1]} ${m[2]} ${m[3]}`)
      .sort();
    const bins = report.results.flatMap((r) => tableShape(r).freed.bins.map((b) => `${r.strategy} ${b.start} ${b.count}`)).sort();
    assert.deepEqual(freed, bins);
    // Freed counts add up to every freed table.
    const freedTables = report.results.reduce((n, r) => n + tableShape(r).freed.count, 0);
    assert.equal(
      freed.reduce((n, f) => n + Number(f.split(" ")[2]), 0),
      freedTables,
    );
    assert.equal(memoryMap(report).marks, want.length + bins.length);
    assert.ok(svg.includes("<title>legacy-gfp-dma: 56 freed tables (56 KiB) in 0x1_3f00_0000\u20130x1_3f10_0000 (NORMAL)</title>"));
    assert.ok(svg.includes("<title>slab-dma32: live L2 table at 0xfe00_0000 (1 KiB, DMA32)</title>"));
  });

  it("memory map: binary GiB axis, the 4 GiB line labelled, zone bands, a row per strategy", () => {
    const svg = chart(charts, "memory-map");
    const overview = svg.slice(svg.indexOf(`<g class="overview">`), svg.indexOf(`<g class="panel"`));
    const ticks = [...overview.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(ticks, ["1 GiB", "2 GiB", "3 GiB", "4 GiB", "5 GiB"]);
    // 1 GiB is 2^30 bytes: the ticks sit at quarters of the 1..5 GiB span.
    const xs = [...overview.matchAll(/<text class="tick" x="([\d.]+)"/g)].map((m) => Number(m[1]));
    const step = (xs[1] ?? 0) - (xs[0] ?? 0);
    assert.ok(
      xs.every((x, i) => Math.abs(x - (xs[0] ?? 0) - i * step) < 0.02),
      xs.join(" "),
    );
    assert.ok(overview.includes(`>4 GiB: the 32-bit table-pointer limit</text>`));
    assert.equal((overview.match(/<g class="limit-4g">/g) ?? []).length, 1);
    for (const z of ["DMA32", "NORMAL"]) assert.ok(svg.includes(`<rect class="zone" data-zone="${z}"`), z);
    for (const r of report.results) assert.ok(overview.includes(`>${r.strategy}</text>`), r.strategy);
    // Panels: the DMA32 tables (0xf600_0000 up) and legacy's freed tables above 4 GiB (0x1_3f00_0000).
    const panels = [...svg.matchAll(/<g class="panel" data-panel="([^"]+)" data-from="(\d+)" data-to="(\d+)"/g)].map((m) => [Number(m[2]), Number(m[3])]);
    assert.equal(panels.length, 2);
    const [a, b] = panels;
    assert.ok(a !== undefined && (a[0] ?? 0) <= 0xf500_0000 && (a[1] ?? 0) >= 0xffe0_4000 && (a[1] ?? 0) <= 4 * GiB, String(a));
    assert.ok(b !== undefined && (b[0] ?? 0) <= 0x1_3f00_0000 && (b[1] ?? 0) >= 0x1_3f10_0000, String(b));
    assert.match(charts[1]?.caption ?? "", /legacy-gfp-dma 0\/1 live and 56\/56 freed above 4 GiB; slab-dma32 0\/29 live and 0\/28 freed above 4 GiB/);
  });

  it("memory map: the data table has a row per live table and per freed bin", () => {
    const map = memoryMap(report);
    const live = map.table.rows.filter((r) => r.kind === "live");
    const freed = map.table.rows.filter((r) => r.kind === "freed-bin");
    assert.equal(
      live.length,
      report.results.reduce((n, r) => n + r.tables.filter((t) => t.live).length, 0),
    );
    assert.equal(
      freed.length,
      report.results.reduce((n, r) => n + tableShape(r).freed.bins.length, 0),
    );
    const l1 = live.find((r) => r.strategy === "slab-dma32" && r.cells[0]?.value === 1);
    assert.deepEqual(
      l1?.cells.map((c) => [c.field, c.value]),
      [
        ["level", 1],
        ["pa", 0xfdf0_0000],
        ["end", 0xfdf0_4000],
        ["zone", "DMA32"],
        ["count", 1],
        ["bytes", 16384],
      ],
    );
  });

  it("bins freed tables per MiB and zone, in address order, and reads a report's own summary when it has one", () => {
    const t = (pa: number, zone: string): { pa: number; bytes: number; level: 2; zone: string; live: false } => ({
      pa,
      bytes: 1024,
      level: 2,
      zone,
      live: false,
    });
    const s = summarise([t(0x1_0010_0400, "NORMAL"), t(0xfff0_0000, "DMA32"), t(0x1_0010_0000, "NORMAL"), t(0xfffc_0000, "DMA32")]);
    assert.deepEqual(s, {
      count: 4,
      bytes: 4096,
      above4GiB: 2,
      binBytes: 1024 * 1024,
      bins: [
        { start: 0xfff0_0000, end: 0x1_0000_0000, zone: "DMA32", count: 2, bytes: 2048 },
        { start: 0x1_0010_0000, end: 0x1_0020_0000, zone: "NORMAL", count: 2, bytes: 2048 },
      ],
    });
    // More than 512 bins: the width doubles until they fit.
    const many = summarise(Array.from({ length: 1500 }, (_, i) => t(i * 1024 * 1024, "DMA32")));
    assert.equal(many.binBytes, 4 * 1024 * 1024);
    assert.equal(many.bins.length, 375);
    const r = fixtureResults()[1];
    assert.ok(r);
    const own = {
      count: 1,
      bytes: 1024,
      above4GiB: 0,
      binBytes: 1024 * 1024,
      bins: [{ start: 0, end: 1024 * 1024, zone: "DMA32", count: 1, bytes: 1024 }],
      l1: [],
    };
    assert.deepEqual(tableShape({ ...r, freedTables: own } as typeof r).freed, own);
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
      samples: Array.from({ length: 5000 }, (_, i) => ({
        event: i,
        heldBytes: i === 2345 ? 9 * 1024 * 1024 : 64 * 1024,
        inUseBytes: 32 * 1024,
        liveL2Tables: 16,
      })),
    }));
    const spec = chartSpecs(fixtureReport(long), chartNotes())[0]?.spec as { data: { values: { held: number }[] } };
    const values = spec.data.values;
    // Only the change points are kept: first, the rise, the fall, last.
    assert.ok(values.length <= long.length * 4, `${values.length} points`);
    assert.equal(values.filter((v) => v.held === 9 * 1024 * 1024).length, long.length);
  });

  it("downsamples a series that changes at every event to the minimum and maximum of 300 buckets", () => {
    const long = fixtureResults().map((r) => ({
      ...r,
      samples: Array.from({ length: 5000 }, (_, i) => ({
        event: i,
        heldBytes: i === 2345 ? 9 * 1024 * 1024 : 64 * 1024 + (i % 7) * 4096,
        inUseBytes: 32 * 1024,
        liveL2Tables: 16,
      })),
    }));
    const spec = chartSpecs(fixtureReport(long), chartNotes())[0];
    assert.ok(spec);
    const values = (spec.spec as { data: { values: { held: number }[] } }).data.values;
    assert.ok(values.length <= long.length * 601, `${values.length} points`);
    assert.equal(values.filter((v) => v.held === 9 * 1024 * 1024).length, long.length);
    assert.match(spec.caption, /drawn from the minimum and maximum of 300 buckets/);
  });

  it("gives an SVG one accessible name", () => {
    const out = accessible('<svg class="marks" role="graphics-document" aria-label="x" width="2" height="2"><g></g></svg>', "c", "A & B", "caption");
    assert.equal(
      out,
      '<svg role="img" aria-labelledby="c-title c-desc" class="marks" width="2" height="2"><title id="c-title">A &amp; B</title><desc id="c-desc">caption</desc><g></g></svg>',
    );
  });

  it("renames vega's counter ids per chart", async () => {
    assert.equal(
      normaliseIds('<clipPath id="clip17"></clipPath><g clip-path="url(#clip17)"></g><g clip-path="url(#clip9)"></g>', "x"),
      '<clipPath id="x-clip1"></clipPath><g clip-path="url(#x-clip1)"></g><g clip-path="url(#x-clip2)"></g>',
    );
    const spec = { data: { values: [{ a: 1 }] }, mark: { type: "point", clip: true }, encoding: { x: { field: "a", type: "quantitative" } } };
    const one = await renderSvg(spec, { idPrefix: "p" });
    const two = await renderSvg(spec, { idPrefix: "p" });
    assert.equal(one, two);
    assert.match(one, /id="p-clip1"/);
  });
});
