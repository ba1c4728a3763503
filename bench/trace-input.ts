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
import { measure, type Figure } from "./measure.ts";

const EVENTS = 1_000_000;

/** Streams the file; with `replay`, every event also goes through the replayer's live-set bookkeeping. */
async function streamOnce(path: string, replay: boolean): Promise<number> {
  let n = 0;
  const replayer = replay ? new TraceReplayer(NULL_SINK, { fileName: path }) : null;
  for await (const batch of openTrace(path, { skipMalformed: false, progress: false }).batches()) {
    if (replayer !== null) for (const ev of batch) replayer.apply(ev);
    n += batch.length;
  }
  return n;
}

/** A streaming run that insists on seeing every event of the file. */
function streamed(path: string, replay: boolean): () => Promise<number> {
  return async () => {
    const n = await streamOnce(path, replay);
    if (n !== EVENTS) throw new Error(`bench trace-input: parsed ${n} events, expected ${EVENTS}`);
    return n;
  };
}

export async function run(): Promise<Figure[]> {
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
    const t = await measure(
      [
        { name: "parse", setup: () => streamed(path, false) },
        { name: "replay", setup: () => streamed(path, true) },
      ],
      { runs: 3 },
    );
    return [
      { name: "trace_stream_parse_events_per_s", unit: "events/CPU-s", value: Math.round(t.parse.unitsPerSecond) },
      { name: "trace_stream_parse_mb_per_s", unit: "MB/CPU-s", value: bytes / 1e6 / (t.parse.cpuMs / 1000) },
      {
        name: "trace_stream_replay_events_per_s",
        unit: "events/CPU-s (1M-event file: read, parse, replay live-set bookkeeping)",
        value: Math.round(t.replay.unitsPerSecond),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
