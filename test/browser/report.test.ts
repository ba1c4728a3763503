// SPDX-License-Identifier: GPL-2.0-only
/**
 * Opens a generated HTML report in Debian's headless Chromium (never a downloaded browser) and checks
 * what a reader sees: no console errors, no network, every chart drawn with an accessible name, the
 * memory map with one mark per live table and per bin of freed tables, the 4 GiB line labelled, and
 * every table (summary and each chart's data) equal to the JSON written beside it. Leaves screenshots
 * at /tmp/report.png (full page) and /tmp/report-<chart>.png for a human look.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { execFileSync } from "node:child_process";
import { bytes } from "../../src/core/u32.ts";
import { CLI } from "../helpers/paths.ts";

const CHROMIUM = "/usr/bin/chromium";
const MiB = 1024 * 1024;

interface Placement {
  pa: number;
  bytes: number;
  level: number;
  zone: string;
  live: boolean;
}

interface Bin {
  start: number;
  end: number;
  zone: string;
  count: number;
  bytes: number;
}

/** The freed-table bins as the JSON gives them (schema 2), else counted here from schema 1's freed placements. */
function freedBins(result: Record<string, unknown>): Bin[] {
  const own = result["freedTables"] as { bins: Bin[] } | undefined;
  if (own !== undefined) return own.bins;
  const bins = new Map<string, Bin>();
  for (const t of result["tables"] as Placement[]) {
    if (t.live) continue;
    const start = Math.floor(t.pa / MiB) * MiB;
    const b = bins.get(`${start} ${t.zone}`) ?? { start, end: start + MiB, zone: t.zone, count: 0, bytes: 0 };
    b.count++;
    b.bytes += t.bytes;
    bins.set(`${start} ${t.zone}`, b);
  }
  return [...bins.values()];
}

interface DataRow {
  strategy: string;
  kind: string | null;
  cells: { field: string; value: string | null; derived: boolean; text: string }[];
}
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface Cell {
  strategy: string;
  field: string;
  value: string | null;
  derived: boolean;
  text: string;
}

function jsonField(result: Record<string, unknown>, path: string): unknown {
  let v: unknown = result;
  for (const k of path.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

// CI always has chromium (.ci/run installs it); elsewhere a missing browser skips rather than fails.
const skip = !existsSync(CHROMIUM) && process.env["CI"] === undefined ? `${CHROMIUM} is not installed (apt-get install -y chromium)` : false;

describe("HTML report of a real compare run, in Chromium", { skip }, () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  let json: { results: Record<string, unknown>[] };
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
    dir = mkdtempSync(join(tmpdir(), "iommu-lab-report-"));
    // A real run: the default scenario on every strategy, including the regressed one.
    execFileSync(process.execPath, [CLI, "compare", "--jobs", "2", "--html", join(dir, "report.html"), "--json", join(dir, "report.json")], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CI: "1" },
    });
    json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as typeof json;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await page.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(join(dir, "report.html")).href, { waitUntil: "load" });
  });

  after(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("loads without console errors and without touching the network", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(requests, []);
  });

  it("draws every chart as an SVG with a non-zero size", async () => {
    const figures = await page.$$eval("figure[data-chart]", (els) =>
      els.map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        return { id: f.getAttribute("data-chart"), w: box?.width ?? 0, h: box?.height ?? 0, marks: svg?.querySelectorAll("path, line, rect").length ?? 0 };
      }),
    );
    assert.deepEqual(
      figures.map((f) => f.id),
      ["held-over-time", "memory-map", "l2-occupancy", "held-vs-in-use"],
    );
    for (const f of figures) {
      assert.ok(f.w > 100 && f.h > 100, `${f.id}: ${f.w}x${f.h}`);
      assert.ok(f.marks > 10, `${f.id}: ${f.marks} marks`);
    }
  });

  it("shows in the table the same numbers as the JSON", async () => {
    const cells: Cell[] = await page.$$eval("table.summary tr[data-strategy] td[data-field]", (tds) =>
      tds.map((td) => ({
        strategy: td.closest("tr")?.getAttribute("data-strategy") ?? "",
        field: td.getAttribute("data-field") ?? "",
        value: td.getAttribute("data-value"),
        derived: td.getAttribute("data-derived") === "true",
        text: (td.textContent ?? "").trim(),
      })),
    );
    const strategies = new Set(cells.map((c) => c.strategy));
    assert.deepEqual(
      [...strategies],
      json.results.map((r) => r["strategy"]),
    );
    let compared = 0;
    for (const c of cells) {
      const result = json.results.find((r) => r["strategy"] === c.strategy);
      assert.ok(result, c.strategy);
      if (c.field === "overhead") {
        const inUse = result["peakInUseBytes"] as number;
        if (inUse === 0) assert.equal(c.value, null, `${c.strategy} overhead of nothing in use`);
        else assert.equal(Number(c.value), (result["peakHeldBytes"] as number) / inUse, `${c.strategy} overhead`);
        continue;
      }
      assert.equal(c.derived, false, c.field);
      const expected = jsonField(result, c.field);
      if (c.value === null) {
        assert.ok(expected === undefined || expected === null, `${c.strategy} ${c.field}: the JSON has a value the page does not show`);
        assert.equal(c.text, "\u2013");
        continue;
      }
      assert.equal(Number(c.value), expected, `${c.strategy} ${c.field}`);
      if (c.field.endsWith("Bytes")) assert.equal(c.text, bytes(expected as number), `${c.strategy} ${c.field} text`);
      else if (c.field !== "runTimeMs" && !c.field.startsWith("kernelCounters.slabinfo"))
        assert.equal(c.text, String(expected), `${c.strategy} ${c.field} text`);
      compared++;
    }
    assert.ok(compared >= json.results.length * 14, `${compared} cells compared`);
  });

  it("names every chart for assistive technology", async () => {
    const names = await page.$$eval("figure[data-chart] svg", (svgs) =>
      svgs.map((svg) => ({
        role: svg.getAttribute("role"),
        title: (svg.getAttribute("aria-labelledby") ?? "")
          .split(" ")
          .map((id: string) => svg.ownerDocument.getElementById(id)?.textContent ?? "")
          .join(" | "),
        first: svg.firstElementChild?.tagName,
      })),
    );
    assert.equal(names.length, 4);
    for (const n of names) {
      assert.equal(n.role, "img");
      assert.equal(n.first, "title");
      assert.ok(n.title.length > 40, n.title);
    }
  });

  it("memory map: one mark in view per live table and per bin of freed tables", async () => {
    const marks = await page.$$eval("figure[data-chart=memory-map] svg rect.table-mark", (rects) => {
      const box = rects[0]?.ownerSVGElement?.getBoundingClientRect();
      return rects.map((r) => {
        const b = r.getBoundingClientRect();
        return {
          strategy: r.getAttribute("data-strategy") ?? "",
          kind: r.classList.contains("live") ? "live" : "freed",
          at: Number(r.getAttribute("data-pa") ?? r.getAttribute("data-start")),
          count: Number(r.getAttribute("data-count") ?? 1),
          title: r.querySelector("title")?.textContent ?? "",
          inView:
            box !== undefined && b.width > 0 && b.height > 0 && b.left >= box.left && b.right <= box.right + 0.5 && b.top >= box.top && b.bottom <= box.bottom,
        };
      });
    });
    let live = 0;
    let bins = 0;
    for (const r of json.results) {
      const strategy = r["strategy"] as string;
      const mine = marks.filter((m) => m.strategy === strategy);
      const liveTables = (r["tables"] as Placement[]).filter((t) => t.live);
      const freed = freedBins(r);
      assert.deepEqual(
        mine
          .filter((m) => m.kind === "live")
          .map((m) => m.at)
          .sort((a, b) => a - b),
        liveTables.map((t) => t.pa).sort((a, b) => a - b),
        `${strategy} live`,
      );
      assert.deepEqual(
        mine
          .filter((m) => m.kind === "freed")
          .map((m) => `${m.at}:${m.count}`)
          .sort(),
        freed.map((b) => `${b.start}:${b.count}`).sort(),
        `${strategy} freed`,
      );
      live += liveTables.length;
      bins += freed.length;
    }
    assert.equal(marks.length, live + bins);
    assert.ok(live > 0 && bins > 0, `${live} live, ${bins} bins`);
    assert.deepEqual(
      marks.filter((m) => !m.inView),
      [],
      "every mark lies inside the chart",
    );
    assert.ok(
      marks.filter((m) => m.kind === "freed").every((m) => new RegExp(`^\\S+: ${m.count} freed tables?`).test(m.title)),
      "hover text gives the count",
    );
  });

  it("memory map: binary GiB axis and the 4 GiB line labelled, inside the chart", async () => {
    const seen = await page.$eval("figure[data-chart=memory-map] svg", (svg) => {
      const box = svg.getBoundingClientRect();
      const overview = svg.querySelector("g.overview");
      const label = overview?.querySelector("text.limit-label");
      const line = overview?.querySelector("g.limit-4g line")?.getBoundingClientRect();
      const lb = label?.getBoundingClientRect();
      return {
        ticks: [...(overview?.querySelectorAll("text.tick") ?? [])].map((t) => t.textContent),
        label: label?.textContent,
        labelInside: lb !== undefined && lb.left >= box.left && lb.right <= box.right && lb.top >= box.top,
        labelNextToLine: lb !== undefined && line !== undefined && (Math.abs(lb.right - line.left) < 8 || Math.abs(lb.left - line.right) < 8),
      };
    });
    assert.deepEqual(seen.ticks, ["1 GiB", "2 GiB", "3 GiB", "4 GiB", "5 GiB"]);
    assert.equal(seen.label, "4 GiB: the 32-bit table-pointer limit");
    assert.ok(seen.labelInside && seen.labelNextToLine, JSON.stringify(seen));
  });

  it("bytes-held chart: one line per strategy, no legend label cut short, coinciding series named", async () => {
    const seen = await page.$eval("figure[data-chart=held-over-time]", (f) => ({
      lines: f.querySelectorAll("svg g.mark-line path").length,
      labels: [...f.querySelectorAll("svg g.role-legend text")].map((t) => t.textContent ?? ""),
      caption: f.querySelector("figcaption")?.textContent ?? "",
    }));
    assert.equal(seen.lines, json.results.length);
    assert.ok(
      seen.labels.every((l) => !l.endsWith("\u2026")),
      seen.labels.join(" | "),
    );
    // Which series coincide, computed here from the JSON.
    const keys = new Map<string, string>();
    for (const r of json.results) {
      const key = (r["samples"] as { event: number; heldBytes: number }[]).map((s) => `${s.event}:${s.heldBytes}`).join(",");
      const first = keys.get(key);
      if (first === undefined) keys.set(key, r["strategy"] as string);
      else {
        assert.ok(seen.labels.includes(`${r["strategy"] as string} (same as ${first})`), `${r["strategy"] as string} same as ${first}`);
        assert.ok(seen.caption.includes(`${r["strategy"] as string} is the same as ${first}`));
      }
    }
  });

  it("shows under every chart a data table equal to the JSON", async () => {
    const tables = await page.$$eval("table.chart-data", (ts) =>
      ts.map((t) => ({
        chart: t.getAttribute("data-chart") ?? "",
        rows: [...t.querySelectorAll("tbody tr")].map((tr) => ({
          strategy: tr.getAttribute("data-strategy") ?? "",
          kind: tr.getAttribute("data-kind"),
          cells: [...tr.querySelectorAll("td")].map((td) => ({
            field: td.getAttribute("data-field") ?? "",
            value: td.getAttribute("data-value"),
            derived: td.getAttribute("data-derived") === "true",
            text: (td.textContent ?? "").trim(),
          })),
        })),
      })),
    );
    assert.deepEqual(
      tables.map((t) => t.chart),
      ["held-over-time", "memory-map", "l2-occupancy", "held-vs-in-use"],
    );
    const byStrategy = new Map(json.results.map((r) => [r["strategy"] as string, r]));
    const heldCaption = await page.$eval("figure[data-chart=held-over-time] figcaption", (c) => c.textContent ?? "");
    const value = (row: DataRow, field: string): number => Number(row.cells.find((c) => c.field === field)?.value);
    for (const t of tables) {
      for (const row of t.rows as DataRow[]) assert.ok(byStrategy.has(row.strategy), `${t.chart}: ${row.strategy}`);
      if (t.chart === "held-over-time") {
        for (const r of json.results) {
          const samples = r["samples"] as { event: number; heldBytes: number }[];
          const rows = t.rows.filter((x) => x.strategy === r["strategy"]);
          for (const row of rows) {
            const s = samples.find((x) => x.event === value(row, "event"));
            assert.equal(value(row, "heldBytes"), s?.heldBytes, `${row.strategy} event ${value(row, "event")}`);
          }
          // The first and last samples and the highest one are among the plotted points; a peak
          // higher than every sample (reached and left within one event) is named in the caption.
          assert.equal(value(rows[0] as DataRow, "event"), samples[0]?.event);
          assert.equal(value(rows[rows.length - 1] as DataRow, "event"), samples[samples.length - 1]?.event);
          const highest = Math.max(...samples.map((x) => x.heldBytes));
          assert.equal(Math.max(...rows.map((x) => value(x, "heldBytes"))), highest);
          if ((r["peakHeldBytes"] as number) > highest)
            assert.ok(
              heldCaption.includes(`${r["strategy"] as string} ${bytes(r["peakHeldBytes"] as number)}`),
              `${r["strategy"] as string}: peak between samples`,
            );
        }
      } else if (t.chart === "memory-map") {
        for (const r of json.results) {
          const rows = t.rows.filter((x) => x.strategy === r["strategy"]);
          const live = rows
            .filter((x) => x.kind === "live")
            .map((x) => `${value(x, "pa")} L${value(x, "level")} ${x.cells[3]?.value ?? ""} ${value(x, "bytes")}`);
          const want = (r["tables"] as Placement[]).filter((p) => p.live).map((p) => `${p.pa} L${p.level} ${p.zone} ${p.bytes}`);
          assert.deepEqual(live.sort(), want.sort(), `${r["strategy"] as string} live tables`);
          const freed = rows
            .filter((x) => x.kind === "freed-bin")
            .map((x) => `${value(x, "start")}-${value(x, "end")} ${x.cells[3]?.value ?? ""} ${value(x, "count")} ${value(x, "bytes")}`);
          const bins = freedBins(r).map((b) => `${b.start}-${b.end} ${b.zone} ${b.count} ${b.bytes}`);
          assert.deepEqual(freed.sort(), bins.sort(), `${r["strategy"] as string} freed bins`);
        }
      } else {
        assert.equal(t.rows.length, json.results.length, t.chart);
        for (const row of t.rows) {
          for (const c of row.cells)
            assert.equal(Number(c.value), jsonField(byStrategy.get(row.strategy) ?? {}, c.field), `${t.chart} ${row.strategy} ${c.field}`);
        }
      }
    }
  });

  it("leaves screenshots of the page and of each chart", async () => {
    for (const id of ["held-over-time", "memory-map", "l2-occupancy", "held-vs-in-use"]) {
      await page.locator(`figure[data-chart="${id}"]`).screenshot({ path: `/tmp/report-${id}.png` });
    }
    await page.screenshot({ path: "/tmp/report.png", fullPage: true });
    assert.ok(readFileSync("/tmp/report.png").length > 10_000);
  });
});
