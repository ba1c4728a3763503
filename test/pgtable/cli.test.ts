// SPDX-License-Identifier: GPL-2.0-only
/** The pgtable commands end to end: exit codes and the lines a user sees. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI, VECTORS_DIR } from "../helpers/paths.ts";

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("iommu-lab pgtable commands", () => {
  const tmp = mkdtempSync(join(tmpdir(), "iommu-lab-pgtable-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const eexist = join(VECTORS_DIR, "latest", "eexist.json");

  it("selftest prints the kernel's line and exits 0", () => {
    const r = run("selftest", "--era", "v4.19");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "arm-v7s io-pgtable: self test ok\n");
  });

  it("ops --check on a vector exits 0", () => {
    const r = run("ops", "--check", eexist);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "1/1 cases pass\n");
  });

  it("ops --check on a corrupted copy exits 1 naming the op", () => {
    const doc = JSON.parse(readFileSync(eexist, "utf8")) as { cases: { ops: { expect: { ret?: number } }[] }[] };
    const op = doc.cases[0]?.ops[3];
    assert.ok(op && op.expect.ret === -17);
    op.expect.ret = 0;
    const bad = join(tmp, "corrupted.json");
    writeFileSync(bad, JSON.stringify(doc));
    const r = run("ops", "--check", bad);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^0\/1 cases pass\n/);
    assert.match(r.stdout, /case 0 \(eexist\) op 3 field ret: expected 0, actual -17/);
  });

  it("a malformed file exits 2 with one line", () => {
    const bad = join(tmp, "malformed.json");
    writeFileSync(
      bad,
      JSON.stringify({
        format: "v7s-oracle/1",
        cases: [
          { name: "x", config: { ias: 32, oas: 32, quirks: 0, pgsize_bitmap: 0, coherent_walk: true, table_phys_base: 0 }, ops: [{ op: "map", iova: -1 }] },
        ],
      }),
    );
    const r = run("ops", bad);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trimEnd().split("\n").length, 1);
    assert.match(r.stderr, /case 0 op 0 field iova/);
  });

  it("ops prints results in the vector format that check clean against the input", () => {
    const r = run("ops", eexist);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { format: string; cases: { ops: { expect: unknown }[] }[] };
    const want = JSON.parse(readFileSync(eexist, "utf8")) as typeof out;
    assert.equal(out.format, "v7s-oracle/1");
    assert.deepEqual(
      out.cases[0]?.ops.map((o) => o.expect),
      want.cases[0]?.ops.map((o) => o.expect),
    );
  });

  it("dump pretty-prints the table of a case", () => {
    const r = run("dump", join(VECTORS_DIR, "latest", "selftest.json"), "--at", "15");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /L1\[0x000\] 0x[0-9a-f]{8} table  l2=0x40004000 NS/);
    assert.match(r.stdout, /L2\[0x00\] 0x00000c7f small  pa=0x0 B C AF UNPRIV TEX=1 S nG XN/);
    assert.match(r.stdout, /L1\[0x030\] 0x030f1c1e supersection pa=0x3000000 .* x16/);
  });
});
