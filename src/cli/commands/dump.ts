// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { ERA_NAMES } from "../../core/era.ts";
import { eraFlag } from "../options.ts";
import { prettyTable } from "../../pgtable/dump.ts";
import { parseOracle, runCase } from "../../pgtable/oracle.ts";
import { readJsonFile } from "../io.ts";

function parseIndex(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new InputError(flag, "", `must be a non-negative integer, got "${text}"`);
  return Number(text);
}

export function register(program: Command): void {
  program
    .command("dump")
    .description("Run one case of a v7s-oracle ops file up to an op and print the page table, one decoded line per entry")
    .argument("<file>", "a v7s-oracle/1 (or +v6.6 / +v4.19) JSON file")
    .option("--case <n>", "case index or name (default 0)", "0")
    .option("--at <op>", "stop before this op index (default: before the final `free`)")
    .option("--era <era>", `run under this kernel era instead of the file's (${ERA_NAMES.join(", ")})`)
    .action((file: string, opts: { case: string; at?: string; era?: string }) => {
      const doc = parseOracle(readJsonFile(file), file);
      let ci = doc.cases.findIndex((c) => c.name === opts.case);
      if (ci < 0) ci = parseIndex(opts.case, "--case");
      const c = doc.cases[ci];
      if (c === undefined) throw new InputError(file, `--case ${opts.case}`, `no such case (the file has ${doc.cases.length})`);
      const freeAt = c.ops.findIndex((o) => o.input.op === "free");
      const at = opts.at === undefined ? (freeAt < 0 ? c.ops.length : freeAt) : parseIndex(opts.at, "--at");
      if (at > c.ops.length) throw new InputError(file, `--at ${at}`, `case ${ci} has only ${c.ops.length} ops`);
      const r = runCase(doc, ci, { stopAt: at, ...(opts.era === undefined ? {} : { era: eraFlag(opts.era).name }) });
      const e = r.engine;
      if (e === null) {
        process.stdout.write(`case ${ci} (${c.name}): alloc failed, no table\n`);
        return;
      }
      if (e.isFreed) {
        process.stdout.write(`case ${ci} (${c.name}): the table was freed before op ${at}\n`);
        return;
      }
      process.stdout.write(`case ${ci} (${c.name}) before op ${at}, era ${e.env.era.name}\n`);
      process.stdout.write(prettyTable(e).join("\n") + "\n");
    });
}
