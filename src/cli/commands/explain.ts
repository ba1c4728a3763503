// SPDX-License-Identifier: GPL-2.0-only
import { InputError } from "../../core/errors.ts";
import { parseAddress } from "../../core/u32.ts";
import { explainIova } from "../../lab/explain.ts";
import type { Session } from "../../lab/session.ts";
import { integerFlag, loadScenario, runParams, strategyFlag, workloadSource, type RunFlags } from "../options.ts";
import { newSession, scenarioEvents } from "../../lab/run.ts";
import { performance } from "node:perf_hooks";
import { openTrace } from "../trace-input.ts";
import { TraceReplayer } from "../../workload/replay.ts";
import { describeTraceQuality } from "../../workload/trace-quality.ts";

interface ExplainFlags extends RunFlags {
  iova?: string;
  at?: string;
  trace?: string;
  strategy?: string;
  skipMalformed?: boolean;
}

/** `explain --iova ADDR [scenario]`: one IOVA's walk at one moment of a run. */
export async function action(scenarioArg: string | undefined, flags: ExplainFlags): Promise<void> {
  const iova = parseAddress(flags.iova ?? "");
  if (iova === null || iova >= 2 ** 34) throw new InputError("--iova", "", `"${flags.iova}" is not an address below 2^34`);
  const at = flags.at === undefined ? null : integerFlag("--at", flags.at, 0, Number.MAX_SAFE_INTEGER);
  const source = workloadSource(scenarioArg, flags.trace, flags.skipMalformed ?? false);
  const scenario = loadScenario(source);
  const params = runParams(flags, scenario);
  const session: Session = newSession(params, strategyFlag(flags.strategy, "slab-dma32"), () => performance.now());
  let n = 0;
  let where = "the end";
  let quality: string | null = null;
  if (scenario !== null) {
    for (const ev of scenarioEvents(scenario, params.seed)) {
      if (at !== null && n >= at) break;
      if (at === null && ev.type === "phase" && ev.phase === "teardown") {
        where = `event ${n} (the start of teardown)`;
        break;
      }
      session.apply(ev);
      n++;
    }
  } else if (source.kind === "trace") {
    // edges: the trace's IOVAs checked against the M4U's ias; its quality line on stderr after the replay.
    const input = openTrace(source.path, { skipMalformed: source.skipMalformed, progress: "auto" });
    const ias = session.m4u.config.ias;
    const replayer = new TraceReplayer(session.replaySink(), { fileName: input.name, bounds: { iovaBits: ias, iovaSource: `the platform's M4U (ias ${ias})` } });
    outer: for await (const batch of input.batches()) {
      for (const ev of batch) {
        if (at !== null && n >= at) break outer;
        replayer.apply(ev);
        n++;
      }
    }
    quality = describeTraceQuality(input.name, input.quality(replayer.stats));
  }
  if (at !== null) where = `event ${n}`;
  if (quality !== null) process.stderr.write(quality + "\n");
  process.stdout.write(explainIova(session, iova, where).join("\n") + "\n");
}
