// SPDX-License-Identifier: GPL-2.0-only
/**
 * `sweep` end to end: shards run apart and merged equal one unsharded run byte for byte, and a sweep
 * interrupted with SIGINT resumes from its cache without running finished cells again.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-sweep-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// A short scenario keeps each cell well under a second; the grid still crosses platforms, eras and CPUs.
const GRID = {
  workload: { scenario: "page-frag-recycling" },
  platforms: ["mt8173-elm-4g", "mt8173-elm-2g"],
  eras: ["v4.19", "latest"],
  cpus: [2, 8],
  strategies: ["slab-dma32", "page-frag", "mtk-ttbr-ext"],
};

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function grid(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(GRID));
  return path;
}

describe("sweep", () => {
  it("shards 1/2 and 2/2, merged, give the unsharded report byte for byte", () => {
    const whole = lab("sweep", grid("whole.json"), "--json", join(dir, "whole.out.json"), "--html", join(dir, "whole.html"), "--jobs", "2");
    assert.equal(whole.status, 0, whole.stderr);
    assert.match(whole.stderr, /24 cells: 0 from the cache .* 24 to run/);
    const g = grid("sharded.json");
    for (const i of [1, 2]) {
      const r = lab("sweep", g, "--shard", `${i}/2`, "--json", join(dir, `s${i}.json`), "--no-html", "--jobs", "1");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /12 cells in shard \d\/2/);
    }
    const m = lab("sweep", "merge", join(dir, "s2.json"), join(dir, "s1.json"), "--json", join(dir, "merged.json"), "--html", join(dir, "merged.html"));
    assert.equal(m.status, 0, m.stderr);
    assert.equal(readFileSync(join(dir, "merged.json"), "utf8"), readFileSync(join(dir, "whole.out.json"), "utf8"));
    assert.equal(readFileSync(join(dir, "merged.html"), "utf8"), readFileSync(join(dir, "whole.html"), "utf8"));
    assert.equal(m.stdout, whole.stdout);
    assert.match(whole.stdout, /verdicts {2}no-domain \d+, .*ok \d+/);
    const html = readFileSync(join(dir, "whole.html"), "utf8");
    assert.match(html, /<svg/);
    assert.equal((html.match(/data-verdict=/g) ?? []).length, 24, "every cell in the table beside the heatmap");
  });

  it("a merge that leaves cells out is bad input naming how many", () => {
    const r = lab("sweep", "merge", join(dir, "s1.json"), "--no-json", "--no-html");
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), /^iommu-lab: sweep merge: 12 of 24 cells are in none of the reports/);
  });

  it("resumes after SIGINT without running finished cells again", async () => {
    const g = grid("resume.json");
    const cache = join(dir, "resume.cache");
    const child = spawn(process.execPath, [CLI, "sweep", g, "--jobs", "2", "--no-html", "--json", join(dir, "resume.out.json")], {
      cwd: dir,
      env: { ...process.env, CI: "1" },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Interrupt once at least two cells are cached, well before the 24th (worker threads keep the main
    // thread free to take the signal).
    const deadline = Date.now() + 120_000;
    while (!(existsSync(cache) && readdirSync(cache).filter((f) => f.endsWith(".json")).length >= 2)) {
      if (Date.now() > deadline) throw new Error(`no cell cached in time: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted; \d+ of 24 cells are in .*resume\.cache: run the same command again to resume/);
    const cached = readdirSync(cache).filter((f) => f.endsWith(".json")).length;
    assert.ok(cached >= 2 && cached < 24, `cached ${cached}`);
    assert.deepEqual(
      readdirSync(cache).filter((f) => f.endsWith(".tmp")),
      [],
      "no half-written cell",
    );
    assert.ok(!existsSync(join(dir, "resume.out.json")), "no report from an interrupted sweep");

    const again = lab("sweep", g, "--jobs", "2", "--no-html", "--json", join(dir, "resume.out.json"));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`24 cells: ${cached} from the cache .* ${24 - cached} to run`));
    assert.equal(readFileSync(join(dir, "resume.out.json"), "utf8"), readFileSync(join(dir, "whole.out.json"), "utf8"));
  });

  it("a bad grid is one line and exit 2", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ ...GRID, eras: ["v9"] }));
    const r = lab("sweep", path);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /bad\.json: eras\[0\]: must be a known era/);
    const s = lab("sweep", grid("shardbad.json"), "--shard", "3/2");
    assert.equal(s.status, 2);
    assert.match(s.stderr, /--shard: shard 3 must be from 1 to 2/);
  });
});
