// SPDX-License-Identifier: GPL-2.0-only
/** `compare --platform P` with P's default scenario, and `--platform-file` from board-import, end to end. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { CLI, REPO_ROOT } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-platform-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
const LOGS = resolve(REPO_ROOT, "test/phys/boot-logs");

test("compare --platform mt8195-cherry-8g runs its own default scenario and shows the 64 KiB L1, the shared table and the domains", () => {
  const r = cli("compare", "--platform", "mt8195-cherry-8g", "--strategies", "slab-dma32", "--json", "c.json", "--no-html");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /scenario mt8195-cherry-8g-default/);
  assert.match(r.stdout, /m4ulist\/0-4G\s+vpp\+vdo\s+0x0-0xff7fffff\s+34\s+64 KiB\s+no\s+own/);
  assert.match(r.stdout, /m4ulist\/CCU1\s+vpp\+vdo\s+\S+\s+34\s+64 KiB\s+no\s+shares m4ulist\/0-4G/);
  assert.match(r.stdout, /2 M4Us \(vpp mediatek,mt8195-iommu-vpp, vdo mediatek,mt8195-iommu-vdo\), 5 domains, 1 v7s table per strategy/);
  assert.match(r.stdout, /vdec → m4ulist\/4-8G via vdo/);
  const json = JSON.parse(readFileSync(join(dir, "c.json"), "utf8")) as { results: { breakdown?: { domains: { id: string; l1Bytes: number }[] } }[] };
  assert.deepEqual(
    json.results[0]?.breakdown?.domains.map((d) => d.l1Bytes),
    [65536, 65536, 65536, 65536, 65536],
  );
});

test("compare --platform mt8173-elm-4g still runs the elm default and prints no domain section", () => {
  const r = cli("compare", "--platform", "mt8173-elm-4g", "--strategies", "slab-dma32", "--no-json", "--no-html");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /scenario mt8173-video-playback/);
  assert.doesNotMatch(r.stdout, /IOMMU instances and domains/);
});

for (const [log, base, era] of [
  ["elm-4.19", "mt8173-elm-4g", "v4.19"],
  ["kukui-5.10", "mt8183-kukui-4g", "v5.10"],
  ["cherry-6.6", "mt8195-cherry-8g", "v6.6"],
] as const) {
  test(`board-import ${log}, then compare --platform-file runs end to end on ${base}'s default scenario`, () => {
    const out = join(dir, `${log}.json`);
    const imp = cli("board-import", join(LOGS, `${log}.log`), "-o", out);
    assert.equal(imp.status, 0, imp.stderr);
    const file = JSON.parse(readFileSync(out, "utf8")) as { basedOn?: string };
    assert.equal(file.basedOn, base);
    const r = cli("compare", "--platform-file", out, "--strategies", "slab-dma32", "--no-json", "--no-html");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`era\\s+${era.replace(".", "\\.")}\\s`));
    assert.match(r.stdout, /imported from/);
    if (base === "mt8195-cherry-8g") assert.match(r.stdout, /m4ulist\/0-4G/);
  });
}

test("--platform-file errors name the path and the rule, exit 2", () => {
  const missing = cli("compare", "--platform-file", "nope.json", "--no-json", "--no-html");
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: no such platform file/);
  writeFileSync(
    join(dir, "bad.json"),
    JSON.stringify({ schema: "iommu-lab/platform/1", name: "b", description: "d", cpus: 4, ram: [{ start: 0x4000_0000, end: 0x3000_0000 }] }),
  );
  const bad = cli("mm", "--platform-file", "bad.json");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^iommu-lab: bad\.json: ram\[0\]/m);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
  const both = cli("run", "--platform", "mt8173-elm-4g", "--platform-file", join(dir, "cherry-6.6.json"));
  assert.equal(both.status, 2);
  assert.match(both.stderr, /give either --platform or --platform-file/);
});

test("compare --platforms: one table across SoCs, each on its own default scenario; it says where the class still bites", () => {
  const r = cli(
    "compare",
    "--platforms",
    "mt8173-elm-4g,mt6893-phone-12g,mt8195-cherry-8g",
    "--strategies",
    "slab-dma32,mtk-ttbr-ext",
    "--json",
    "p.json",
    "--html",
    "p.html",
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /each platform runs its own default scenario/);
  assert.match(r.stdout, /mt8173-elm-4g\s+v4\.19\s+mt8173-video-playback\s+ok\s+n\/a/);
  assert.match(r.stdout, /mt6893-phone-12g\s+latest\s+mt6893-phone-12g-default\s+\d+ fail\s+ok \(≥4G\)/);
  assert.match(r.stdout, /mt8195-cherry-8g\s+latest\s+mt8195-cherry-8g-default\s+ok\s+ok/);
  assert.match(r.stdout, /mt6893-phone-12g: slab-dma32 \(domains mm\/0-4G, mm\/4-8G, mm\/8-12G\); the kernel: "Page table does not fit in PTE: 0x0000000[23]/);
  assert.doesNotMatch(r.stdout, /mt8173-elm-4g: /);
  const doc = JSON.parse(readFileSync(join(dir, "p.json"), "utf8")) as {
    schema: string;
    rows: { platform: string; ownDefault: boolean; cells: { strategy: string; outcome: string }[] }[];
  };
  assert.equal(doc.schema, "iommu-lab/compare-platforms/1");
  assert.deepEqual(
    doc.rows.map((x) => [x.platform, x.ownDefault, x.cells.map((c) => c.outcome)]),
    [
      ["mt8173-elm-4g", true, ["clean", "n/a"]],
      ["mt6893-phone-12g", true, ["fails", "clean"]],
      ["mt8195-cherry-8g", true, ["clean", "clean"]],
    ],
  );
  assert.match(readFileSync(join(dir, "p.html"), "utf8"), /<h1>Strategies across platforms<\/h1>/);
  const era = cli("compare", "--platforms", "mt8195-cherry-8g", "--era", "v4.19", "--strategies", "slab-dma32", "--no-json", "--no-html");
  assert.equal(era.status, 0, era.stderr);
  assert.match(era.stdout, /mt8195-cherry-8g\s+not in v4\.19/);
  const bad = cli("compare", "--platforms", "mt8195-cherry-8g,nope", "--no-json", "--no-html");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--platforms: unknown platform "nope"/);
});
