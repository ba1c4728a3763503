// SPDX-License-Identifier: GPL-2.0-only
/**
 * Opens a generated HTML report in Debian's headless Chromium (never a downloaded browser) and checks
 * what a reader sees: no console errors, no network, every chart drawn, and table figures equal to the
 * JSON written beside it. Leaves a full-page screenshot at /tmp/report.png for a human look.
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
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

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
    // A real run: the default scenario on four strategies, including the regressed one.
    execFileSync(
      process.execPath,
      [CLI, "compare", "--strategies", "legacy-gfp-dma,slab-dma32,genalloc-prealloc,page-frag", "--jobs", "2", "--html", join(dir, "report.html"), "--json", join(dir, "report.json")],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, CI: "1" } },
    );
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
    assert.deepEqual(figures.map((f) => f.id), ["held-over-time", "memory-map", "l2-occupancy", "held-vs-in-use"]);
    for (const f of figures) {
      assert.ok(f.w > 100 && f.h > 100, `${f.id}: ${f.w}x${f.h}`);
      assert.ok(f.marks > 10, `${f.id}: ${f.marks} marks`);
    }
  });

  it("shows in the table the same numbers as the JSON", async () => {
    const cells: Cell[] = await page.$$eval("tr[data-strategy] td[data-field]", (tds) =>
      tds.map((td) => ({
        strategy: td.closest("tr")?.getAttribute("data-strategy") ?? "",
        field: td.getAttribute("data-field") ?? "",
        value: td.getAttribute("data-value"),
        derived: td.getAttribute("data-derived") === "true",
        text: (td.textContent ?? "").trim(),
      })),
    );
    const strategies = new Set(cells.map((c) => c.strategy));
    assert.deepEqual([...strategies], json.results.map((r) => r["strategy"]));
    let compared = 0;
    for (const c of cells) {
      const result = json.results.find((r) => r["strategy"] === c.strategy);
      assert.ok(result, c.strategy);
      if (c.field === "overhead") {
        const ratio = (result["peakHeldBytes"] as number) / (result["peakInUseBytes"] as number);
        assert.equal(Number(c.value), ratio, `${c.strategy} overhead`);
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
      else if (c.field !== "runTimeMs" && !c.field.startsWith("kernelCounters.slabinfo")) assert.equal(c.text, String(expected), `${c.strategy} ${c.field} text`);
      compared++;
    }
    assert.ok(compared >= json.results.length * 14, `${compared} cells compared`);
  });

  it("leaves a full-page screenshot", async () => {
    await page.screenshot({ path: "/tmp/report.png", fullPage: true });
    assert.ok(readFileSync("/tmp/report.png").length > 10_000);
  });
});
