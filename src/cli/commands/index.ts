// SPDX-License-Identifier: GPL-2.0-only
/**
 * The command line itself: every command's arguments, flags, defaults and help text, and nothing more.
 * Each command's action lives in commands/<name>.ts and is imported when the command runs, so `--help`
 * and `--version` load only commander and the name lists below (no model run, no zod, no vega).
 */
import type { Command } from "commander";
import { ERA_NAMES } from "../../core/era.ts";
import { STRATEGY_NAMES } from "../../strategies/index.ts";
import { DEFAULT_SCENARIO } from "../../workload/default-scenario.ts";
import { REGRESSION_2018 } from "../../workload/run-defaults.ts";
import { addFormatFlag, addJobsFlag, addMmFlags, addOneStrategyFlags, addOutputFlags, addRunFlags, addStrategyFlag } from "../flags.ts";
import { TRACE_FORMATS, TRACE_LAYOUTS } from "../../workload/trace-gen.ts";

/** A command's action, imported on its first call. */
function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => unknown>): (...args: A) => Promise<void> {
  return async (...args) => {
    const action = await load();
    await action(...args);
  };
}

const SCENARIO_ARGUMENT = `a scenario file or built-in name (default: ${DEFAULT_SCENARIO})`;

function repro(program: Command): void {
  const cmd = program
    .command("repro")
    .description(
      `Reproduce the 2018 MT8173 regression: elm with 4 GiB, Linux ${REGRESSION_2018.era}, background load, ${DEFAULT_SCENARIO}; ` +
        `every strategy, plus ${REGRESSION_2018.extra.strategy} with the fit check off to show what the hardware would do`,
    )
    .option("--json <file>", "also write the results as JSON")
    .option("--html <file>", "also write the HTML report");
  addJobsFlag(cmd).option("--timing", "include wall-clock run times in the JSON").option("--no-color", "no ANSI colours");
  addRunFlags(addOutputFlags(cmd)).action(lazy(() => import("./repro.ts").then((m) => m.action)));
}

const FAULTS_HELP = "with a trace: mtk-iommu fault lines pasted from dmesg (or io_page_fault lines) to attribute to the trace's maps and unmaps";

function compare(program: Command): void {
  const cmd = program
    .command("compare")
    .argument("[scenario]", `${SCENARIO_ARGUMENT}; with --platform P, P's own default scenario`)
    .description("Run one workload against every table-memory strategy; print a table and write report.html and report.json")
    .option("--trace <file>", "replay an ftrace iommu:map/unmap log instead of a scenario ('-' reads stdin)")
    .option("--faults <file>", FAULTS_HELP)
    .option("--strategies <list>", `comma-separated strategies, or 'all' (${STRATEGY_NAMES.join(", ")})`)
    .option(
      "--platforms <list>",
      "comma-separated platforms, or 'all': one table of the strategies across them, each with its own default scenario unless one is named",
    )
    .option("--html <file>", "where to write the HTML report", "report.html")
    .option("--no-html", "do not write the HTML report")
    .option("--json <file>", "where to write the JSON report", "report.json")
    .option("--no-json", "do not write the JSON report");
  addJobsFlag(cmd)
    .option("--skip-malformed", "with --trace: count and skip malformed iommu lines instead of stopping at the first")
    .option("--timing", "include wall-clock run times in the JSON and HTML (they are then no longer byte-identical across runs)")
    .option("--no-color", "no ANSI colours in the terminal table");
  addRunFlags(addOutputFlags(cmd)).action(lazy(() => import("./compare.ts").then((m) => m.action)));
}

function runAndReplay(program: Command): void {
  const run = program
    .command("run")
    .argument("[scenario]", SCENARIO_ARGUMENT)
    .description("Run a scenario against one table-memory strategy and print what it cost")
    .option("--trace-out <file>", "write the iommu:map/unmap tracepoint log the run produces (ftrace text, the era's format)");
  addRunFlags(addOutputFlags(addOneStrategyFlags(run))).action(lazy(() => import("./run.ts").then((m) => m.runAction)));

  const replay = program
    .command("replay")
    .argument("<trace>", "an ftrace log with iommu:map / iommu:unmap events ('cat trace' or 'trace-cmd report' text; '-' reads stdin)")
    .description("Replay a real ftrace iommu log against one strategy and era, streaming it in bounded memory")
    .option("--skip-malformed", "count and skip malformed iommu lines instead of stopping at the first")
    .option("--faults <file>", FAULTS_HELP);
  addRunFlags(addOutputFlags(addOneStrategyFlags(replay))).action(lazy(() => import("./run.ts").then((m) => m.replayAction)));
}

function explain(program: Command): void {
  const cmd = program
    .command("explain")
    .argument("[scenario]", SCENARIO_ARGUMENT)
    .description("Show the walk of one IOVA at one moment: L1 and L2 descriptors decoded, where the L2 table lives, and what the hardware sees")
    .requiredOption("--iova <addr>", "the IOVA (hex 0x… or decimal)")
    .option(
      "--at <when>",
      "stop after N workload events, or with --trace after trace line N (line:N) or at a timestamp (1234.5s); default: before teardown, else the end",
    )
    .option("--trace <file>", "replay an ftrace iommu log instead of a scenario")
    .option("--faults <file>", FAULTS_HELP);
  addStrategyFlag(cmd).option("--skip-malformed", "with --trace: skip malformed iommu lines");
  addRunFlags(cmd).action(lazy(() => import("./explain.ts").then((m) => m.action)));
}

function mm(program: Command): void {
  const cmd = program
    .command("mm")
    .description("Show the kernel memory a run starts from: zones, watermarks, lowmem_reserve and /proc/buddyinfo after the background load");
  addFormatFlag(addMmFlags(cmd)).action(lazy(() => import("./mm.ts").then((m) => m.action)));
}

function platforms(program: Command): void {
  const cmd = program.command("platforms").description("List the platform presets with RAM, CPUs, IOMMU instances, domains and the eras that support each SoC");
  addFormatFlag(cmd).action(lazy(() => import("./platforms.ts").then((m) => m.action)));
}

function boardImport(program: Command): void {
  program
    .command("board-import")
    .argument("<log>", "the kernel boot log (dmesg, journalctl -k -b; '-' reads stdin)")
    .description("Build a --platform-file JSON for your own board from its boot log and, optionally, /proc files")
    .option("-o, --output <file>", "where to write the platform file", "platform.json")
    .option("--iomem <file>", "a copy of /proc/iomem (read as root): System RAM ranges")
    .option("--zoneinfo <file>", "a copy of /proc/zoneinfo: free pages and watermarks per zone")
    .option("--buddyinfo <file>", "a copy of /proc/buddyinfo: free blocks per zone and order")
    .option("--slabinfo <file>", "a copy of /proc/slabinfo (read as root): the slabs that hold v7s L2 tables")
    .option("--name <name>", "the platform's name (default: from the log's Machine model)")
    .action(lazy(() => import("./board-import.ts").then((m) => m.action)));
}

function sweep(program: Command): void {
  const cmd = program.command("sweep").description("Run a grid of platforms x eras x CPU counts x background loads x seeds x strategies; resumable, shardable");
  const outputs = (c: Command): Command =>
    addFormatFlag(c)
      .option("--json <file>", "where to write the JSON report", "sweep.json")
      .option("--no-json", "do not write the JSON report")
      .option("--html <file>", "where to write the HTML report with the grid's heatmap", "sweep.html")
      .option("--no-html", "do not write the HTML report");
  const run = cmd
    .command("run <grid>", { isDefault: true })
    .description("run every cell of GRID (a JSON grid file) not yet in the cache, then write the report")
    .option("--shard <i/n>", "run only shard i of n (cells whose index is i-1 modulo n); join the shards with 'sweep merge'")
    .option("--cache <dir>", "folder of finished cells (default: GRID's name with .cache, beside it)");
  addJobsFlag(outputs(run)).action(lazy(() => import("./sweep.ts").then((m) => m.runAction)));
  outputs(cmd.command("merge <reports...>").description("join the JSON reports of a sweep's shards into one report (terminal, JSON, HTML)")).action(
    lazy(() => import("./sweep.ts").then((m) => m.mergeAction)),
  );
}

const DIFF_FORMATS = ["text", "markdown", "json"] as const;

function diff(program: Command): void {
  const cmd = program
    .command("diff")
    .argument("<a>", "the first compare report (report.json)")
    .argument("<b>", "the second compare report")
    .description("What changed between two compare reports: parameters, every per-strategy figure with deltas and ratios, messages, flipped predictions");
  addFormatFlag(cmd, DIFF_FORMATS, "text")
    .option("--json <file>", "also write the diff as JSON")
    .option("--html <file>", "also write the diff as an HTML page")
    .option("--exit-code", "exit 1 when anything changed, 0 when nothing did")
    .action(lazy(() => import("./diff.ts").then((m) => m.action)));
}

function selftest(program: Command): void {
  program
    .command("selftest")
    .description("Run the kernel's boot-time arm_v7s_do_selftests() against the engine (exit 1 naming the failing step)")
    .option("--era <era>", `kernel era whose selftest and engine to run (${ERA_NAMES.join(", ")})`, "latest")
    .action(lazy(() => import("./selftest.ts").then((m) => m.action)));
}

function ops(program: Command): void {
  program
    .command("ops")
    .description(
      "Run every case of a v7s-oracle ops file (golden-vector format) through the engine and print the results in the same format; " +
        "with --check, compare them with the file's expectations",
    )
    .argument("<file>", "a v7s-oracle/1 (or +v6.6 / +v4.19) JSON file")
    .option("--check", "compare with the file's expectations: print `N/M cases pass`, exit 1 naming the first differing op")
    .option("--era <era>", `run under this kernel era instead of the one the file's format names (${ERA_NAMES.join(", ")})`)
    .option("--no-warn", "with --check, do not compare WARN logs (the vectors call them optional)")
    .action(lazy(() => import("./ops.ts").then((m) => m.action)));
}

function dump(program: Command): void {
  program
    .command("dump")
    .description("Run one case of a v7s-oracle ops file up to an op and print the page table, one decoded line per entry")
    .argument("<file>", "a v7s-oracle/1 (or +v6.6 / +v4.19) JSON file")
    .option("--case <n>", "case index or name (default 0)", "0")
    .option("--at <op>", "stop before this op index (default: before the final `free`)")
    .option("--era <era>", `run under this kernel era instead of the file's (${ERA_NAMES.join(", ")})`)
    .action(lazy(() => import("./dump.ts").then((m) => m.action)));
}

function traceGen(program: Command): void {
  program
    .command("trace-gen")
    .description("Write a synthetic iommu:map/iommu:unmap ftrace of an MT8173-like device mix (deterministic per seed)")
    .requiredOption("--events <n>", "number of map and unmap events")
    .requiredOption("-o, --output <file>", "where to write the trace (`-`: stdout)")
    .option("--seed <s>", "random seed, an integer in [0, 2^32)", "1")
    .option("--format <format>", `tracepoint payload: ${TRACE_FORMATS.join(" (v4.19) | ")}`, "old")
    .option("--layout <layout>", `line layout: ${TRACE_LAYOUTS.join(" (cat trace) | ")} (trace-cmd report)`, "cat")
    .option("--max-live <n>", "live mappings the trace stays below (default 4096)")
    .action(lazy(() => import("./trace-gen.ts").then((m) => m.action)));
}

/** Every command's declaration; the order is the order in --help. */
export const COMMANDS: readonly ((program: Command) => void)[] = [
  repro,
  compare,
  sweep,
  diff,
  runAndReplay,
  explain,
  mm,
  platforms,
  boardImport,
  selftest,
  ops,
  dump,
  traceGen,
];
