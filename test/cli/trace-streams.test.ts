// SPDX-License-Identifier: GPL-2.0-only
/**
 * Traces as users have them: piped (`zcat t.gz | … -`), gzip'd, a FIFO, `<(zcat …)`, a trace.dat, a
 * capture cut mid-line. Each gives the same report as the plain file; only the trace's name differs.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { CLI } from "../helpers/paths.ts";
import { parseFtrace } from "../../src/workload/ftrace.ts";
import { writeTraceDat, type DatItem } from "../../src/workload/tracedat/index.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-streams-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(args: string[], input?: Buffer | string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    cwd: dir,
    env: { ...process.env, CI: "1" },
    ...(input === undefined ? {} : { input }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The report with the trace's name taken out (it is the one thing that differs). */
function normalised(file: string, name: string): string {
  const msgName = name === "-" ? "stdin" : name;
  return readFileSync(join(dir, file), "utf8")
    .replaceAll(`"scenario": ${JSON.stringify(name)}`, '"scenario": "TRACE"')
    .replaceAll(`replay of ${name}"`, 'replay of TRACE"')
    .replaceAll(`replay: ${msgName}:`, "replay: TRACE:");
}

const trace = join(dir, "t.txt");
lab(["trace-gen", "--events", "3000", "--seed", "9", "-o", trace]);
const text = readFileSync(trace);
writeFileSync(join(dir, "t.gz"), gzipSync(text));
writeFileSync(join(dir, "t.bin"), gzipSync(text)); // gzip without the name telling it
const STRAT = ["--strategies", "slab-dma32,page-frag", "--jobs", "2", "--no-html"];

describe("trace inputs as they come", () => {
  const plain = lab(["compare", "--trace", trace, ...STRAT, "--json", "plain.json"]);

  it("the plain file runs and prints its trace-quality line", () => {
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stderr, /t\.txt: trace quality \(ftrace text, [\d.]+–[\d.]+ s, CPUs [\d,]+\)/);
  });

  it("compare --trace - with zcat piped in gives the same report", () => {
    const r = lab(["compare", "--trace", "-", ...STRAT, "--json", "stdin.json"], text);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(normalised("stdin.json", "-"), normalised("plain.json", trace));
    assert.deepEqual(
      readdirSync(tmpdir()).filter((f) => f.startsWith("iommu-lab-spool-")),
      [],
      "the spooled copy is removed",
    );
  });

  for (const f of ["t.gz", "t.bin"]) {
    it(`compare --trace ${f} (gzip by its magic bytes) gives the same report`, () => {
      const r = lab(["compare", "--trace", join(dir, f), ...STRAT, "--json", `${f}.json`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /ftrace text \(gzip\)/);
      assert.equal(normalised(`${f}.json`, join(dir, f)), normalised("plain.json", trace));
    });
  }

  it("compare --trace FIFO reads it once and gives the same report", async () => {
    const fifo = join(dir, "t.fifo");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `cat '${trace}' > '${fifo}'`]);
    const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
      const p = spawn(process.execPath, [CLI, "compare", "--trace", fifo, ...STRAT, "--json", "fifo.json"], { cwd: dir, env: { ...process.env, CI: "1" } });
      let stderr = "";
      p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      p.on("close", (status) => done({ status, stderr }));
    });
    writer.kill();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(normalised("fifo.json", fifo), normalised("plain.json", trace));
  });

  it("replay - and replay t.gz give the same JSON as replay t.txt", () => {
    assert.equal(lab(["replay", trace, "--json", "r-plain.json"]).status, 0);
    assert.equal(lab(["replay", "-", "--json", "r-stdin.json"], gzipSync(text)).status, 0);
    assert.equal(lab(["replay", join(dir, "t.gz"), "--json", "r-gz.json"]).status, 0);
    assert.equal(normalised("r-stdin.json", "-"), normalised("r-plain.json", trace));
    assert.equal(normalised("r-gz.json", join(dir, "t.gz")), normalised("r-plain.json", trace));
  });

  it("replay of a trace whose last line is cut mid-field succeeds and reports the cut line", () => {
    const s = text.toString("utf8");
    const lastMap = s.lastIndexOf("paddr=0x");
    const cut = join(dir, "cut.txt");
    writeFileSync(cut, s.slice(0, lastMap + 12));
    const lines = s.slice(0, lastMap).split("\n").length;
    const r = lab(["replay", cut]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`the last line \\(${lines}\\) is cut off and was skipped`));
  });

  it("a trace.dat gives the same report as its text form", () => {
    const { events } = parseFtrace(text.toString("utf8"));
    const cpus: DatItem[][] = [[]];
    events.forEach((ev, i) => {
      if (ev.type === "iommuMap" || ev.type === "iommuUnmap") cpus[0]!.push({ ts: 1_000_000 + i * 1000, pid: 7, event: ev });
    });
    writeFileSync(join(dir, "t.dat"), writeTraceDat({ version: 7, cpus }));
    const a = lab(["replay", join(dir, "t.dat"), "--json", "dat.json"]);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stderr, /trace quality \(trace\.dat v7/);
    // The record numbers of trace.dat stand where text line numbers stood in messages: compare the results.
    const strip = (f: string): unknown => JSON.parse(readFileSync(join(dir, f), "utf8").replace(/replay: [^"]*/g, "replay")).results;
    assert.deepEqual(strip("dat.json"), strip("r-plain.json"));
  });
});
