// SPDX-License-Identifier: GPL-2.0-only
/** `diff` of a v4.19 and a v6.6 run of the default scenario: every figure that changed is named. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { diffReports, parseDiffableReport, type FigureChange } from "../../src/analysis/diff.ts";
import { InputError } from "../../src/core/errors.ts";
import { renderDiffMarkdown, renderDiffText } from "../../src/report/diff.ts";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-diff-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STRATEGIES = "legacy-gfp-dma,slab-dma32,mtk-ttbr-ext";
const A = join(dir, "v4.19.json");
const B = join(dir, "v6.6.json");

describe("diff", () => {
  before(() => {
    for (const [era, out] of [
      ["v4.19", A],
      ["v6.6", B],
    ] as const) {
      const r = lab("compare", "--era", era, "--strategies", STRATEGIES, "--json", out, "--no-html", "--jobs", "1");
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it("names every per-strategy figure that changed between v4.19 and v6.6", () => {
    const ja = JSON.parse(readFileSync(A, "utf8")) as { results: Record<string, unknown>[] };
    const jb = JSON.parse(readFileSync(B, "utf8")) as { results: Record<string, unknown>[] };
    const d = diffReports(parseDiffableReport(readFileSync(A, "utf8"), "a"), parseDiffableReport(readFileSync(B, "utf8"), "b"), { a: "a", b: "b" });
    let expected = 0;
    for (const ra of ja.results) {
      const rb = jb.results.find((r) => r["strategy"] === ra["strategy"]);
      assert.ok(rb !== undefined);
      const sd = d.strategies.find((s) => s.strategy === ra["strategy"]);
      assert.ok(sd !== undefined);
      // Every top-level scalar that differs, computed here without the diff's own flattening.
      for (const [k, v] of Object.entries(ra)) {
        if (typeof v !== "number" && typeof v !== "boolean") continue;
        if (v === rb[k]) continue;
        expected++;
        const c: FigureChange | undefined = sd.changes.find((x) => x.figure === k);
        assert.ok(c !== undefined, `${String(ra["strategy"])}.${k} changed (${String(v)} -> ${String(rb[k])}) but the diff does not name it`);
        assert.equal(c.a, v);
        assert.equal(c.b, rb[k]);
      }
    }
    assert.ok(expected > 0, "the two eras differ");
    assert.deepEqual(
      d.params.map((c) => c.figure),
      ["era"],
    );
    assert.ok(
      d.platform.some((c) => c.figure === "zones[DMA].start"),
      "v6.6 elm has a ZONE_DMA where v4.19 has DMA32",
    );
    const legacy = d.strategies.find((s) => s.strategy === "legacy-gfp-dma");
    assert.deepEqual(
      legacy?.changes.find((c) => c.figure === "domainCreated"),
      { figure: "domainCreated", a: false, b: true, delta: null, ratio: null },
    );
    assert.ok(d.predictions.some((p) => p.flipped));
    const slab = d.strategies.find((s) => s.strategy === "slab-dma32");
    assert.deepEqual(slab?.changes, [], "the merged fix costs the same in both eras");
  });

  it("prints mail-ready text (ASCII, 72 columns) and Markdown; --exit-code says whether anything changed", () => {
    const r = lab("diff", A, B, "--exit-code", "--html", join(dir, "d.html"), "--json", join(dir, "d.json"));
    assert.equal(r.status, 1, r.stderr);
    for (const line of r.stdout.split("\n")) {
      assert.ok(line.length <= 72, `over 72 columns: ${line}`);
      assert.match(line, /^[\x20-\x7e]*$/, `not ASCII: ${line}`);
    }
    assert.match(r.stdout, /^legacy-gfp-dma$/m);
    assert.match(r.stdout, /domainCreated: false -> true/);
    assert.match(r.stdout, /FLIPPED/);
    const same = lab("diff", A, A, "--exit-code");
    assert.equal(same.status, 0);
    assert.match(same.stdout, /0 figures changed/);
    const md = lab("diff", A, B, "--format", "markdown");
    assert.match(md.stdout, /^\| figure \| A \| B \| change \|$/m);
    assert.match(readFileSync(join(dir, "d.html"), "utf8"), /<td data-field="domainCreated" data-side="b">true<\/td>/);
  });

  it("refuses what is not a compare report with one line and exit 2", () => {
    const r = lab("diff", A, join(dir, "nope.json"));
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), /nope\.json: no such report file$/);
    assert.throws(
      () => parseDiffableReport(JSON.stringify({ schema: "iommu-lab/sweep/1" }), "s.json"),
      (e: unknown) => e instanceof InputError && /s\.json: schema: must be "iommu-lab\/compare\/N"/.test(e.message),
    );
    const same = lab("diff", A, B, "--json", A);
    assert.equal(same.status, 2);
    assert.match(same.stderr, /is also an input of this run/);
  });

  it("renders in order and deterministically", () => {
    const pa = parseDiffableReport(readFileSync(A, "utf8"), "a");
    const pb = parseDiffableReport(readFileSync(B, "utf8"), "b");
    const d1 = diffReports(pa, pb, { a: "a", b: "b" });
    assert.equal(renderDiffText(d1), renderDiffText(diffReports(pa, pb, { a: "a", b: "b" })));
    assert.equal(renderDiffMarkdown(d1), renderDiffMarkdown(diffReports(pa, pb, { a: "a", b: "b" })));
  });
});
