// SPDX-License-Identifier: GPL-2.0-only
/**
 * Worker-thread entry: runs each StrategyJob (or GroupJob: several specs over one read of the source)
 * posted to it and posts back its StrategyResult (or the results in order, or the error), until the parent closes it. One worker serves many jobs, so the module graph loads once. It
 * imports only what a job needs (the model and the trace reader: no commander, no report layer, no vega).
 */
import { parentPort } from "node:worker_threads";
import { InputError } from "../core/errors.ts";
import { runGroup, runJob, type GroupJob, type StrategyJob } from "./strategy-runner.ts";

parentPort?.on("message", (job: StrategyJob | GroupJob) => {
  const done = "specs" in job ? runGroup(job).then((results) => ({ ok: true, results })) : runJob(job).then((result) => ({ ok: true, result }));
  done.then(
    (reply) => parentPort?.postMessage(reply),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      parentPort?.postMessage({
        ok: false,
        error: {
          name: e.name,
          message: e.message,
          stack: e.stack ?? "",
          input: e instanceof InputError ? e.input : null,
          where: e instanceof InputError ? e.where : "",
        },
      });
    },
  );
});

// Every import above has loaded: say so (the parent ignores it; `npm run bench` times worker boot by it).
parentPort?.postMessage({ ready: true });
