// SPDX-License-Identifier: GPL-2.0-only
/**
 * Trace parsing and replay bookkeeping speed on a generated 1,000,000-event trace (`cat trace` layout,
 * range format): parse alone, then parse + TraceReplayer with a no-op sink. The text is built first, as
 * ~1 MiB chunks that the parser gets one by one, as the CLI streams a file. Timed by measure.ts.
 */
import { Rng } from "../src/core/rng.ts";
import type { TraceEvent } from "../src/workload/events.ts";
import { FtraceParser } from "../src/workload/ftrace.ts";
import { NULL_SINK, TraceReplayer } from "../src/workload/replay.ts";
import { type Figure, measure } from "./measure.ts";

const EVENTS = 1_000_000;

const HEX4: string[] = [];
for (let i = 0; i < 0x10000; i++) HEX4.push(i.toString(16).padStart(4, "0"));

/** %016llx of a value below 2^48, by table (formatTraceEvent is exact but too slow to build 1M lines). */
function hex016(x: number): string {
  const hi = Math.floor(x / 0x1_0000_0000);
  const lo = x >>> 0;
  return `0x0000${HEX4[hi & 0xffff] as string}${HEX4[lo >>> 16] as string}${HEX4[lo & 0xffff] as string}`;
}

/**
 * Maps and unmaps of 4 KiB-1 MiB buffers, at most 2,000 live, each in its own 1 MiB IOVA slot (slots are
 * reused last-freed-first, like the IOVA rcache), in the `cat trace` layout and the range format.
 */
export function generateTraceChunks(events: number, seed = 1): string[] {
  const rng = new Rng(seed);
  const freeSlots: number[] = [];
  for (let slot = 0x100; slot < 0xff8; slot++) freeSlots.push(slot);
  const live: { iova: number; size: number; slot: number }[] = [];
  const chunks: string[] = [];
  let lines: string[] = [];
  let tail = "";
  const heads = [
    "  mtk-vcodec-dec-300     [000] d..1. ",
    "    kworker/u8:2-301     [001] d..1. ",
    "          mdp_wq-302     [002] d..1. ",
    "  surfaceflinger-303     [003] d..1. ",
  ];
  let us = 100_000_000;
  for (let i = 0; i < events; i++) {
    us += 13;
    const ts = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
    const head = heads[i & 3] as string;
    if (live.length > 0 && (live.length >= 2000 || rng.chance(0.45))) {
      const k = rng.int(live.length);
      const b = live[k] as { iova: number; size: number; slot: number };
      live[k] = live[live.length - 1] as { iova: number; size: number; slot: number };
      live.pop();
      freeSlots.push(b.slot);
      lines.push(`${head}${ts}: unmap: IOMMU: iova=${hex016(b.iova)} - ${hex016(b.iova + b.size)} size=${b.size} unmapped_size=${b.size}`);
    } else {
      const size = 4096 << rng.int(9);
      const slot = freeSlots.pop() as number;
      const iova = slot * 0x10_0000;
      live.push({ iova, size, slot });
      const paddr = 0x4000_0000 + rng.int(0x10_0000) * 4096;
      lines.push(`${head}${ts}: map: IOMMU: iova=${hex016(iova)} - ${hex016(iova + size)} paddr=${hex016(paddr)} size=${size}`);
    }
    // About 1 MiB per chunk: joining as we go keeps the intermediate strings short-lived. Each chunk
    // but the last ends 40 characters into a line, as a file read would.
    if (lines.length === 7000 || i === events - 1) {
      const text = tail + lines.join("\n") + "\n";
      lines = [];
      const cut = i === events - 1 ? text.length : text.lastIndexOf("\n", text.length - 2) + 41;
      chunks.push(text.slice(0, cut));
      tail = text.slice(cut);
    }
  }
  return chunks;
}

export function generateTrace(events: number, seed = 1): string {
  return generateTraceChunks(events, seed).join("");
}

function feed(chunks: readonly string[], onEvents: (evs: TraceEvent[]) => void): number {
  const p = new FtraceParser({ fileName: "bench" });
  let n = 0;
  for (const chunk of chunks) {
    const evs = p.push(chunk);
    n += evs.length;
    onEvents(evs);
  }
  const last = p.end();
  onEvents(last);
  return n + last.length;
}

export async function run(): Promise<Figure[]> {
  const text = generateTraceChunks(EVENTS);
  const t = await measure(
    [
      { name: "parse", setup: () => () => feed(text, () => {}) },
      {
        name: "replay",
        setup: () => {
          const rep = new TraceReplayer(NULL_SINK);
          return () => feed(text, (evs) => rep.applyAll(evs));
        },
      },
    ],
    { runs: 3 },
  );
  return [
    { name: "trace_parse_events_per_s", unit: "events/CPU-s", value: Math.round(t.parse.unitsPerSecond) },
    { name: "trace_replay_events_per_s", unit: "events/CPU-s", value: Math.round(t.replay.unitsPerSecond) },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
