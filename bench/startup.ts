// SPDX-License-Identifier: GPL-2.0-only
/**
 * Start-up of the shipped package: the compiled CLI run by plain Node (`--version`, `--help`: a process
 * spawned and waited for, wall time), and a strategy worker thread from `new Worker` to its ready
 * message (its module graph loaded), alone and two at once as `compare` starts them. Each figure is the
 * median of 7 reps after a warm-up. Needs dist/ (`npm run bench` builds it first).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const REPS = 7;
const BIN = fileURLToPath(new URL("../bin/iommu-lab.js", import.meta.url));
const WORKER = new URL("../dist/cli/strategy-worker.js", import.meta.url);

async function median(f: () => Promise<number> | number): Promise<number> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) times.push(await f());
  times.sort((a, b) => a - b);
  return times[Math.floor(REPS / 2)] ?? 0;
}

/** Wall time of one `node ARGS` process, from spawn to exit; a failing run is an error, not a figure. */
function nodeMs(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench startup: node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Starts `n` strategy workers together; the time until the last one says it is ready. */
async function workersReadyMs(n: number): Promise<number> {
  const t0 = performance.now();
  const workers = Array.from({ length: n }, () => new Worker(WORKER));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((ready, fail) => {
            w.once("message", (m: unknown) =>
              typeof m === "object" && m !== null && "ready" in m ? ready() : fail(new Error("bench startup: first worker message is not `ready`")),
            );
            w.once("error", fail);
          }),
      ),
    );
    return performance.now() - t0;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function run(): Promise<{ name: string; unit: string; value: number }[]> {
  if (!existsSync(WORKER)) throw new Error("bench startup: dist/ is missing; run `npm run build` first");
  return [
    // Node itself, so a loaded machine shows as such: the CLI's own cost is the difference.
    { name: "startup.node -e 0 (reference)", unit: "ms", value: await median(() => nodeMs(["-e", "0"])) },
    { name: "startup.cli --version (plain node, dist/)", unit: "ms", value: await median(() => nodeMs([BIN, "--version"])) },
    { name: "startup.cli --help", unit: "ms", value: await median(() => nodeMs([BIN, "--help"])) },
    { name: "startup.worker boot (one, until ready)", unit: "ms", value: await median(() => workersReadyMs(1)) },
    { name: "startup.worker boot (two at once, as compare)", unit: "ms", value: await median(() => workersReadyMs(2)) },
  ];
}
