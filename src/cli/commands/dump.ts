// SPDX-License-Identifier: GPL-2.0-only
import { InputError } from "../../core/errors.ts";
import { eraFlag } from "../options.ts";
import { prettyTable } from "../../pgtable/dump.ts";
import { parseOracle, runCase } from "../../pgtable/oracle.ts";
import { readJsonFile } from "../io.ts";

function parseIndex(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new InputError(flag, "", `must be a non-negative integer, got "${text}"`);
  return Number(text);
}

/** `dump <file>`: one oracle case up to an op, its page table decoded. */
export function action(file: string, opts: { case: string; at?: string; era?: string }): void {
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
}
