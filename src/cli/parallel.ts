// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs strategy jobs in worker threads, at most `jobs` at a time, and returns results in job order.
 * Each simulation is a value with no global state, so workers need share nothing.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InputError } from "../core/errors.ts";
import type { StrategyResult } from "../lab/types.ts";
import { runJob, type StrategyJob } from "./strategy-runner.ts";

/** What a worker posts: `ready` once its modules have loaded, then one reply per job. */
type WorkerMessage = { ready: true } | WorkerReply;

interface WorkerReply {
  ok: boolean;
  result?: StrategyResult;
  error?: { name: string; message: string; stack: string; input: string | null; where: string };
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export async function runJobs(all: readonly StrategyJob[], jobs: number, onDone: (job: StrategyJob, r: StrategyResult) => void): Promise<StrategyResult[]> {
  if (jobs <= 1 || all.length === 1) {
    const out: StrategyResult[] = [];
    for (const j of all) {
      const r = await runJob(j);
      onDone(j, r);
      out.push(r);
    }
    return out;
  }
  const results = new Array<StrategyResult | undefined>(all.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    const worker = new JobWorker();
    try {
      while (next < all.length) {
        const i = next++;
        const job = all[i] as StrategyJob;
        const r = await worker.run(job);
        results[i] = r;
        onDone(job, r);
      }
    } finally {
      await worker.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, all.length) }, lane));
  return results.map((r) => {
    if (r === undefined) throw new Error("runJobs: a job produced no result");
    return r;
  });
}

/**
 * A worker thread running strategy-worker, of the same kind as this module: the compiled JavaScript in
 * the package; the .ts source when the sources run under tsx (tests, `npm run lab`). Node 20 does not
 * carry the main thread's `--import tsx` loader into a worker, so that worker registers tsx itself first.
 */
export function startStrategyWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./strategy-worker.js", import.meta.url));
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(new URL("./strategy-worker.ts", import.meta.url).href);
  return new Worker(`import(${tsx}).then((m) => { m.register(); return import(${entry}); });`, { eval: true });
}

/** One worker thread that runs jobs one at a time. */
class JobWorker {
  private readonly worker = startStrategyWorker();

  run(job: StrategyJob): Promise<StrategyResult> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        if ("ready" in m) return;
        cleanup();
        if (m.ok && m.result !== undefined) resolve(m.result);
        else reject(revive(m.error));
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(e);
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`strategy worker for ${job.strategy} exited with code ${code} before reporting`));
      };
      const cleanup = (): void => {
        this.worker.off("message", onMessage);
        this.worker.off("error", onError);
        this.worker.off("exit", onExit);
      };
      this.worker.on("message", onMessage);
      this.worker.on("error", onError);
      this.worker.on("exit", onExit);
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Errors cross the thread boundary as data; rebuild the kinds the CLI reports as bad input. */
function revive(e: WorkerReply["error"]): Error {
  if (e === undefined) return new Error("strategy worker failed without an error");
  if (e.name === "InputError" && e.input !== null) {
    const err = new InputError(e.input, e.where, "");
    err.message = e.message;
    return err;
  }
  const err = e.name === "RangeError" ? new RangeError(e.message) : e.name === "TypeError" ? new TypeError(e.message) : new Error(e.message);
  err.stack = e.stack;
  return err;
}
