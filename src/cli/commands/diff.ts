// SPDX-License-Identifier: GPL-2.0-only
/** `diff A.json B.json`: what changed between two compare reports, as text, Markdown, JSON or HTML. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { diffReports, parseDiffableReport } from "../../analysis/diff.ts";
import { InputError } from "../../core/errors.ts";
import { diffToJson, renderDiffHtml, renderDiffMarkdown, renderDiffText } from "../../report/diff.ts";
import { checkWritable, writeFileAtomic } from "../io.ts";
import { formatFlag } from "../output.ts";

interface DiffFlags {
  format: string;
  html?: string;
  json?: string;
  exitCode?: boolean;
}

const FORMATS = ["text", "markdown", "json"] as const;

/** `diff A B` (declared in commands/index.ts). */
export function action(a: string, b: string, flags: DiffFlags): void {
  const format = formatFlag(flags.format, FORMATS, "text");
  for (const out of [flags.json, flags.html]) {
    if (out === undefined) continue;
    checkWritable(out);
    for (const input of [a, b]) if (existsSync(out) && existsSync(input) && statSync(out).ino === statSync(input).ino) throw new InputError(out, "", `is the input ${input}: give another output`);
  }
  const d = diffReports(read(a), read(b), { a, b });
  process.stdout.write(format === "json" ? diffToJson(d) : format === "markdown" ? renderDiffMarkdown(d) : renderDiffText(d));
  if (flags.json !== undefined) writeFileAtomic(flags.json, diffToJson(d));
  if (flags.html !== undefined) writeFileAtomic(flags.html, renderDiffHtml(d));
  if (flags.exitCode === true && d.changedFigures > 0) process.exitCode = 1;
}

function read(path: string) {
  if (!existsSync(path)) throw new InputError(path, "", "no such report file");
  if (statSync(path).isDirectory()) throw new InputError(path, "", "is a directory, not a report file");
  return parseDiffableReport(readFileSync(path, "utf8"), path);
}
