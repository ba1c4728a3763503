// SPDX-License-Identifier: GPL-2.0-only
/** `explain --at` on a trace: an event count, a trace line (line:N) or a timestamp (Ns). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-explain-at-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hex16 = (n: number): string => `0x${n.toString(16).padStart(16, "0")}`;
const task = "    kworker/u8:2-97      [001] ...1";
// Line 1 a comment; the page is mapped on line 2 (t=10 s), unmapped on line 3 (t=20 s), mapped again
// elsewhere on line 4 (t=30 s).
const trace = join(dir, "t.trace");
writeFileSync(
  trace,
  [
    "# tracer: nop",
    `${task}    10.000000: map: IOMMU: iova=${hex16(0x1000_0000)} paddr=${hex16(0x5000_0000)} size=4096`,
    `${task}    20.000000: unmap: IOMMU: iova=${hex16(0x1000_0000)} size=4096 unmapped_size=4096`,
    `${task}    30.000000: map: IOMMU: iova=${hex16(0x1000_0000)} paddr=${hex16(0x6000_0000)} size=4096`,
    "",
  ].join("\n"),
);

function explainAt(at: string): string {
  const r = lab("explain", "--trace", trace, "--iova", "0x10000000", "--at", at);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("explain --at on a trace", () => {
  it("line:N stops after trace line N", () => {
    const mapped = explainAt("line:2");
    assert.match(mapped, /^IOVA 0x10000000 at trace line 2 \(1 events in\)/);
    assert.match(mapped, /0x50000000/);
    const unmapped = explainAt("line:3");
    assert.match(unmapped, /^IOVA 0x10000000 at trace line 3 \(2 events in\)/);
    assert.match(unmapped, /-> translation fault at level 2/);
    assert.doesNotMatch(unmapped, /pa=0x50000000/);
    assert.match(explainAt("line:4"), /-> PA 0x60000000 \(4 KiB page\)/);
  });

  it("a time stops before the first event stamped later; the event-count form still works", () => {
    const body = (t: string): string => t.split("\n").slice(1).join("\n");
    assert.equal(body(explainAt("25s")), body(explainAt("line:3")));
    assert.match(explainAt("25s"), /^IOVA 0x10000000 at 25s: trace line 3 \(2 events in\)/);
    assert.match(explainAt("10.5s"), /-> PA 0x50000000 \(4 KiB page\)/);
    assert.match(explainAt("1"), /^IOVA 0x10000000 at event 1:/);
  });

  it("line and time forms need a trace; other text is bad input", () => {
    const r = lab("explain", "--iova", "0x10000000", "--at", "line:3");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--at: "line:3" names a trace line or time: give --trace/);
    const bad = lab("explain", "--trace", trace, "--iova", "0x10000000", "--at", "soon");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--at: "soon" is not an event count, line:N or a time in seconds/);
  });
});
