// SPDX-License-Identifier: GPL-2.0-only
/**
 * What `npm pack` would put in the tarball, from `npm pack --dry-run --json --ignore-scripts` over the
 * dist/ that `npm test` has just built (scripts off: a prepack here would rebuild dist/ under the other
 * test files' feet). The full pack, install and run is `npm run test:package`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../helpers/paths.ts";

interface PackageJson {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;

function packedFiles(): string[] {
  assert.ok(existsSync(join(REPO_ROOT, "dist/cli/bin.js")), "dist/ is missing: `npm test` builds it first (`npm run build`)");
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO_ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  assert.ok(info !== undefined, "npm pack --json printed no package");
  return info.files.map((f) => f.path).sort();
}

const files = packedFiles();

test("the tarball holds the compiled package and its docs, and no tests, benches or TypeScript sources", () => {
  const outside = files.filter((f) => !/^(dist|bin|docs)\//.test(f) && !["README.md", "package.json"].includes(f));
  assert.deepEqual(outside, []);
  assert.deepEqual(
    files.filter((f) => /^(test|bench|src|examples)\//.test(f)),
    [],
  );
  assert.deepEqual(
    files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
    [],
  );
  assert.deepEqual(
    files.filter((f) => f.endsWith("worker-boot.js")),
    [],
  );
});

test("the tarball holds the CLI entry, the worker entry, the library and their declarations", () => {
  for (const f of [
    "bin/iommu-lab.js",
    "dist/cli/bin.js",
    "dist/cli/main.js",
    "dist/cli/strategy-worker.js",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/report/charts.d.ts",
  ]) {
    assert.ok(files.includes(f), `${f} is not in the tarball`);
  }
});

test("every file package.json points at (bin, exports) is in the tarball", () => {
  const targets = [...Object.values(pkg.bin), ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))];
  for (const t of targets) assert.ok(files.includes(t.replace(/^\.\//, "")), `${t} is not in the tarball`);
});

test("tsx and typescript are dev dependencies only: the installed package runs on plain Node", () => {
  for (const dev of ["tsx", "typescript"]) {
    assert.equal(pkg.dependencies[dev], undefined, `${dev} is a runtime dependency`);
    assert.ok(pkg.devDependencies[dev] !== undefined, `${dev} is not a dev dependency`);
  }
});

test("the shipped bin starts dist/ and the compiled modules import no .ts file", () => {
  assert.match(readFileSync(join(REPO_ROOT, "bin/iommu-lab.js"), "utf8"), /\.\.\/dist\/cli\/bin\.js/);
  for (const f of files.filter((x) => x.endsWith(".js") && x.startsWith("dist/"))) {
    const text = readFileSync(join(REPO_ROOT, f), "utf8");
    assert.doesNotMatch(text, /(from |import\()"\.{1,2}\/[^"]*\.ts"/, `${f} imports a .ts module`);
  }
});
