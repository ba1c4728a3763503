// SPDX-License-Identifier: GPL-2.0-only
/**
 * Outputs never clobber: devices and FIFOs are written as streams, symlinks stay links, an output equal
 * to an input is refused before the run, a run's files are committed together and a failure or a
 * signal leaves no temporary behind. The /dev cases run as root, as these machines do.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { InputError } from "../../src/core/errors.ts";
import { checkOutputs, parseJsonText, planOutputs } from "../../src/cli/io.ts";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-outputs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

function lab(args: string[], cwd = dir): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sub(name: string): string {
  const d = join(dir, name);
  execFileSync("mkdir", ["-p", d]);
  return d;
}

function throwsInput(f: () => unknown, re: RegExp): void {
  assert.throws(f, (err: unknown) => err instanceof InputError && re.test(err.message));
}

describe("planOutputs", () => {
  it("replaces a regular file atomically and leaves no temporary", async () => {
    const d = sub("regular");
    const p = join(d, "r.json");
    writeFileSync(p, "old");
    const ino = statSync(p).ino;
    const w = planOutputs({ inputs: [], outputs: [p] });
    assert.equal(w.outputs[0]?.kind, "replace");
    w.write(p, "new");
    assert.equal(readFileSync(p, "utf8"), "old", "nothing reaches the file before commit");
    await w.commit();
    assert.equal(readFileSync(p, "utf8"), "new");
    assert.notEqual(statSync(p).ino, ino, "renamed over, not written in place");
    assert.deepEqual(readdirSync(d), ["r.json"]);
  });

  it("follows a symlink to its target's folder: the link stays a link", async () => {
    const d = sub("link");
    const real = sub("link/real");
    writeFileSync(join(real, "t.json"), "old");
    symlinkSync(join(real, "t.json"), join(d, "l.json"));
    const w = planOutputs({ inputs: [], outputs: [join(d, "l.json")] });
    w.write(join(d, "l.json"), "new");
    await w.commit();
    assert.ok(lstatSync(join(d, "l.json")).isSymbolicLink());
    assert.equal(readFileSync(join(real, "t.json"), "utf8"), "new");
    assert.deepEqual(readdirSync(real), ["t.json"]);
  });

  it("a dangling symlink names the new file it points to", async () => {
    const d = sub("dangling");
    symlinkSync("target.json", join(d, "l.json"));
    const w = planOutputs({ inputs: [], outputs: [join(d, "l.json")] });
    w.write(join(d, "l.json"), "x");
    await w.commit();
    assert.ok(lstatSync(join(d, "l.json")).isSymbolicLink());
    assert.equal(readFileSync(join(d, "target.json"), "utf8"), "x");
  });

  it("writes a FIFO as a stream and never replaces it", async () => {
    const d = sub("fifo");
    const f = join(d, "out.fifo");
    execFileSync("mkfifo", [f]);
    const reader = spawn("cat", [f]);
    let got = "";
    reader.stdout.on("data", (b: Buffer) => (got += b.toString()));
    const closed = new Promise((done) => reader.on("close", done));
    const w = planOutputs({ inputs: [], outputs: [f] });
    assert.equal(w.outputs[0]?.kind, "stream");
    w.write(f, "through the pipe\n");
    await w.commit();
    await closed;
    assert.equal(got, "through the pipe\n");
    assert.ok(statSync(f).isFIFO());
  });

  it("refuses an output that is an input: same path, another name through a symlink, a hard link", () => {
    const d = sub("same");
    const input = join(d, "trace.txt");
    writeFileSync(input, "data");
    symlinkSync(input, join(d, "alias.txt"));
    execFileSync("ln", [input, join(d, "hard.txt")]);
    for (const out of [input, join(d, "alias.txt"), join(d, "hard.txt"), join(d, ".", "trace.txt")]) {
      throwsInput(() => checkOutputs({ inputs: [input], outputs: [out] }), /is also an input of this run/);
    }
    throwsInput(() => checkOutputs({ inputs: [], outputs: [join(d, "a"), join(d, "a")] }), /same file as the output/);
    throwsInput(() => checkOutputs({ inputs: [], outputs: ["-", "-"] }), /more than one output/);
    throwsInput(() => checkOutputs({ inputs: [], outputs: [d] }), /is a directory/);
    throwsInput(() => checkOutputs({ inputs: [], outputs: [join(d, "no-dir", "x")] }), /cannot write here/);
    assert.equal(readFileSync(input, "utf8"), "data");
  });

  it("commits all or none: a failing output leaves the other file untouched and no temporary", async () => {
    const d = sub("allornone");
    const a = join(d, "a.json");
    writeFileSync(a, "old-a");
    const w = planOutputs({ inputs: [], outputs: [a, "/dev/full"] });
    w.write(a, "new-a");
    w.write("/dev/full", "x".repeat(10_000));
    await assert.rejects(w.commit(), /\/dev\/full: write failed: No space left on device/);
    assert.equal(readFileSync(a, "utf8"), "old-a");
    assert.deepEqual(readdirSync(d), ["a.json"]);
  });

  it("abort removes every temporary", () => {
    const d = sub("abort");
    const w = planOutputs({ inputs: [], outputs: [join(d, "x"), join(d, "y")] });
    w.write(join(d, "x"), "1");
    w.write(join(d, "y"), "2");
    assert.equal(readdirSync(d).length, 2, "two temporaries staged");
    w.abort();
    assert.deepEqual(readdirSync(d), []);
  });

  it("SIGTERM and SIGINT while staged remove the temporaries and still kill the process", () => {
    const d = sub("signal");
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      const script = `import { planOutputs } from ${JSON.stringify(new URL("../../src/cli/io.ts", import.meta.url).href)};
        const w = planOutputs({ inputs: [], outputs: [${JSON.stringify(join(d, "r.json"))}] });
        w.write(${JSON.stringify(join(d, "r.json"))}, "staged");
        process.kill(process.pid, ${JSON.stringify(sig)});
        setTimeout(() => {}, 5000);`;
      const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
      assert.equal(r.signal, sig, r.stderr);
      assert.deepEqual(readdirSync(d), [], `${sig}: nothing left`);
    }
  });

  it("a UTF-8 byte order mark before JSON is accepted", () => {
    assert.deepEqual(parseJsonText('\ufeff{"a":1}', "x.json"), { a: 1 });
    throwsInput(() => parseJsonText("\ufeff{a", "x.json"), /x\.json: not valid JSON/);
  });
});

describe("commands and outputs (as root)", { skip: !isRoot && "needs root" }, () => {
  const trace = join(dir, "t.txt");
  lab(["trace-gen", "--events", "300", "--seed", "4", "-o", trace]);

  it("--json /dev/stdout prints the JSON and /dev/stdout stays a symlink", () => {
    const r = lab(["replay", trace, "--json", "/dev/stdout"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"schema"|"results"/);
    assert.ok(lstatSync("/dev/stdout").isSymbolicLink());
  });

  it("--json - prints the JSON to stdout and creates no file named -", () => {
    const r = lab(["replay", trace, "--json", "-"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"results"/);
    assert.equal(existsSync(join(dir, "-")), false);
  });

  for (const args of [
    ["replay", "TRACE", "--json", "/dev/full"],
    ["compare", "--trace", "TRACE", "--strategies", "slab-dma32", "--no-html", "--json", "/dev/full"],
    ["trace-gen", "--events", "10", "-o", "/dev/full"],
  ]) {
    it(`${args.join(" ")}: "No space left on device" naming the path, exit 2, /dev/full still a device`, () => {
      const r = lab(args.map((a) => (a === "TRACE" ? trace : a)));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /iommu-lab: \/dev\/full: write failed: No space left on device/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.ok(statSync("/dev/full").isCharacterDevice());
    });
  }

  for (const [args, victim] of [
    [["replay", "TRACE", "--json", "TRACE"], "TRACE"],
    [["compare", "--trace", "TRACE", "--html", "TRACE"], "TRACE"],
    [["run", "SCEN", "--trace-out", "SCEN"], "SCEN"],
  ] as const) {
    it(`${args.join(" ")} is refused with exit 2 before the run and the input unchanged`, () => {
      const scen = join(dir, "s.json");
      writeFileSync(
        scen,
        JSON.stringify({ name: "s", devices: [{ name: "d", buffers: [{ name: "b", api: "alloc", bytes: 4096 }] }], phases: [{ kind: "boot" }] }),
      );
      const map: Record<string, string> = { TRACE: trace, SCEN: scen };
      const before = readFileSync(map[victim] as string);
      const r = lab(args.map((a) => map[a] ?? a));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /is also an input of this run/);
      assert.equal(r.stdout, "", "refused before any work");
      assert.deepEqual(readFileSync(map[victim] as string), before);
    });
  }
});
