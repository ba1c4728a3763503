// SPDX-License-Identifier: GPL-2.0-only
/**
 * Whole-model figures: a trace replayed through every layer (parse, replay bookkeeping, iommu-dma, the
 * engine, the strategy, the buddy, and a hardware probe of every new leaf), and the default scenario's
 * run time per strategy, the unit `compare` pays per strategy. Timed by measure.ts (3 runs: these are long).
 */
import { newSession, runStrategy, scenarioEvents, type LabParams } from "../src/lab/run.ts";
import { builtinScenario, DEFAULT_SCENARIO } from "../src/workload/builtin-scenarios.ts";
import { FtraceParser } from "../src/workload/ftrace.ts";
import { TraceReplayer } from "../src/workload/replay.ts";
import { generateTraceText } from "../src/workload/trace-gen.ts";
import { type Figure, measure } from "./measure.ts";

const PARAMS: LabParams = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", fitCheck: true, backgroundChurn: 0 };
const EVENTS = 200_000;
const STRATEGIES = ["slab-dma32", "page-frag", "genalloc-prealloc"] as const;

export async function run(): Promise<Figure[]> {
  const text = generateTraceText({ events: EVENTS, seed: 1 });
  const scenario = builtinScenario(DEFAULT_SCENARIO);
  const t = await measure(
    [
      {
        name: "replay",
        setup: () => {
          const session = newSession(PARAMS, "slab-dma32", () => 0);
          return () => {
            const replayer = new TraceReplayer(session.replaySink(), { fileName: "bench" });
            const parser = new FtraceParser({ fileName: "bench" });
            const chunk = 1 << 20;
            for (let at = 0; at < text.length; at += chunk) for (const ev of parser.push(text.slice(at, at + chunk))) replayer.apply(ev);
            for (const ev of parser.end()) replayer.apply(ev);
            return EVENTS;
          };
        },
      },
      // One run is one whole strategy run (boot included): the unit `compare` pays per strategy.
      ...STRATEGIES.map((strategy) => ({
        name: strategy,
        setup: () => () => {
          runStrategy(PARAMS, strategy, scenarioEvents(scenario, PARAMS.seed), () => 0);
          return 1;
        },
      })),
    ],
    { runs: 3 },
  );
  return [
    {
      name: "replay_full_model_events_per_s",
      unit: `events/CPU-s (${EVENTS / 1000}k-event trace, slab-dma32, v4.19, parse to hardware probe)`,
      value: t.replay.unitsPerSecond,
    },
    ...STRATEGIES.map((s) => ({ name: `default_scenario_${s}_ms`, unit: "CPU ms (boot with typical background + 8,487 events)", value: t[s].cpuMs })),
  ];
}
