// SPDX-License-Identifier: GPL-2.0-only
/**
 * A scenario run with --trace-out, then that trace replayed: the two runs must leave byte-identical page
 * tables (the v7s-oracle dump, table pointers masked, since the replay does not allocate the buffers
 * and so its tables land elsewhere).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BUILTIN_SCENARIO_SOURCES } from "../../src/workload/builtin-scenarios.ts";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-roundtrip-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1" } });
}

for (const era of ["v4.19", "latest"]) {
  describe(`run --trace-out, then replay (${era})`, () => {
    it("gives byte-identical page tables", () => {
      // Stop before teardown so the tables hold the steady state's mappings.
      const base = BUILTIN_SCENARIO_SOURCES["mt8173-video-playback"] as Record<string, unknown>;
      const scenario = { ...base, name: "playback-no-teardown", phases: [{ kind: "boot" }, { kind: "steady", frames: 120 }] };
      const file = join(dir, `scenario-${era}.json`);
      writeFileSync(file, JSON.stringify(scenario));
      const trace = join(dir, `trace-${era}.txt`);
      const a = join(dir, `run-${era}.json`);
      const b = join(dir, `replay-${era}.json`);
      lab("run", file, "--era", era, "--trace-out", trace, "--dump-tables", a);
      lab("replay", trace, "--era", era, "--dump-tables", b);
      const runDump = readFileSync(a, "utf8");
      assert.ok((JSON.parse(runDump) as { l2: unknown[] }).l2.length > 100, "the run left too few mappings to compare");
      assert.equal(readFileSync(b, "utf8"), runDump);
      const lines = readFileSync(trace, "utf8").split("\n");
      assert.match(lines[0] ?? "", era === "latest" ? /: map: IOMMU: iova=0x[0-9a-f]{16} - 0x[0-9a-f]{16} paddr=/ : /: map: IOMMU: iova=0x[0-9a-f]{16} paddr=/);
    });
  });
}
