// SPDX-License-Identifier: GPL-2.0-only
/** `diff A.json B.json`: what changed between two compare reports, as text, Markdown, JSON or HTML. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { diffReports, parseDiffableReport } from "../../analysis/diff.ts";
import { InputError } from "../../core/errors.ts";
import { diffToJson, renderDiffHtml, renderDiffMarkdown, renderDiffText } from "../../report/diff.ts";
import { planOutputs } from "../io.ts";
import { formatFlag } from "../output.ts";

interface DiffFlags {
  format: string;
  html?: string;
  json?: string;
  exitCode?: boolean;
}

const FORMATS = ["text", "markdown", "json"] as const;

/** `diff A B` (declared in commands/index.ts). */
export async function action(a: string, b: string, flags: DiffFlags): Promise<void> {
  const format = formatFlag(flags.format, FORMATS, "text");
  const out = planOutputs({ inputs: [a, b], outputs: [flags.json, flags.html] });
  try {
    const d = diffReports(read(a), read(b), { a, b });
    if (flags.json !== undefined) out.write(flags.json, diffToJson(d));
    if (flags.html !== undefined) out.write(flags.html, renderDiffHtml(d));
    await out.commit();
    process.stdout.write(format === "json" ? diffToJson(d) : format === "markdown" ? renderDiffMarkdown(d) : renderDiffText(d));
    if (flags.exitCode === true && d.changedFigures > 0) process.exitCode = 1;
  } catch (err) {
    out.abort();
    throw err;
  }
}

function read(path: string) {
  if (!existsSync(path)) throw new InputError(path, "", "no such report file");
  if (statSync(path).isDirectory()) throw new InputError(path, "", "is a directory, not a report file");
  return parseDiffableReport(readFileSync(path, "utf8"), path);
}
