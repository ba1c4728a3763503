// SPDX-License-Identifier: GPL-2.0-only
/**
 * Whole-comparison figures (issue 11):
 * - compare_trace_1m_strategy_events_per_cpu_s: all eight strategies fed from ONE read of a generated
 *   1,000,000-event trace file (openSource + runExperiments, in this thread, as one fan-out lane does),
 *   counted as strategy-events (events x strategies) per CPU-second of this process;
 * - compare_trace_1m_report_json_bytes: the report.json `compare --trace` writes for those results;
 * - compare_default_wall_ms: `iommu-lab compare` (the built CLI, default scenario, both report files)
 *   as a child process, wall clock.
 * Figures only (never asserted): the machine is shared, so compare runs made in one session.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { fileURLToPath } from "node:url";
import { computeAnswer } from "../src/analysis/index.ts";
import { openSource } from "../src/cli/strategy-runner.ts";
import { buildReport, strategyVariants, withoutTiming } from "../src/lab/compare.ts";
import { runExperiments } from "../src/lab/experiment.ts";
import { DEFAULT_MACHINE, DEFAULT_SWITCHES } from "../src/lab/spec.ts";
import { toJson } from "../src/report/json.ts";
import { generateTrace } from "../src/workload/trace-gen.ts";

// BENCH_COMPARE_EVENTS overrides the trace length (a quick check of the bench itself; the figures are for 1M).
const EVENTS = Number(process.env["BENCH_COMPARE_EVENTS"] ?? 1_000_000);
const BIN = fileURLToPath(new URL("../bin/iommu-lab.js", import.meta.url));

function cpuMs(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function run(): Promise<{ name: string; unit: string; value: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), "iommu-lab-bench-"));
  try {
    const path = join(dir, "t1m.trace");
    writeFileSync(path, [...generateTrace({ events: EVENTS, seed: 1 })].join(""));
    const variants = strategyVariants();
    const specs = variants.map((variant) => ({ machine: DEFAULT_MACHINE, variant }));
    const source = { kind: "trace", path, skipMalformed: false } as const;
    const c0 = cpuMs();
    const runs = await runExperiments(specs, openSource(source, DEFAULT_MACHINE.seed));
    const cpu = cpuMs() - c0;
    const results = runs.map((r) => r.result);
    const report = withoutTiming(
      // As `compare` writes it without --views: the kernel views are collected but not kept.
      buildReport(
        { machine: DEFAULT_MACHINE, switches: DEFAULT_SWITCHES, workload: { kind: "trace", name: path }, version: "bench" },
        results.map(({ kernelViews: _views, ...r }) => r),
      ),
    );
    const json = toJson(report, { answer: computeAnswer(report, { variants, switches: DEFAULT_SWITCHES }) });

    const t0 = performance.now();
    const child = spawnSync(process.execPath, [BIN, "compare", "--json", join(dir, "c.json"), "--html", join(dir, "c.html")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const wall = performance.now() - t0;
    if (child.status !== 0) throw new Error(`bench: compare exited ${child.status}: ${child.stderr.toString()}`);
    return [
      {
        name: "compare_trace_1m_strategy_events_per_cpu_s",
        unit: `strategy-events/CPU-s (1M-event trace file x ${specs.length} strategies, one read, v4.19; target >= 700,000)`,
        value: ((EVENTS * specs.length) / cpu) * 1000,
      },
      { name: "compare_trace_1m_report_json_bytes", unit: "bytes of report.json (1M-event trace, 8 strategies, with answer)", value: Buffer.byteLength(json) },
      {
        name: "compare_default_wall_ms",
        unit: "ms wall, `iommu-lab compare` (built CLI, default scenario, json+html; target < 3,000 on a quiet machine)",
        value: wall,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
