// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streaming parse of a 1,000,000-event trace file through `openTrace` (1 MiB reads, UTF-8 decoding,
 * FtraceParser), as `replay` / `compare --trace` read one, alone and with the replayer's bookkeeping. The file is generated into the OS temp
 * directory first (not timed: generation costs more than parsing) and deleted afterwards.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTrace } from "../src/cli/trace-input.ts";
import { NULL_SINK, TraceReplayer } from "../src/workload/replay.ts";
import { generateTrace } from "../src/workload/trace-gen.ts";

const EVENTS = 1_000_000;
const RUNS = 3;

/** Streams the file; with `replay`, every event also goes through the replayer's live-set bookkeeping. */
async function streamOnce(path: string, replay: boolean): Promise<number> {
  let n = 0;
  const replayer = replay ? new TraceReplayer(NULL_SINK, { fileName: path }) : null;
  for await (const batch of openTrace(path, { skipMalformed: false, progress: false }).batches()) {
    if (replayer !== null) for (const ev of batch) if (ev.type !== "iommuFault") replayer.apply(ev);
    n += batch.length;
  }
  return n;
}

/** Best of RUNS: wall ms and process CPU ms. */
async function best(path: string, replay: boolean): Promise<{ ms: number; cpuMs: number }> {
  let ms = Infinity;
  let cpuMs = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const n = await streamOnce(path, replay);
    ms = Math.min(ms, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs = Math.min(cpuMs, (c.user + c.system) / 1000);
    if (n !== EVENTS) throw new Error(`bench trace-input: parsed ${n} events, expected ${EVENTS}`);
  }
  return { ms, cpuMs };
}

export async function run(): Promise<{ name: string; unit: string; value: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), "iommu-lab-bench-"));
  try {
    const path = join(dir, "trace.txt");
    const fd = openSync(path, "w");
    try {
      let pending = "";
      for (const chunk of generateTrace({ events: EVENTS, seed: 1, format: "old", layout: "cat" })) {
        pending += chunk;
        if (pending.length >= 1 << 20) {
          writeSync(fd, pending);
          pending = "";
        }
      }
      writeSync(fd, pending);
    } finally {
      closeSync(fd);
    }
    const bytes = statSync(path).size;
    const parse = await best(path, false);
    const replay = await best(path, true);
    return [
      { name: "trace_stream_parse_events_per_s", unit: "events/s", value: Math.round(EVENTS / (parse.ms / 1000)) },
      { name: "trace_stream_parse_mb_per_s", unit: "MB/s", value: bytes / 1e6 / (parse.ms / 1000) },
      // Process CPU time (all threads): steadier than wall time on a loaded machine.
      { name: "trace_stream_parse_events_per_cpu_s", unit: "events/CPU-s", value: Math.round(EVENTS / (parse.cpuMs / 1000)) },
      {
        name: "trace_stream_replay_events_per_s",
        unit: "events/s (1M-event file: read, parse, replay live-set bookkeeping)",
        value: Math.round(EVENTS / (replay.ms / 1000)),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
