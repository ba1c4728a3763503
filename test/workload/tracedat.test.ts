// SPDX-License-Identifier: GPL-2.0-only
/**
 * trace.dat v6 and v7 (none, zlib, zstd): the decoder gives the events `trace-cmd report` prints for the
 * same file, in the same order, and the lost-event pages it prints as "[N EVENTS DROPPED]". The files
 * come from our writer (recording needs tracefs, which a test machine may not have) and from
 * `trace-cmd convert` run on them (v6, v7, v7 with trace-cmd's own zstd compression). Debian's trace-cmd is installed by .ci/run; without it those
 * comparisons are skipped and the decoder is checked against the writer only.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { InputError } from "../../src/core/errors.ts";
import { TRACE_DAT_CODECS } from "../../src/cli/trace-input.ts";
import type { TraceEvent } from "../../src/workload/events.ts";
import { FtraceParser, parseFtrace } from "../../src/workload/ftrace.ts";
import { readTraceDat, writeTraceDat, zstdStoredFrame, type DatItem } from "../../src/workload/tracedat/index.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-tracedat-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const haveTraceCmd = spawnSync("trace-cmd", ["--version"]).status !== null && spawnSync("trace-cmd", ["--version"]).error === undefined;
const zlib = (d: Uint8Array): Uint8Array => new Uint8Array(deflateSync(d));

/** Two CPUs, interleaved timestamps, other events, a time extend, a counted and an uncounted loss. */
function corpus(n: number): DatItem[][] {
  const cpu0: DatItem[] = [];
  const cpu1: DatItem[] = [];
  let ts = 5_000_000_000;
  for (let i = 0; i < n; i++) {
    ts += i === n / 2 ? 3_000_000_000 : 700 + (i % 5) * 100;
    const iova = 0x1000_0000 + (i >> 1) * 0x2000;
    const ev: TraceEvent =
      i % 2 === 0
        ? { type: "iommuMap", iova, paddr: 0x4000_0000 + i * 0x1000, size: 8192, line: 0 }
        : { type: "iommuUnmap", iova, size: 8192, unmappedSize: 8192, line: 0 };
    const rec = { ts, pid: 40 + (i % 4), event: ev as Extract<TraceEvent, { type: "iommuMap" | "iommuUnmap" }> };
    (i % 3 === 0 ? cpu1 : cpu0).push(rec);
    if (i % 7 === 0) cpu0.push({ ts: ts + 1, pid: 1, event: null });
    if (i === 100) cpu0.push({ lost: 23 });
    if (i === 200) cpu1.push({ lost: null });
  }
  return [cpu0, cpu1];
}

const strip = (evs: readonly TraceEvent[]): unknown[] => evs.map((e) => ({ ...e, line: 0 }));
const comms = new Map([
  [40, "vdec"],
  [41, "venc"],
  [42, "mdp"],
  [43, "camera"],
  [1, "init"],
]);

function decode(bytes: Uint8Array): { events: TraceEvent[]; stats: FtraceParser["stats"]; version: number; compression: string } {
  const stats = new FtraceParser().stats;
  const d = readTraceDat(bytes, { fileName: "t.dat", codecs: TRACE_DAT_CODECS, stats });
  return { events: d.events, stats, version: d.version, compression: d.compression };
}

function report(file: string): ReturnType<typeof parseFtrace> {
  const text = execFileSync("trace-cmd", ["report", "-i", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 });
  return parseFtrace(text, { fileName: "report" });
}

describe("trace.dat", () => {
  const cpus = corpus(1200);
  const expected = [...cpus[0]!, ...cpus[1]!].filter((x): x is Extract<DatItem, { ts: number }> => "ts" in x && x.event !== null);
  const files = [
    { name: "v6", bytes: writeTraceDat({ version: 6, cpus, comms }) },
    { name: "v7", bytes: writeTraceDat({ version: 7, cpus, comms, format: "range" }) },
    { name: "v7-zlib", bytes: writeTraceDat({ version: 7, cpus, comms, compression: "zlib", compress: zlib }) },
    { name: "v7-zstd", bytes: writeTraceDat({ version: 7, cpus, comms, compression: "zstd", compress: zstdStoredFrame }) },
  ];

  for (const f of files) {
    it(`${f.name}: the decoder gives every iommu record, merged by timestamp, with the losses`, () => {
      const d = decode(f.bytes);
      assert.equal(d.events.length, expected.length);
      const byTs = [...expected].sort((a, b) => a.ts - b.ts).map((r) => r.event as TraceEvent);
      assert.deepEqual(strip(d.events), strip(byTs));
      assert.equal(d.stats.lostEventMarkers, 2);
      assert.equal(d.stats.lostEvents, 23);
      assert.equal(d.stats.lostMarkersWithoutCount, 1);
      assert.deepEqual(d.stats.cpus, [0, 1]);
      assert.equal(d.stats.firstTimestamp, Math.min(...expected.map((r) => r.ts)) / 1e9);
    });

    it(`${f.name}: the same events, in the same order, as \`trace-cmd report\` prints`, {
      skip: (!haveTraceCmd && "trace-cmd not installed") || (f.name === "v7-zlib" && trace_cmd_lacks("zlib")),
    }, () => {
      const file = join(dir, `${f.name}.dat`);
      writeFileSync(file, f.bytes);
      const text = report(file);
      const d = decode(f.bytes);
      assert.deepEqual(strip(d.events), strip(text.events));
      assert.equal(text.stats.lostByForm["dropped-count"], 1);
      assert.equal(text.stats.lostByForm.dropped, 1);
      assert.equal(text.stats.lostEvents, d.stats.lostEvents);
    });
  }

  for (const [what, args] of [
    ["v7 zstd (real zstd frames)", ["--compression", "zstd"]],
    ["v6", ["--file-version", "6"]],
    ["v7 uncompressed", ["--compression", "none"]],
  ] as const) {
    it(`a ${what} file written by \`trace-cmd convert\` decodes to what trace-cmd reports`, {
      skip: (!haveTraceCmd && "trace-cmd not installed") || (args[1] === "zstd" && trace_cmd_lacks("zstd") && "trace-cmd without zstd"),
    }, () => {
      const src = join(dir, "src7.dat");
      writeFileSync(src, files[1]!.bytes);
      const out = join(dir, `conv-${args[1]}.dat`);
      execFileSync("trace-cmd", ["convert", "-i", src, "-o", out, ...args], { stdio: "pipe" });
      const d = decode(new Uint8Array(readFileSync(out)));
      if (args[1] === "zstd") assert.equal(d.compression, "zstd");
      if (args[1] === "6") assert.equal(d.version, 6);
      assert.deepEqual(strip(d.events), strip(report(out).events));
      assert.deepEqual(strip(d.events), strip(decode(files[1]!.bytes).events));
      assert.equal(d.stats.lostEvents, 23);
    });
  }

  it("damaged files are InputErrors, never crashes", () => {
    const base = files[3]!.bytes;
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: base.length }), (at, v, cut) => {
        const b = new Uint8Array(base.subarray(0, Math.max(11, cut)));
        if (at < b.length) b[at] = v;
        try {
          decode(b);
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          assert.ok(!err.message.includes("\n"));
        }
      }),
      { numRuns: 400, seed: 12 },
    );
  });
});

function trace_cmd_lacks(algo: string): boolean {
  if (!haveTraceCmd) return true;
  const r = spawnSync("trace-cmd", ["list", "-c"], { encoding: "utf8" });
  return !(r.stdout ?? "").includes(algo);
}
