// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run test:package`: the package as a user gets it. Packs the repository (prepack: a clean build of
 * dist/), installs the tarball into an empty folder with `npm install <tarball>` (from the registry: no
 * dev dependency, no tsx), and runs `npx iommu-lab compare` there. Not in `npm test`: it needs the
 * registry, takes a minute or more, and rebuilds dist/ under any test running beside it.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { CLI, REPO_ROOT } from "../helpers/paths.ts";

const work = mkdtempSync(join(tmpdir(), "iommu-lab-package-"));
after(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, CI: "1", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}:\n${r.stderr}`);
  return r;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => relative(dir, join(dir, f)));
}

const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const app = join(work, "app");
let tarball = "";

test("npm pack: the tarball holds a fresh build of every source and nothing else of the tree", { timeout: 300_000 }, () => {
  const r = run("npm", ["pack", "--json", "--pack-destination", work], REPO_ROOT);
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  assert.ok(info !== undefined);
  tarball = join(work, info.filename);
  const files = new Set(info.files.map((f) => f.path));
  const expected = sourcesUnder(join(REPO_ROOT, "src")).flatMap((s) => [`dist/${s.replace(/\.ts$/, ".js")}`, `dist/${s.replace(/\.ts$/, ".d.ts")}`]);
  assert.deepEqual([...files].filter((f) => f.startsWith("dist/")).sort(), expected.sort());
  assert.deepEqual(
    [...files].filter((f) => /^(test|bench|src|examples)\//.test(f)),
    [],
  );
});

test("npm install <tarball> into an empty folder brings the runtime dependencies only", { timeout: 600_000 }, () => {
  assert.ok(existsSync(tarball), "no tarball (the pack step failed)");
  mkdirSync(app);
  run("npm", ["install", tarball], app);
  assert.ok(existsSync(join(app, "node_modules/iommu-lab/dist/cli/bin.js")));
  for (const dev of ["tsx", "typescript", "fast-check", "playwright-core"]) assert.ok(!existsSync(join(app, "node_modules", dev)), `${dev} was installed`);
});

test("npx iommu-lab compare there writes both reports, byte for byte the ones the repository writes", { timeout: 600_000 }, () => {
  run("npx", ["--no-install", "iommu-lab", "compare", "--json", "r.json", "--html", "r.html"], app);
  const here = join(work, "repo-run");
  mkdirSync(here);
  run(process.execPath, [CLI, "compare", "--json", "r.json", "--html", "r.html"], here);
  for (const f of ["r.json", "r.html"]) {
    assert.ok(existsSync(join(app, f)), `${f} was not written`);
    assert.ok(readFileSync(join(app, f)).equals(readFileSync(join(here, f))), `${f} differs from the repository's`);
  }
  assert.match(readFileSync(join(app, "r.html"), "utf8"), /<svg/);
});

test("npx iommu-lab --version prints the package's version (npm passes flags after the command name on)", () => {
  assert.equal(run("npx", ["--no-install", "iommu-lab", "--version"], app).stdout.trim(), version);
});

test("the library entry loads on plain Node and its declarations type-check a consumer", { timeout: 120_000 }, () => {
  const r = run(
    process.execPath,
    ["--input-type=module", "-e", 'const m = await import("iommu-lab"); console.log(m.STRATEGY_NAMES.length, typeof m.renderSvg)'],
    app,
  );
  assert.equal(r.stdout.trim(), "8 function");
  writeFileSync(
    join(app, "consumer.mts"),
    'import { STRATEGY_NAMES, era, type ComparisonReport } from "iommu-lab";\n' +
      "const names: readonly string[] = STRATEGY_NAMES;\n" +
      'const shown: string = era("v4.19").name;\n' +
      "const count = (r: ComparisonReport): number => r.results.length;\n" +
      "export { names, shown, count };\n",
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: [] },
      files: ["consumer.mts"],
    }),
  );
  run(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app);
});
