// SPDX-License-Identifier: GPL-2.0-only
/** The answer (computed by the analysis layer) as terminal text and as an HTML fragment. */
import type { Answer, Prediction } from "../analysis/index.ts";
import { esc } from "./escape.ts";
import { wrap } from "./format.ts";

export function verdictLabel(p: Prediction): string {
  return p.holds === true ? "holds" : p.holds === false ? "does not hold" : "not tested";
}

const ANSI = { green: "\x1b[32m", red: "\x1b[31m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

/** Plain-text answer for the terminal, wrapped at `width` columns. */
export function renderAnswerText(answer: Answer, options: { readonly color: boolean; readonly width?: number }): string {
  const width = options.width ?? 100;
  const paint = (code: string, s: string): string => (options.color ? code + s + ANSI.reset : s);
  const lines: string[] = [paint(ANSI.bold, "Answer"), ...wrap(answer.best.summary, width, "  ", "  ")];
  if (answer.best.disqualified.length > 0) lines.push("  Not eligible for best by bytes held:");
  for (const d of answer.best.disqualified) lines.push(...wrap(`${d.strategy}: ${d.reasons.join(", ")}`, width, "  - ", "    "));
  if (answer.predictions.length > 0) {
    lines.push("", paint(ANSI.bold, "Predictions from the 2018 discussion"));
    for (const p of answer.predictions) {
      const label = verdictLabel(p);
      const tag = `[${label}]`;
      const colored = paint(p.holds === true ? ANSI.green : p.holds === false ? ANSI.red : ANSI.dim, tag);
      const head = wrap(p.text, width - tag.length - 3, "", "");
      lines.push(`  ${colored} ${head[0] ?? ""}`);
      for (const more of head.slice(1)) lines.push(" ".repeat(tag.length + 3) + more);
      lines.push(...wrap(p.evidence, width, "      ", "      "));
    }
  }
  return lines.join("\n") + "\n";
}

/** HTML fragment of the answer: a summary paragraph and a list of predictions with verdict badges. */
export function renderAnswerHtml(answer: Answer): string {
  const out: string[] = [`<p class="summary">${esc(answer.best.summary)}</p>`];
  if (answer.best.disqualified.length > 0) {
    out.push(`<p class="lead-in">Not eligible for best by bytes held:</p>`, `<ul class="disqualified">`);
    for (const d of answer.best.disqualified) {
      out.push(`<li data-strategy="${esc(d.strategy)}"><strong>${esc(d.strategy)}</strong>: ${esc(d.reasons.join(", "))}</li>`);
    }
    out.push(`</ul>`);
  }
  if (answer.predictions.length > 0) {
    out.push(`<h3>Predictions from the 2018 discussion</h3>`, `<ol class="predictions">`);
    for (const p of answer.predictions) {
      const cls = p.holds === true ? "holds" : p.holds === false ? "fails" : "untested";
      out.push(
        `<li data-prediction="${esc(p.id)}" data-holds="${p.holds === null ? "null" : String(p.holds)}">` +
          `<span class="verdict ${cls}">${esc(verdictLabel(p))}</span> ` +
          `<span class="claim">${esc(p.text)}</span>` +
          `<span class="evidence">${esc(p.evidence)}</span>` +
          `<span class="source">${esc(p.source)}</span></li>`,
      );
    }
    out.push(`</ol>`);
  }
  return out.join("\n");
}
