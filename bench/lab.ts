// SPDX-License-Identifier: GPL-2.0-only
/**
 * Whole-model figures: a trace replayed through every layer (parse, replay bookkeeping, iommu-dma, the
 * engine, the strategy, the buddy, and a hardware probe of every new leaf), and the default scenario's
 * run time per strategy, the unit `compare` pays per strategy. Timed by measure.ts (3 runs: these are long).
 */
import { runExperimentSync } from "../src/lab/experiment.ts";
import { eventListSource, scenarioSource } from "../src/lab/source.ts";
import { bootSystem } from "../src/lab/system.ts";
import { DEFAULT_MACHINE, variant, type MachineSpec } from "../src/lab/spec.ts";
import { builtinScenario, DEFAULT_SCENARIO } from "../src/workload/builtin-scenarios.ts";
import { FtraceParser } from "../src/workload/ftrace.ts";
import type { TraceEvent } from "../src/workload/events.ts";
import { generateTraceText } from "../src/workload/trace-gen.ts";
import { type Figure, measure } from "./measure.ts";

const MACHINE: MachineSpec = DEFAULT_MACHINE;
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
          const system = bootSystem({ machine: MACHINE, variant: variant("slab-dma32") });
          return () => {
            const parser = new FtraceParser({ fileName: "bench" });
            function* parsed(): Generator<TraceEvent> {
              const chunk = 1 << 20;
              for (let at = 0; at < text.length; at += chunk) yield* parser.push(text.slice(at, at + chunk));
              yield* parser.end();
            }
            runExperimentSync(system, eventListSource(parsed(), { name: "bench", mode: "replay" }));
            return EVENTS;
          };
        },
      },
      // One run is one whole strategy run (boot included): the unit `compare` pays per strategy.
      ...STRATEGIES.map((strategy) => ({
        name: strategy,
        setup: () => () => {
          runExperimentSync({ machine: MACHINE, variant: variant(strategy) }, scenarioSource(scenario, MACHINE.seed));
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
