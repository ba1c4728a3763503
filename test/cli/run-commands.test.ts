// SPDX-License-Identifier: GPL-2.0-only
/** Bad input to the run commands: one clear line on stderr, exit status 2, and no file left behind. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function badInput(args: string[], pattern: RegExp): void {
  const r = lab(...args);
  assert.equal(r.status, 2, `exit status for ${args.join(" ")}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0] ?? "", pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

describe("run commands reject bad input with one line and exit 2", () => {
  it("an unknown strategy", () => badInput(["compare", "--strategies", "slab-dma32,nope"], /--strategies: unknown strategy "nope" \(known: legacy-gfp-dma, /));
  it("an unknown era", () => badInput(["compare", "--era", "v3.0"], /--era: unknown kernel era "v3.0"/));
  it("an unknown platform", () => badInput(["run", "--platform", "pc"], /--platform: unknown platform "pc"/));
  it("a bad number", () => badInput(["compare", "--seed", "-4"], /--seed: "-4" is not an integer/));
  it("an unknown flag", () => badInput(["compare", "--frobnicate"], /unknown option '--frobnicate'/));
  it("a missing scenario file", () => badInput(["run", "no-such.json"], /no-such.json: no such scenario file/));
  it("a scenario with a bad field names the field", () => {
    const f = join(dir, "bad.json");
    writeFileSync(f, JSON.stringify({ name: "x", devices: [{ name: "d", buffers: [{ name: "b", api: "alloc", bytes: -5 }] }], phases: [{ kind: "boot" }] }));
    badInput(["run", f], /bad\.json: devices\[0\]\.buffers\[0\]\.bytes/);
  });
  it("a missing trace file", () => badInput(["replay", join(dir, "nope.trace")], /nope\.trace: /));
  it("a bad --iova", () => badInput(["explain", "--iova", "zz"], /--iova: "zz" is not an address/));
  it("an --iova beyond the M4U's 32-bit input address space", () =>
    badInput(["explain", "--iova", "0x100000000"], /--iova: "0x100000000" is not an address below 2\^32 \(the IOMMU's input address size\)/));

  it("an unwritable report path fails before the run and writes nothing", () => {
    badInput(["compare", "--strategies", "slab-dma32", "--html", join(dir, "missing-dir", "r.html")], /r\.html: cannot write here/);
    badInput(["compare", "--strategies", "slab-dma32", "--json", dir], /is a directory/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith("report") || f.startsWith(".")),
      [],
    );
  });
});

describe("compare writes both reports", () => {
  it("with two strategies, report.html and report.json appear whole", () => {
    const r = lab("compare", "--strategies", "slab-dma32,page-per-table", "--jobs", "1");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /slab-dma32/);
    assert.ok(existsSync(join(dir, "report.html")) && existsSync(join(dir, "report.json")));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(".")),
      [],
      "no temporary files left",
    );
  });
});

describe("mm", () => {
  it("shows elm's v4.19 zones and a /proc/buddyinfo view", () => {
    const r = lab("mm", "--background", "none");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /DMA32 +0x4000_0000-0x1_0000_0000 +3 GiB/);
    assert.match(r.stdout, /NORMAL +0x1_0000_0000-0x1_4000_0000 +1 GiB/);
    assert.match(r.stdout, /^Node 0, zone +DMA32/m);
  });
});

describe("explain", () => {
  it("walks the first framebuffer's IOVA at the start of teardown: a 1 MiB section the M4U reaches", () => {
    // The display's first framebuffer is the first dma_alloc_attrs of the default scenario: v4.19's
    // top-down allocator puts 8 MiB at 0xff800000, mapped from order-8 blocks as 1 MiB sections.
    const r = lab("explain", "--iova", "0xff800000");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /at event \d+ \(the start of teardown\)/);
    assert.match(r.stdout, /L1\[4088\] +0x[0-9a-f]{8} +section /);
    assert.match(r.stdout, /-> PA 0x[0-9a-f]+ \(1024 KiB page\), in the model's memory a page of dma:display/);
  });

  it("compare with an empty stdin says so in one line", () => badInput(["compare", "--trace", "-"], /stdin: the input is empty/));
});
