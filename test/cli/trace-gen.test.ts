// SPDX-License-Identifier: GPL-2.0-only
/** `iommu-lab trace-gen` end to end: the file it writes, and one-line exit-2 errors for bad flags. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generateTraceText } from "../../src/workload/trace-gen.ts";
import { CLI } from "../helpers/paths.ts";

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("iommu-lab trace-gen", () => {
  const tmp = mkdtempSync(join(tmpdir(), "iommu-lab-trace-gen-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("writes the generator's text to -o, leaving no temporary file behind", () => {
    const out = join(tmp, "trace.txt");
    const r = run("trace-gen", "--events", "20000", "--seed", "7", "--format", "range", "--layout", "trace-cmd", "-o", out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /wrote 20,000 events/);
    assert.equal(readFileSync(out, "utf8"), generateTraceText({ events: 20_000, seed: 7, format: "range", layout: "trace-cmd" }));
    assert.deepEqual(readdirSync(tmp), ["trace.txt"]);
  });

  it("writes to stdout with -o -", () => {
    const r = run("trace-gen", "--events", "50", "-o", "-");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, generateTraceText({ events: 50, seed: 1 }));
  });

  for (const [args, re] of [
    [["--events", "12x"], /--events: must be an integer/],
    [["--events", "0"], /--events: must be an integer in \[1,/],
    [["--events", "5", "--seed", "-3"], /--seed/],
    [["--events", "5", "--format", "new"], /--format: must be one of old, range, got "new"/],
    [["--events", "5", "--layout", "perf"], /--layout: must be one of cat, trace-cmd/],
    [["--events", "5", "--max-live", "0"], /--max-live/],
    [["--seed", "5"], /required option '--events/],
  ] as const) {
    it(`rejects ${args.join(" ")} with exit 2 and one line`, () => {
      const r = run("trace-gen", ...args, "-o", join(tmp, "bad.txt"));
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, re);
    });
  }

  it("an output directory that does not exist is exit 2 naming the path", () => {
    const out = join(tmp, "missing-dir", "t.txt");
    const r = run("trace-gen", "--events", "5", "-o", out);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1);
    assert.ok(r.stderr.includes(out), r.stderr);
  });
});
