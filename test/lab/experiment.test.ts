// SPDX-License-Identifier: GPL-2.0-only
/**
 * The experiment pipeline itself: one source feeding several systems gives each the result it gets
 * alone, stop rules, boot order by domain timing, replay-mode sources, and extra observers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperimentSync, runExperiments } from "../../src/lab/experiment.ts";
import type { LiveMapping, Observer } from "../../src/lab/observers/observer.ts";
import { eventListSource, scenarioEvents, scenarioSource, type AsyncEventSource } from "../../src/lab/source.ts";
import { variant, type MachineSpec, type RunSpec } from "../../src/lab/spec.ts";
import { bootSteps, bootSystem } from "../../src/lab/system.ts";
import { BUILTIN_SCENARIO_SOURCES } from "../../src/workload/builtin-scenarios.ts";
import type { WorkloadEvent } from "../../src/workload/events.ts";
import { validateScenario } from "../../src/workload/scenario.ts";

const machine: MachineSpec = { platform: "mt8173-elm-4g", era: "v4.19", cpus: null, seed: 1, background: "typical", backgroundChurn: 0 };
const base = BUILTIN_SCENARIO_SOURCES["mt8173-video-playback"] as Record<string, unknown>;
const small = validateScenario({ ...base, name: "short-playback", phases: [{ kind: "boot" }, { kind: "steady", frames: 20 }, { kind: "teardown" }] }, "short");
const spec = (strategy: string, fitCheck = true): RunSpec => ({ machine, variant: variant(strategy, { fitCheck }) });

/** The scenario's events as an asynchronous stream of small batches, counting how often it is opened. */
function streamed(events: readonly WorkloadEvent[]): AsyncEventSource & { opened: number } {
  const src = {
    name: "stream",
    mode: "direct" as const,
    opened: 0,
    async *batches(): AsyncGenerator<readonly WorkloadEvent[]> {
      src.opened++;
      for (let i = 0; i < events.length; i += 100) yield events.slice(i, i + 100);
    },
  };
  return src;
}

describe("runExperiments: one source, several systems", () => {
  it("reads the source once and gives each system the result it gets alone", async () => {
    const events = [...scenarioEvents(small, machine.seed)];
    const specs = [spec("slab-dma32"), spec("page-frag"), spec("legacy-gfp-dma", false)];
    const src = streamed(events);
    const together = await runExperiments(specs, src);
    assert.equal(src.opened, 1);
    for (const [i, s] of specs.entries()) {
      const alone = runExperimentSync(s, scenarioSource(small, machine.seed)).result;
      assert.equal(JSON.stringify(together[i]?.result), JSON.stringify(alone), s.variant.label);
    }
    assert.equal(together[2]?.result.strategy, "legacy-gfp-dma (fit check off)");
  });
});

describe("stop rules", () => {
  it("after-events stops after exactly that many source events", () => {
    const run = runExperimentSync(spec("slab-dma32"), scenarioSource(small, 1), { until: { kind: "after-events", events: 250 } });
    assert.deepEqual(run.stop, { reason: "after-events", events: 250 });
  });

  it("before-phase stops at the phase event, which is not executed", () => {
    const events = [...scenarioEvents(small, 1)];
    const teardown = events.findIndex((e) => e.type === "phase" && e.phase === "teardown");
    const run = runExperimentSync(spec("slab-dma32"), scenarioSource(small, 1), { until: { kind: "before-phase", phase: "teardown" } });
    assert.deepEqual(run.stop, { reason: "before-phase", events: teardown });
    assert.ok(run.result.l2Tables > 0, "the steady state's tables are still live");
  });

  it("a source that runs out first ends with reason end", () => {
    const run = runExperimentSync(spec("slab-dma32"), eventListSource([]), { until: { kind: "after-events", events: 5 } });
    assert.deepEqual(run.stop, { reason: "end", events: 0 });
  });
});

describe("the system builder", () => {
  it("orders the boot steps by domain timing", () => {
    assert.deepEqual(bootSteps("after-background"), ["kernel-memory", "background-load", "device-probe"]);
    assert.deepEqual(bootSteps("at-probe"), ["kernel-memory", "device-probe", "background-load"]);
  });

  it("boot is deterministic in its spec: booting the spec again gives the same machine", () => {
    const a = bootSystem(spec("slab-dma32"));
    const b = bootSystem(a.spec);
    assert.ok(a.domain.ok && b.domain.ok);
    assert.equal(a.domain.domain.table.out.pgdPhys, b.domain.domain.table.out.pgdPhys);
    assert.equal(a.km.buddy.buddyinfo(), b.km.buddy.buddyinfo());
  });

  it("at-probe allocates the L1 on the fresh kernel, before the background load takes its memory", () => {
    const late = bootSystem({ machine, variant: variant("slab-dma32", { domainTiming: "after-background" }) });
    const early = bootSystem(spec("slab-dma32"));
    assert.ok(late.domain.ok && early.domain.ok);
    assert.notEqual(early.domain.domain.table.out.pgdPhys, late.domain.domain.table.out.pgdPhys);
    assert.ok(early.km.background.heldPages > 0, "the background still loads after the probe");
    assert.equal(late.spec.variant.label, "slab-dma32 (domain after-background)");
  });

  it("a refused domain is a value with a literal code, and the run reports it", () => {
    const sys = bootSystem(spec("mtk-ttbr-ext"));
    assert.equal(sys.domain.ok, false);
    assert.equal(sys.domain.ok ? null : sys.domain.refusal.code, "quirk-not-in-era");
    const r = runExperimentSync(sys, eventListSource([])).result;
    assert.equal(r.domainCreated, false);
    assert.deepEqual(r.messages.slice(0, 1), [{ text: "mtk-iommu 10205000.iommu: Failed to alloc io pgtable", count: 1 }]);
  });

  it("iovaLimit is the M4U's input address size", () => {
    assert.equal(bootSystem(spec("slab-dma32")).iovaLimit, 2 ** 32);
  });
});

describe("replay-mode sources and observers", () => {
  const map = (iova: number, line: number): WorkloadEvent => ({ type: "iommuMap", iova, paddr: 0x5000_0000, size: 0x1000, line });
  const unmap = (iova: number, line: number): WorkloadEvent => ({ type: "iommuUnmap", iova, size: 0x1000, unmappedSize: 0x1000, line });

  it("a replay source passes through the trace replayer: an unmap of nothing is counted, not executed", () => {
    const events = [map(0x1000_0000, 1), unmap(0x2000_0000, 2), unmap(0x1000_0000, 3)];
    const r = runExperimentSync(spec("slab-dma32"), eventListSource(events, { name: "t", mode: "replay" })).result;
    assert.deepEqual([r.mapCalls, r.unmapCalls], [1, 1]);
    assert.ok(
      r.messages.some((m) => m.text === "replay: 1 unmaps of ranges the trace never mapped (counted, not replayed)"),
      JSON.stringify(r.messages),
    );
    const direct = runExperimentSync(spec("slab-dma32"), eventListSource(events)).result;
    assert.deepEqual([direct.mapCalls, direct.unmapCalls], [1, 2]);
  });

  it("a replay source sets each system's replayer options and sees its counters in quality()", () => {
    const seen: (number | null)[] = [];
    const events = [map(0x1000_0000, 1), unmap(0x2000_0000, 2)];
    const src = {
      ...eventListSource(events, { name: "t", mode: "replay" }),
      replayOptions: (iovaBits: number) => ({ maxMessages: iovaBits === 32 ? 0 : 5 }),
      quality: (stats: { unknownUnmaps: number } | null) => {
        seen.push(stats?.unknownUnmaps ?? null);
        return { malformedLines: 2 };
      },
    };
    const run = runExperimentSync(spec("slab-dma32"), src);
    assert.deepEqual(seen, [1]);
    assert.equal(run.replay?.unknownUnmaps, 1);
    const texts = run.result.messages.map((m) => m.text);
    assert.ok(texts.includes("replay: 2 malformed trace lines skipped"), texts.join("\n"));
    assert.ok(!texts.some((t) => t.startsWith("replay: t: line")), "maxMessages 0 from replayOptions");
  });

  it("an extra observer sees every new mapping, and its output comes back in extras", () => {
    class Count implements Observer<number> {
      n = 0;
      mapped(_m: LiveMapping): void {
        this.n++;
      }
      finish(): number {
        return this.n;
      }
    }
    const run = runExperimentSync(spec("slab-dma32"), eventListSource([map(0x1000_0000, 0), map(0x1000_1000, 0)]), { observers: () => [new Count()] });
    assert.deepEqual(run.extras, [2]);
  });
});
