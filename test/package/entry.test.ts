// SPDX-License-Identifier: GPL-2.0-only
/**
 * The CLI's `main` is a function: importing it runs nothing, and calling it returns the exit status
 * (the process entry is cli/bin.ts), so a test can run a command in-process.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../src/cli/main.ts";
import { SELFTEST_OK_LINE } from "../../src/pgtable/selftest.ts";

/**
 * Runs `main(argv)` with the strings it writes to stdout and stderr captured. The test runner's own
 * reports to its parent go through stdout as binary frames meanwhile: those pass on untouched.
 */
async function capture(argv: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { stdout, stderr } = process;
  const saved = [stdout.write, stderr.write] as const;
  const catching = (into: string[], write: typeof stdout.write, stream: NodeJS.WriteStream): typeof stdout.write =>
    ((chunk: string | Uint8Array, ...rest: never[]) =>
      typeof chunk === "string" ? into.push(chunk) > 0 : write.call(stream, chunk, ...rest)) as typeof stdout.write;
  stdout.write = catching(out, saved[0], stdout);
  stderr.write = catching(err, saved[1], stderr);
  try {
    const status = await main(argv);
    return { status, out: out.join(""), err: err.join("") };
  } finally {
    [stdout.write, stderr.write] = saved;
  }
}

test("importing main runs no command; main(['--version']) prints the version and returns 0", async () => {
  assert.equal(process.exitCode, undefined);
  const r = await capture(["--version"]);
  assert.equal(r.status, 0);
  assert.match(r.out, /^\d+\.\d+\.\d+\n$/);
});

test("main runs a lazily loaded command in-process and returns its status", async () => {
  const ok = await capture(["selftest"]);
  assert.equal(ok.status, 0, ok.err);
  assert.equal(ok.out, `${SELFTEST_OK_LINE}\n`);
  const bad = await capture(["selftest", "--era", "v1.0"]);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /--era/);
  assert.equal(bad.err.trim().split("\n").length, 1, "bad input is one line");
});
