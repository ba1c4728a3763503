// SPDX-License-Identifier: GPL-2.0-only
/**
 * The flags several commands share, each declared once with its help text and its default
 * (workload/run-defaults.ts). Declarations only, and cheap to import: no model, no zod, no vega, so
 * `--help` stays fast (commands/index.ts). options.ts validates the values.
 */
import type { Command } from "commander";
import { eraChoices } from "../core/era.ts";
import { BACKGROUND_PRESETS } from "../mm/background.ts";
import { PLATFORM_NAMES } from "../phys/platform.ts";
import { DOMAIN_TIMING_CHOICES, RUN_DEFAULTS } from "../workload/run-defaults.ts";

/** Run flags shared by compare, repro, run, replay and explain, so --help reads the same everywhere. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option("--era <era>", `kernel era, with the releases each stands for: ${eraChoices()}; default: the scenario's, else ${RUN_DEFAULTS.era}`)
    .option("--platform <name>", `platform memory map (${PLATFORM_NAMES.join(", ")}); default: the scenario's`)
    .option("--platform-file <file>", "your own board as a platform JSON file (what board-import writes), instead of --platform")
    .option("--cpus <n>", "present CPUs (SLUB slab geometry, IOVA rcache); default: the platform's")
    .option("--seed <n>", "seed of the workload and the background load; default: the scenario's")
    .option("--background <preset>", `other kernel allocations before the run (${BACKGROUND_PRESETS.join(", ")})`, RUN_DEFAULTS.background)
    .option("--churn <n>", "background allocations and frees interleaved per workload event", String(RUN_DEFAULTS.backgroundChurn))
    .option("--no-fit-check", "model the kernel without the 'Page table does not fit in PTE' check: tables above 4 GiB are installed with truncated pointers")
    .option(
      "--domain-timing <when>",
      `when the IOMMU domain and its L1 table are allocated: ${DOMAIN_TIMING_CHOICES.join(" | ")} (at-probe: while the masters are added at boot, before the background load, as the kernel does; after-background: a driver bound late)`,
      RUN_DEFAULTS.domainTiming,
    )
    .option("--tlb-entries <n>", "entries of the M4U's TLB (fully associative, LRU); default: the model's");
}

/** `--strategy NAME` of the single-strategy commands (run, replay, explain). */
export function addStrategyFlag(cmd: Command): Command {
  return cmd.option("--strategy <name>", "table-memory strategy", RUN_DEFAULTS.strategy);
}

/** `--jobs N` of the comparing commands (compare, repro). */
export function addJobsFlag(cmd: Command): Command {
  return cmd.option("--jobs <n>", "strategies run in parallel worker threads (default: the CPU count)");
}

/** The flags of the single-strategy commands (run, replay). */
export function addOneStrategyFlags(cmd: Command): Command {
  return addStrategyFlag(cmd)
    .option("--json <file>", "write the result as JSON (the compare schema, one strategy)")
    .option("--dump-tables <file>", "write the final page tables (v7s-oracle dump: table pointers masked) as JSON")
    .option("--timing", "include the wall-clock run time in the JSON")
    .option("--no-color", "no ANSI colours");
}

/** The text formats of the commands that print tables (diff adds json). */
export const TEXT_FORMATS = ["terminal", "text", "markdown"] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

/**
 * `--format`, one definition for every command that prints tables: `terminal` is the rich default
 * (within 100 columns), `text` plain ASCII within 72 columns for a mail, `markdown` for a tracker.
 */
export function addFormatFlag(cmd: Command, formats: readonly string[] = TEXT_FORMATS, fallback: string = formats[0] ?? "terminal"): Command {
  return cmd.option("--format <format>", `what to print: ${formats.join(" | ")} (text is ASCII within 72 columns, no timing, for mail)`, fallback);
}

/** `--format`, `--quiet` and `--views` of the comparing and running commands. */
export function addOutputFlags(cmd: Command): Command {
  return addFormatFlag(cmd)
    .option("--quiet", "print only the answer")
    .option("--views <list>", "kernel views of the end state to print and keep in the JSON: slabinfo,buddyinfo,zoneinfo,allocinfo,ptdump (or 'all')");
}

/** `mm`'s machine flags: the same defaults as the run commands, shown by commander. */
export function addMmFlags(cmd: Command): Command {
  return cmd
    .option("--era <era>", `kernel era (${eraChoices()})`, RUN_DEFAULTS.era)
    .option("--platform <name>", `platform memory map (${PLATFORM_NAMES.join(", ")}); default: ${RUN_DEFAULTS.platform}`)
    .option("--platform-file <file>", "your own board as a platform JSON file (what board-import writes), instead of --platform")
    .option("--background <preset>", `background load (${BACKGROUND_PRESETS.join(", ")})`, RUN_DEFAULTS.background)
    .option("--seed <n>", "seed of the background load", String(RUN_DEFAULTS.seed));
}
