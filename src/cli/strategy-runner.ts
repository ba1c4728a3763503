// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs one strategy over one workload source: the scenario's events, or a trace streamed from disk
 * through the replayer (so a trace of any length needs memory for the live state only).
 */
import { performance } from "node:perf_hooks";
import type { TraceSink } from "../dma/trace.ts";
import { newSession, scenarioEvents, type LabParams } from "../lab/run.ts";
import type { Session } from "../lab/session.ts";
import type { StrategyResult } from "../lab/types.ts";
import { TraceReplayer } from "../workload/replay.ts";
import { loadScenario, type WorkloadSource } from "./options.ts";
import { openTrace } from "./trace-input.ts";
import { describeTraceQuality } from "../workload/trace-quality.ts";

export interface StrategyJob {
  readonly params: LabParams;
  readonly strategy: string;
  readonly source: WorkloadSource;
  /** Progress bar for a streamed trace (only the in-process, single-strategy commands ask for one). */
  readonly progress?: boolean;
  /** Print the trace-quality line on stderr (one job of a run asks, so it is printed once). */
  readonly reportQuality?: boolean;
}

const clock = (): number => performance.now();

export async function runJob(job: StrategyJob, trace: TraceSink | null = null, onSession?: (s: Session) => void): Promise<StrategyResult> {
  const scenario = loadScenario(job.source);
  const session = newSession(job.params, job.strategy, clock, trace);
  onSession?.(session);
  if (scenario !== null) {
    for (const ev of scenarioEvents(scenario, job.params.seed)) session.apply(ev);
    return session.result();
  }
  if (job.source.kind !== "trace") throw new TypeError("runJob: a non-trace source without a scenario");
  // edges: a stream spooled once by the command is read from readPath, named as the user gave it.
  const input = openTrace(job.source.readPath ?? job.source.path, {
    skipMalformed: job.source.skipMalformed,
    progress: job.progress ?? false,
    name: job.source.path === "-" ? "stdin" : job.source.path,
  });
  const ias = session.m4u.config.ias;
  const replayer = new TraceReplayer(session.replaySink(), { fileName: input.name, bounds: { iovaBits: ias, iovaSource: `the platform's M4U (ias ${ias})` } });
  for await (const batch of input.batches()) for (const ev of batch) replayer.apply(ev);
  // TraceQuality for the report: input.quality(replayer.stats) (src/workload/trace-quality.ts).
  if (job.reportQuality === true || job.progress === true) process.stderr.write(describeTraceQuality(input.name, input.quality(replayer.stats)) + "\n");
  const st = replayer.stats;
  if (st.unknownUnmaps > 0) session.messages.add(`replay: ${st.unknownUnmaps} unmaps of ranges the trace never mapped (counted, not replayed)`);
  if (input.stats.ftrace.malformed > 0) session.messages.add(`replay: ${input.stats.ftrace.malformed} malformed trace lines skipped`);
  for (const m of st.messages) session.messages.add(`replay: ${m}`);
  return session.result();
}
