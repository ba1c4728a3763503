// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the compiled package loads at start-up, recorded by a module resolve hook
 * (fixtures/import-log.mjs): `--version` and `--help` load commander and the name lists, never a
 * command's action, the lab, the report layer, zod or vega; a strategy worker loads the model but not
 * commander, the report layer, cli-progress or vega; the library entry does not load vega.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { CLI, REPO_ROOT } from "../helpers/paths.ts";

const HOOK = join(REPO_ROOT, "test/package/fixtures/import-log.mjs");

/** The repository-relative paths (or bare node: names) of every module `node ARGS` resolved. */
function loaded(args: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "iommu-lab-imports-"));
  const log = join(dir, "imports.txt");
  try {
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(HOOK).href, ...args], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, IMPORT_LOG: log },
    });
    assert.equal(r.status, 0, r.stderr);
    const root = pathToFileURL(REPO_ROOT).href + "/";
    return [...new Set(readFileSync(log, "utf8").trim().split("\n"))].map((u) => u.replace(root, ""));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function matching(mods: readonly string[], re: RegExp): string[] {
  return mods.filter((m) => re.test(m));
}

const HEAVY_PACKAGES = /^node_modules\/(vega|vega-lite|zod|cli-progress)\//;

for (const flag of ["--version", "--help"]) {
  test(`${flag} runs the compiled CLI without the model, the report layer, zod or vega`, () => {
    const mods = loaded([CLI, flag]);
    assert.ok(mods.includes("dist/cli/main.js"), "the compiled CLI did not run");
    assert.deepEqual(matching(mods, /^src\//), [], "TypeScript sources loaded");
    assert.deepEqual(matching(mods, HEAVY_PACKAGES), []);
    assert.deepEqual(matching(mods, /^dist\/(lab|report|pgtable|iommu)\/|^dist\/workload\/(scenario|builtin-scenarios)\.js$/), []);
    assert.deepEqual(matching(mods, /^dist\/cli\/commands\/(?!index\.js$)/), [], "a command's action module loaded");
  });
}

test("a strategy worker's module graph holds the model, not commander, the report layer, cli-progress or vega", () => {
  const mods = loaded(["dist/cli/strategy-worker.js"]);
  assert.ok(mods.includes("dist/lab/experiment.js"), "the worker did not load the model");
  assert.deepEqual(matching(mods, /^node_modules\/(vega|vega-lite|cli-progress|commander)\//), []);
  assert.deepEqual(matching(mods, /^dist\/report\/|^dist\/cli\/(main|commands\/)/), []);
  assert.deepEqual(matching(mods, /^src\//), []);
});

test("importing the library loads no vega: charts load it on first render", () => {
  const mods = loaded(["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, "dist/index.js")).href)})`]);
  assert.ok(mods.includes("dist/report/charts.js"));
  assert.deepEqual(matching(mods, /^node_modules\/vega(-lite)?\//), []);
});
