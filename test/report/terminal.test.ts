// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeAnswer } from "../../src/analysis/answer.ts";
import type { ComparisonReport } from "../../src/lab/types.ts";
import { renderTerminal as render, type TerminalOptions } from "../../src/report/terminal.ts";
import { fixtureReport, KiB, withResult } from "../fixtures/report.ts";

/** The terminal text with the answer the analysis computes for it, as the CLI prints it. */
function renderTerminal(r: ComparisonReport, o: TerminalOptions): string {
  return render(r, computeAnswer(r), o);
}

const ANSI = /\x1b\[[0-9;]*m/g;

function rowOf(text: string, strategy: string, after: string): string {
  const start = text.indexOf(after);
  assert.ok(start >= 0, `section ${after} missing`);
  const line = text
    .slice(start)
    .split("\n")
    .find((l) => l.startsWith(strategy + " "));
  assert.ok(line !== undefined, `row ${strategy} missing under ${after}`);
  return line;
}

function cells(row: string): string[] {
  return row.trim().split(/\s{2,}/);
}

describe("renderTerminal", () => {
  const report = fixtureReport();
  const text = renderTerminal(report, { color: false });

  it("starts with the run parameters", () => {
    assert.match(text, /platform  mt8173-elm-4g: MT8173 'elm'/);
    assert.match(text, /era       v4\.19    scenario churn-camera    seed 42    cpus 4    fit check on/);
    assert.match(text, /workload  84 events \(96 maps, 28 unmaps\)/);
    assert.match(text, /zones     DMA32 3 GiB, NORMAL 1 GiB/);
  });

  it("has one row per strategy in every table, with the formatted figures", () => {
    for (const r of report.results) {
      for (const section of ["Memory:", "Correctness and counters", "Kernel counters"]) rowOf(text, r.strategy, section);
    }
    assert.deepEqual(cells(rowOf(text, "genalloc-prealloc", "Memory:")), [
      "genalloc-prealloc",
      "4.02 MiB",
      "4.02 MiB",
      "56 KiB",
      "44 KiB",
      "73.43×",
      "4.02 MiB",
    ]);
    assert.deepEqual(cells(rowOf(text, "page-per-table", "Memory:")), ["page-per-table", "176 KiB", "128 KiB", "56 KiB", "44 KiB", "3.14×", "176 KiB"]);
    assert.deepEqual(cells(rowOf(text, "legacy-gfp-dma", "Correctness and counters")), ["legacy-gfp-dma", "56", "40", "40", "3", "0", "0", "0", "0", "12.5"]);
    assert.deepEqual(cells(rowOf(text, "slab-dma32", "Kernel counters")), ["slab-dma32", "28/32 objs, 2 slabs", "0 B", "0"]);
    assert.deepEqual(cells(rowOf(text, "page-frag", "Kernel counters")), ["page-frag", "–", "0 B", "0"]);
    assert.match(text, /SecPageTables 0 B: v7s tables are not accounted/);
  });

  it("shows – for the overhead when nothing is in use", () => {
    const idle = withResult(report, "slab-dma32", { peakInUseBytes: 0, peakHeldBytes: 16 * KiB });
    assert.equal(cells(rowOf(renderTerminal(idle, { color: false }), "slab-dma32", "Memory:"))[5], "–");
  });

  it("keeps every line within the width, splitting the table", () => {
    for (const l of text.split("\n")) assert.ok(l.length <= 100, `line too long (${l.length}): ${l}`);
    assert.ok(!text.includes("\x1b["), "no colour unless asked");
  });

  it("puts everything in one table when the terminal is wide enough", () => {
    const wide = renderTerminal(report, { color: false, width: 400 });
    assert.ok(!wide.includes("Correctness and counters"));
    assert.deepEqual(cells(rowOf(wide, "legacy-gfp-dma", "strategy")).slice(0, 3), ["legacy-gfp-dma", "16 KiB", "16 KiB"]);
  });

  it("colours failure counts red and nothing else differs from the plain text", () => {
    const colored = renderTerminal(report, { color: true });
    assert.ok(colored.includes("\x1b[31m"));
    const legacy = rowOf(colored, "legacy-gfp-dma", "Correctness and counters");
    assert.equal((legacy.match(/\x1b\[31m/g) ?? []).length, 4, "≥ 4 GiB, alloc fail, map fail, faults");
    assert.ok(!rowOf(colored, "slab-dma32", "Correctness and counters").includes("\x1b[31m"));
    assert.equal(colored.replace(ANSI, ""), text);
  });

  it("lists kernel messages with their counts and ends with the answer", () => {
    assert.match(text, /\(40x\) arm-v7s io-pgtable: Page table does not fit in PTE/);
    assert.match(text, /Answer\n  Best by bytes held: slab-dma32, merged in v5.1/);
    assert.match(text, /\[holds\] legacy GFP_DMA tables/);
  });
});
