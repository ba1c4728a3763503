// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs strategy jobs in worker threads, at most `lanes` at a time.
 * Each simulation is a value with no global state, so workers need share nothing.
 *
 * With `fanOut`, the runs asked for together (in one turn of the event loop, as compare asks for all
 * its variants) that share a machine are split into at most `lanes` groups, and each group is one job:
 * its worker reads and parses the trace (or expands the scenario) once and feeds every batch to all of
 * the group's systems. Per event that saves a parse and the replay bookkeeping for every strategy but
 * one per lane; the price is that a group's results arrive together.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InputError } from "../core/errors.ts";
import type { KernelViewName } from "../lab/kernel-views.ts";
import type { RunSpec } from "../lab/spec.ts";
import type { StrategyResult } from "../lab/types.ts";
import type { WorkloadSource } from "./options.ts";
import { runGroup, runJob, type GroupJob, type StrategyJob } from "./strategy-runner.ts";

/** What a worker posts: `ready` once its modules have loaded, then one reply per job. */
type WorkerMessage = { ready: true } | WorkerReply;

interface WorkerReply {
  ok: boolean;
  result?: StrategyResult;
  results?: StrategyResult[];
  error?: { name: string; message: string; stack: string; input: string | null; where: string };
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Up to `lanes` runs at a time, each on a worker thread that serves many runs (the module graph loads
 * once per lane); with one lane, runs go one after another in this thread. `run` is the `runOne` the
 * lab's compare takes.
 */
export interface RunPoolOptions {
  /** Group the runs asked for together over one read of the source per lane (see the file comment). */
  readonly fanOut?: boolean;
  /** Kernel views the command shows: the runs collect only those (all when absent). */
  readonly views?: readonly KernelViewName[];
}

interface Waiting {
  readonly spec: RunSpec;
  readonly resolve: (r: StrategyResult) => void;
  readonly reject: (e: unknown) => void;
}

export class RunPool {
  private readonly lanes: number;
  private readonly source: WorkloadSource;
  private readonly fanOut: boolean;
  private readonly views: { readonly views?: readonly KernelViewName[] };
  private readonly idle: JobWorker[] = [];
  private readonly all: JobWorker[] = [];
  private readonly waiting: (() => void)[] = [];
  private asked: Waiting[] = [];
  private busy = 0;
  private first = true;

  /** `runs`: how many runs will come, so a single one stays in this thread. */
  constructor(lanes: number, runs: number, source: WorkloadSource, options: RunPoolOptions = {}) {
    this.lanes = Math.max(1, Math.min(lanes, runs));
    this.source = source;
    this.fanOut = options.fanOut === true;
    this.views = options.views === undefined ? {} : { views: options.views };
  }

  readonly run = (spec: RunSpec): Promise<StrategyResult> => {
    if (!this.fanOut) return this.job({ spec, source: this.source, ...this.views }).then((r) => r[0] as StrategyResult);
    return new Promise((resolve, reject) => {
      if (this.asked.length === 0) setImmediate(() => this.dispatch());
      this.asked.push({ spec, resolve, reject });
    });
  };

  /** The runs asked for since the last dispatch, by machine, in at most `lanes` round-robin groups each. */
  private dispatch(): void {
    const asked = this.asked;
    this.asked = [];
    const byMachine = new Map<string, Waiting[]>();
    for (const w of asked) {
      const key = JSON.stringify(w.spec.machine);
      const list = byMachine.get(key);
      if (list === undefined) byMachine.set(key, [w]);
      else list.push(w);
    }
    for (const list of byMachine.values()) {
      const n = Math.min(this.lanes, list.length);
      // Round robin keeps the cheap domain-less strategies (listed first and last) on different lanes.
      const groups: Waiting[][] = Array.from({ length: n }, () => []);
      for (let i = 0; i < list.length; i++) groups[i % n]?.push(list[i] as Waiting);
      for (const g of groups) {
        this.job({ specs: g.map((w) => w.spec), source: this.source, ...this.views }).then(
          (results) => {
            for (let i = 0; i < g.length; i++) {
              const r = results[i];
              if (r === undefined) g[i]?.reject(new Error("strategy worker returned too few results"));
              else g[i]?.resolve(r);
            }
          },
          (e: unknown) => {
            for (const w of g) w.reject(e);
          },
        );
      }
    }
  }

  /** One job on a free lane: in this thread with one lane, else on a worker. */
  private async job(asked: StrategyJob | GroupJob): Promise<StrategyResult[]> {
    while (this.busy >= this.lanes) await new Promise<void>((go) => this.waiting.push(go));
    this.busy++;
    try {
      // edges: the first job prints the trace-quality line, once for the comparison.
      const job = this.first ? { ...asked, reportQuality: true } : asked;
      this.first = false;
      if (this.lanes === 1) return "specs" in job ? await runGroup(job) : [await runJob(job)];
      const worker = this.idle.pop() ?? this.spawn();
      try {
        return await worker.run(job);
      } finally {
        this.idle.push(worker);
      }
    } finally {
      this.busy--;
      this.waiting.shift()?.();
    }
  }

  private spawn(): JobWorker {
    const w = new JobWorker();
    this.all.push(w);
    return w;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.close()));
  }
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

  run(job: StrategyJob | GroupJob): Promise<StrategyResult[]> {
    const label = "specs" in job ? job.specs.map((s) => s.variant.label).join(", ") : job.spec.variant.label;
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        if ("ready" in m) return;
        cleanup();
        if (m.ok && m.results !== undefined) resolve(m.results);
        else if (m.ok && m.result !== undefined) resolve([m.result]);
        else reject(revive(m.error));
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(e);
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`strategy worker for ${label} exited with code ${code} before reporting`));
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
