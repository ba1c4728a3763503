// SPDX-License-Identifier: GPL-2.0-only
/** `--faults FILE` on replay, compare and explain: attribution in the output, bad input as exit 2. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-faults-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hdr = (ts: string): string => `  vdec-1234  [001] d..1. ${ts}: `;
writeFileSync(
  join(dir, "trace.txt"),
  [
    `${hdr("10.000000")}map: IOMMU: iova=0x0000000010000000 paddr=0x0000000050000000 size=16384`,
    `${hdr("11.000000")}unmap: IOMMU: iova=0x0000000010000000 size=16384 unmapped_size=16384`,
    `${hdr("13.000000")}map: IOMMU: iova=0x0000000010000000 paddr=0x0000000060000000 size=4096`,
    "",
  ].join("\n"),
);
writeFileSync(join(dir, "dmesg.txt"), "[   12.500000] mtk-iommu 10205000.iommu: fault type=0x5 iova=0x10001003 pa=0x0 larb=4 port=2 layer=1 write\n");
writeFileSync(join(dir, "bad.txt"), "[   12.5] mtk-iommu 10205000.iommu: fault type=0x5 iova=zz\n");

describe("--faults", () => {
  it("replay: the pasted line gets its covering map and unmap lines and the verdict", () => {
    const r = lab("replay", "trace.txt", "--faults", "dmesg.txt", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /pasted fault line 1 at 12\.500000 s: write of 0x10001000/);
    assert.match(r.stdout, /last map +line 1 at 10\.000000 s/);
    assert.match(r.stdout, /last unmap +line 2 at 11\.000000 s/);
    assert.match(r.stdout, /slab-dma32: unmapped/);
  });

  it("compare: deviceFaults per result in the JSON, the fault section in the HTML", () => {
    const r = lab(
      "compare",
      "--trace",
      "trace.txt",
      "--faults",
      "dmesg.txt",
      "--strategies",
      "slab-dma32,page-frag",
      "--json",
      "r.json",
      "--html",
      "r.html",
      "--jobs",
      "1",
    );
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { results: { deviceFaults?: { verdict: string; lastMap: { line: number } }[] }[] };
    assert.deepEqual(
      json.results.map((x) => x.deviceFaults?.map((f) => [f.verdict, f.lastMap.line])),
      [[["unmapped", 1]], [["unmapped", 1]]],
    );
    assert.match(readFileSync(join(dir, "r.html"), "utf8"), /<section id="faults">/);
  });

  it("bad input is one line and exit 2: no such file, no --trace, an unreadable fault line", () => {
    for (const [args, pattern] of [
      [["replay", "trace.txt", "--faults", "nope.txt"], /nope\.txt: no such faults file/],
      [["compare", "--faults", "dmesg.txt", "--no-json", "--no-html"], /--faults: needs --trace/],
      [["replay", "trace.txt", "--faults", "bad.txt"], /bad\.txt: line 1: names an IOMMU fault but is not in the kernel's format/],
    ] as const) {
      const r = lab(...args);
      assert.equal(r.status, 2, args.join(" "));
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });
});
