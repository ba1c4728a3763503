// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streaming parse of a 1,000,000-event trace file through `openTrace` (1 MiB reads, UTF-8 decoding,
 * FtraceParser), as `replay` / `compare --trace` read one. The file is generated into the OS temp
 * directory first (not timed: generation costs more than parsing) and deleted afterwards.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTrace } from "../src/cli/trace-input.ts";
import { generateTrace } from "../src/workload/trace-gen.ts";

const EVENTS = 1_000_000;
const RUNS = 3;

async function streamOnce(path: string): Promise<number> {
  let n = 0;
  for await (const batch of openTrace(path, { skipMalformed: false, progress: false }).batches()) n += batch.length;
  return n;
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
    let bestMs = Infinity;
    let bestCpuMs = Infinity;
    for (let r = 0; r < RUNS; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const n = await streamOnce(path);
      bestMs = Math.min(bestMs, performance.now() - t0);
      const c = process.cpuUsage(c0);
      bestCpuMs = Math.min(bestCpuMs, (c.user + c.system) / 1000);
      if (n !== EVENTS) throw new Error(`bench trace-input: parsed ${n} events, expected ${EVENTS}`);
    }
    return [
      { name: "trace_stream_parse_events_per_s", unit: "events/s", value: Math.round(EVENTS / (bestMs / 1000)) },
      { name: "trace_stream_parse_mb_per_s", unit: "MB/s", value: bytes / 1e6 / (bestMs / 1000) },
      // Process CPU time (all threads): steadier than wall time on a loaded machine.
      { name: "trace_stream_parse_events_per_cpu_s", unit: "events/CPU-s", value: Math.round(EVENTS / (bestCpuMs / 1000)) },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
