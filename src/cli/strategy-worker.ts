// SPDX-License-Identifier: GPL-2.0-only
/**
 * Worker-thread entry: runs each StrategyJob posted to it and posts back its StrategyResult (or the
 * error), until the parent closes it. One worker serves many jobs, so the module graph loads once. It
 * imports only what a job needs (the model and the trace reader: no commander, no report layer, no vega).
 */
import { parentPort } from "node:worker_threads";
import { InputError } from "../core/errors.ts";
import { runJob, type StrategyJob } from "./strategy-runner.ts";

parentPort?.on("message", (job: StrategyJob) => {
  runJob(job).then(
    (result) => parentPort?.postMessage({ ok: true, result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      parentPort?.postMessage({
        ok: false,
        error: { name: e.name, message: e.message, stack: e.stack ?? "", input: e instanceof InputError ? e.input : null, where: e instanceof InputError ? e.where : "" },
      });
    },
  );
});

// Every import above has loaded: say so (the parent ignores it; `npm run bench` times worker boot by it).
parentPort?.postMessage({ ready: true });
