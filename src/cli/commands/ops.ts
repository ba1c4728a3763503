// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { ERA_NAMES } from "../../core/era.ts";
import { eraFlag } from "../options.ts";
import { checkOracle, describeDifference, parseOracle, runOracle } from "../../pgtable/oracle.ts";
import { EXIT_FAILED } from "../errors.ts";
import { readJsonFile } from "../io.ts";

export function register(program: Command): void {
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
    .action((file: string, opts: { check?: boolean; era?: string; warn: boolean }) => {
      const doc = parseOracle(readJsonFile(file), file);
      const era = opts.era === undefined ? undefined : eraFlag(opts.era).name;
      const runOpts = era === undefined ? {} : { era };
      if (!opts.check) {
        process.stdout.write(JSON.stringify(runOracle(doc, runOpts).doc) + "\n");
        return;
      }
      const report = checkOracle(doc, { ...runOpts, warn: opts.warn });
      process.stdout.write(`${report.passed}/${report.total} cases pass\n`);
      const first = report.failures[0];
      if (first !== undefined) {
        process.stdout.write(`first difference: ${describeDifference(first)}\n`);
        process.exitCode = EXIT_FAILED;
      }
    });
}
