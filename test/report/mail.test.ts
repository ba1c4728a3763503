// SPDX-License-Identifier: GPL-2.0-only
/** Width limits of the text renderers on a report with a long variant label. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeAnswer } from "../../src/analysis/index.ts";
import { fitWidth } from "../../src/report/ascii.ts";
import { renderMailMarkdown, renderMailText } from "../../src/report/mail.ts";
import { renderTerminal } from "../../src/report/terminal.ts";
import { fixtureReport } from "../fixtures/report.ts";

const base = fixtureReport();
const first = base.results[0];
assert.ok(first !== undefined);
const report = { ...base, results: [...base.results, { ...first, strategy: `${first.strategy} (fit check off, domain at-probe)` }] };
const widest = (s: string): number => Math.max(...s.split("\n").map((l) => [...l].length));

describe("text renderers keep their widths", () => {
  it("terminal: 100 columns even with a long label (groups go on in further tables)", () => {
    const t = renderTerminal(report, computeAnswer(report), { color: false });
    assert.ok(widest(t) <= 100, `widest ${widest(t)}`);
    assert.match(t, /\(continued\)/);
  });

  it("mail text: 72 columns, ASCII, no run time; Markdown has every strategy's row", () => {
    const t = renderMailText(report, computeAnswer(report));
    assert.ok(widest(t) <= 72 && /^[\x20-\x7e\n]*$/.test(t));
    assert.doesNotMatch(t, /run ms/);
    const md = renderMailMarkdown(report, computeAnswer(report));
    for (const r of report.results) assert.ok(md.includes(`| ${r.strategy} |`), r.strategy);
  });

  it("fitWidth cuts a line no word wrap can shorten", () => {
    const long = `  ${"x".repeat(100)}`;
    const out = fitWidth(long, 72).split("\n");
    assert.ok(out.every((l) => l.length <= 72));
    assert.equal(out.join("").replace(/ /g, ""), "x".repeat(100));
  });
});
