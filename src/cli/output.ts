// SPDX-License-Identifier: GPL-2.0-only
/** What a table-printing command writes to stdout: the terminal view, mail text, Markdown, or only the answer. */
import type { Answer } from "../analysis/index.ts";
import { InputError } from "../core/errors.ts";
import type { ComparisonReport } from "../lab/types.ts";
import { renderMailMarkdown, renderMailText, renderQuiet, type ExtraSection } from "../report/mail.ts";
import { renderTerminal } from "../report/terminal.ts";
import { KERNEL_VIEW_NAMES, kernelViewSections, selectKernelViews, type KernelViewName } from "../report/views.ts";
import { TEXT_FORMATS, type TextFormat } from "./flags.ts";
import { colorWanted } from "./options.ts";

export interface OutputFlags {
  format?: string;
  quiet?: boolean;
  color?: boolean;
  views?: string;
}

/** `--views a,b` checked against the kernel views; "all" is every one. */
export function viewsFlag(value: string | undefined): KernelViewName[] {
  if (value === undefined) return [];
  if (value.trim() === "all") return [...KERNEL_VIEW_NAMES];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const n of names) {
    if (!(KERNEL_VIEW_NAMES as readonly string[]).includes(n))
      throw new InputError("--views", "", `unknown view "${n}" (known: ${KERNEL_VIEW_NAMES.join(", ")})`);
  }
  return [...new Set(names)] as KernelViewName[];
}

/** The report with the asked kernel views only, and their text sections. */
export function withViews(report: ComparisonReport, flags: OutputFlags): { report: ComparisonReport; sections: ExtraSection[] } {
  const views = viewsFlag(flags.views);
  const kept = selectKernelViews(report, views);
  return { report: kept, sections: kernelViewSections(kept, views) };
}

/** `--format VALUE` checked against `formats`; an unknown one is bad input naming the flag. */
export function formatFlag<F extends string>(value: string | undefined, formats: readonly F[], fallback: F): F {
  if (value === undefined) return fallback;
  if (!(formats as readonly string[]).includes(value)) throw new InputError("--format", "", `unknown format "${value}" (known: ${formats.join(", ")})`);
  return value as F;
}

export function textFormat(flags: OutputFlags): TextFormat {
  return formatFlag(flags.format, TEXT_FORMATS, "terminal");
}

/** The report as the flags ask; `sections` (kernel views, attribution) follow the tables. */
export function reportText(report: ComparisonReport, answer: Answer, flags: OutputFlags, sections: readonly ExtraSection[] = []): string {
  const format = textFormat(flags);
  if (flags.quiet === true) return renderQuiet(answer, format === "terminal" ? 100 : 72);
  if (format === "text") return renderMailText(report, answer, { sections });
  if (format === "markdown") return renderMailMarkdown(report, answer, { sections });
  return renderTerminal(report, answer, { color: colorWanted(flags), sections });
}

/** Whether a command prints diagnostics ("wrote FILE") on stderr. */
export function chatty(flags: OutputFlags): boolean {
  return flags.quiet !== true;
}
