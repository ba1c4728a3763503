import { runStrategy } from "./src/lab/run.ts";
import { builtinScenario } from "./src/workload/builtin-scenarios.ts";
import { expandScenario } from "./src/workload/scenario.ts";
import { countEvents } from "./src/workload/events.ts";
import { Rng } from "./src/core/rng.ts";
const s = builtinScenario("mt8173-video-playback");
console.log(JSON.stringify(countEvents(expandScenario(s))));
for (const [era, strat] of [["v4.19", "slab-dma32"], ["v4.19", "page-per-table"], ["latest", "slab-dma32"]]) {
  const t0 = performance.now(); const c0 = process.cpuUsage();
  const r = runStrategy({ platform: s.platform, era, cpus: null, seed: s.seed, background: "typical", fitCheck: true, backgroundChurn: 0 }, strat, expandScenario(s, new Rng(s.seed)), () => performance.now());
  console.log(era, strat, (performance.now() - t0).toFixed(0), "ms wall", ((process.cpuUsage(c0).user) / 1000).toFixed(0), "ms cpu", "peakL2", Math.max(0, ...r.samples.map((x) => x.liveL2Tables)), "alloc", r.l2TablesAllocated, "freed", r.l2TablesFreed, "mapFail", r.mapFailures, "faults", r.faults, "mism", r.translationMismatches);
}
