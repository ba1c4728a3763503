// SPDX-License-Identifier: GPL-2.0-only
import { eraFlag } from "../options.ts";
import { checkOracle, describeDifference, parseOracle, runOracle } from "../../pgtable/oracle.ts";
import { EXIT_FAILED } from "../errors.ts";
import { readJsonFile } from "../io.ts";

/** `ops <file>`: every case of a v7s-oracle file through the engine, printed or checked. */
export function action(file: string, opts: { check?: boolean; era?: string; warn: boolean }): void {
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
}
