// SPDX-License-Identifier: GPL-2.0-only
/** The `platforms` and `board-import` commands, and `mm` on the new presets. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { CLI, REPO_ROOT } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-platforms-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
const LOGS = resolve(REPO_ROOT, "test/phys/boot-logs");

test("platforms lists every preset, its summary wrapped under it within 100 columns", () => {
  const r = cli("platforms");
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.split("\n").every((l) => l.length <= 100));
  // A preset's line, with its wrapped continuation lines (indented) joined back on.
  const lines = r.stdout
    .trimEnd()
    .replace(/\n {19}/g, " ")
    .split("\n");
  assert.ok(lines.length >= 11);
  const cherry = lines.find((l) => l.startsWith("mt8195-cherry-8g "));
  assert.match(
    cherry ?? "",
    /8 GiB \(5 GiB above 4 GiB\), 8 CPUs; 2 mtk_iommu \(vpp, vdo\), 5 domains, 1 table, ias 34, no TTBR_EXT, tables must lie < 4 GiB in latest; since 5\.19; eras v6\.6, latest/,
  );
});

test("mm prints the spans the zone formulas give; an era before the SoC is exit 2 naming the release", () => {
  const latest = cli("mm", "--platform", "mt8195-cherry-8g", "--era", "latest", "--background", "none");
  assert.equal(latest.status, 0, latest.stderr);
  assert.match(latest.stdout, /DMA\s+0x4000_0000-0x1_0000_0000\s+3 GiB/);
  assert.match(latest.stdout, /DMA32\s+empty/);
  assert.match(latest.stdout, /NORMAL\s+0x1_0000_0000-0x2_4000_0000\s+5 GiB/);
  const v66 = cli("mm", "--platform", "mt8195-cherry-8g", "--era", "v6.6", "--background", "none");
  assert.equal(v66.status, 0, v66.stderr);
  assert.match(v66.stdout, /DMA\s+0x4000_0000-0x1_0000_0000/);
  const v510 = cli("mm", "--platform", "mt8195-cherry-8g", "--era", "v5.10");
  assert.equal(v510.status, 2);
  assert.match(v510.stderr, /mt8195-cherry-8g: --era v5\.10: Linux v5\.10 does not support the MT8195 \(absent in 5\.17; first supported in Linux 5\.19/);
  assert.equal(v510.stderr.trim().split("\n").length, 1);
});

test("board-import writes a platform file; a log without Zone ranges and an output over the input are exit 2", () => {
  const out = join(dir, "cherry.json");
  const r = cli("board-import", join(LOGS, "cherry-6.6.log"), "-o", out);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(readFileSync(out, "utf8")) as { ram: unknown; basedOn: string; cpus: number };
  assert.deepEqual(json.ram, [{ start: "0x40000000", end: "0x240000000" }]);
  assert.equal(json.basedOn, "mt8195-cherry-8g");
  assert.match(r.stderr, /board-import: Linux 6\.6\.30: nearest era of the model is v6\.6/);
  const bad = cli("board-import", join(LOGS, "no-zones.log"), "-o", join(dir, "x.json"));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no-zones\.log: no "Zone ranges:" block/);
  const self = cli("board-import", join(LOGS, "cherry-6.6.log"), "-o", join(LOGS, "cherry-6.6.log"));
  assert.equal(self.status, 2);
  assert.match(self.stderr, /would overwrite the input/);
});
