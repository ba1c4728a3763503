// SPDX-License-Identifier: GPL-2.0-only
/**
 * Whole-model figures: a trace replayed through every layer (parse, replay bookkeeping, iommu-dma, the
 * engine, the strategy, the buddy, and a hardware probe of every new leaf), and the default scenario's
 * run time per strategy, the unit `compare` pays per strategy.
 */
import { cpuUsage } from "node:process";
import { newSession, runStrategy, scenarioEvents, type LabParams } from "../src/lab/run.ts";
import { builtinScenario, DEFAULT_SCENARIO } from "../src/workload/builtin-scenarios.ts";
import { FtraceParser } from "../src/workload/ftrace.ts";
import { TraceReplayer } from "../src/workload/replay.ts";
import { generateTraceText } from "../src/workload/trace-gen.ts";

const PARAMS: LabParams = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", fitCheck: true, backgroundChurn: 0 };
const EVENTS = 200_000;

function cpuMs(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

export function run(): { name: string; unit: string; value: number }[] {
  const text = generateTraceText({ events: EVENTS, seed: 1 });
  const session = newSession(PARAMS, "slab-dma32", () => 0);
  const t0 = cpuMs();
  const replayer = new TraceReplayer(session.replaySink(), { fileName: "bench" });
  const parser = new FtraceParser({ fileName: "bench" });
  const chunk = 1 << 20;
  for (let at = 0; at < text.length; at += chunk) for (const ev of parser.push(text.slice(at, at + chunk))) replayer.apply(ev);
  for (const ev of parser.end()) replayer.apply(ev);
  const replayMs = cpuMs() - t0;

  const scenario = builtinScenario(DEFAULT_SCENARIO);
  const figures = [{ name: "replay_full_model_events_per_s", unit: `events/CPU-s (${EVENTS / 1000}k-event trace, slab-dma32, v4.19, parse to hardware probe)`, value: (EVENTS / replayMs) * 1000 }];
  for (const strategy of ["slab-dma32", "page-frag", "genalloc-prealloc"]) {
    const s0 = cpuMs();
    runStrategy(PARAMS, strategy, scenarioEvents(scenario, PARAMS.seed), () => 0);
    figures.push({ name: `default_scenario_${strategy}_ms`, unit: "CPU ms (boot with typical background + 8,487 events)", value: cpuMs() - s0 });
  }
  return figures;
}
