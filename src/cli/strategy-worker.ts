// SPDX-License-Identifier: GPL-2.0-only
/** Worker-thread entry: runs the StrategyJob in workerData.job and posts its StrategyResult (or the error). */
import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "../core/errors.ts";
import { runJob, type StrategyJob } from "./strategy-runner.ts";

const job = (workerData as { job: StrategyJob }).job;
try {
  parentPort?.postMessage({ ok: true, result: await runJob(job) });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  parentPort?.postMessage({
    ok: false,
    error: { name: e.name, message: e.message, stack: e.stack ?? "", input: e instanceof InputError ? e.input : null, where: e instanceof InputError ? e.where : "" },
  });
}
