// SPDX-License-Identifier: GPL-2.0-only
/** Sweep grids: validation, expansion, shards that partition the grid, and merges that equal one run. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InputError } from "../../src/core/errors.ts";
import {
  buildSweepReport,
  cellKey,
  cellVerdict,
  expandGrid,
  mergeSweepReports,
  parseShard,
  parseSweepGrid,
  shardCells,
  type CellSummary,
  type SweepCellResult,
  type SweepGrid,
} from "../../src/lab/sweep.ts";
import { STRATEGY_NAMES } from "../../src/strategies/index.ts";
import { renderSweepTerminal } from "../../src/report/sweep.ts";

const GRID = { platforms: ["mt8173-elm-4g", "mt8173-elm-2g"], eras: ["v4.19", "v6.6", "latest"], cpus: [2, 4, 8] };

function summary(held: number, over: Partial<CellSummary> = {}): CellSummary {
  return {
    domainCreated: true,
    cpus: 4,
    mapCalls: 10,
    mapFailures: 0,
    allocFailures: 0,
    tablesAbove4GiB: 0,
    tablesAbove4GiBAddressable: false,
    peakHeldBytes: held,
    peakInUseBytes: held,
    l2TablesAllocated: 1,
    faults: 0,
    translationMismatches: 0,
    strayDmaWrites: 0,
    dirtyTables: 0,
    firstMessage: null,
    ...over,
  };
}

function results(grid: SweepGrid): SweepCellResult[] {
  return expandGrid(grid).map((c) => ({ ...c, summary: summary(1024 * (c.index + 1)) }));
}

describe("sweep grids", () => {
  it("fills defaults and expands platforms x eras x cpus x backgrounds x seeds x strategies", () => {
    const g = parseSweepGrid(JSON.stringify(GRID), "grid.json");
    assert.deepEqual(g.workload, { scenario: "mt8173-video-playback" });
    assert.deepEqual(g.strategies, STRATEGY_NAMES);
    const cells = expandGrid(g);
    assert.equal(cells.length, 2 * 3 * 3 * 1 * 1 * STRATEGY_NAMES.length);
    assert.deepEqual(
      cells.map((c) => c.index),
      cells.map((_, i) => i),
    );
    assert.equal(new Set(cells.map((c) => cellKey(c, g.workload))).size, cells.length, "every cell has its own key");
  });

  it("names the field and the rule of a bad grid", () => {
    const bad = (grid: unknown, pattern: RegExp): void =>
      assert.throws(
        () => parseSweepGrid(JSON.stringify(grid), "g.json"),
        (e: unknown) => e instanceof InputError && pattern.test(e.message),
      );
    bad({ ...GRID, platforms: ["pc"] }, /g\.json: platforms\[0\]: must be a known platform/);
    bad({ ...GRID, eras: ["v3.0"] }, /g\.json: eras\[0\]: must be a known era/);
    bad({ ...GRID, cpus: [0] }, /g\.json: cpus\[0\]/);
    bad({ ...GRID, cpus: [2, 2] }, /g\.json: cpus: must not repeat a value/);
    bad({ ...GRID, strategies: ["nope"] }, /strategies/);
    bad({ ...GRID, colour: "red" }, /colour/);
    bad({ ...GRID, workload: { scenario: "no-such-scenario" } }, /workload\.scenario: must be a built-in scenario/);
    assert.throws(() => parseSweepGrid("{ nope", "g.json"), /g\.json: line 1 column 3: not valid JSON/);
  });

  it("parses i/n shards and refuses the rest", () => {
    assert.deepEqual(parseShard("2/5"), { index: 2, count: 5 });
    assert.ok("problem" in parseShard("0/5"));
    assert.ok("problem" in parseShard("6/5"));
    assert.ok("problem" in parseShard("1-2"));
  });

  it("n shards partition the grid exactly, for any n (property)", () => {
    const cells = expandGrid(parseSweepGrid(JSON.stringify(GRID), "g"));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
        const seen = new Map<number, number>();
        for (let i = 1; i <= n; i++) for (const c of shardCells(cells, { index: i, count: n })) seen.set(c.index, (seen.get(c.index) ?? 0) + 1);
        return seen.size === cells.length && [...seen.values()].every((k) => k === 1);
      }),
    );
  });

  it("merged shard reports are byte for byte the unsharded report", () => {
    const g = parseSweepGrid(JSON.stringify(GRID), "g");
    const all = results(g);
    const whole = buildSweepReport(g, null, "t", all);
    const shard = (i: number) => buildSweepReport(g, { index: i, count: 3 }, "t", shardCells(all, { index: i, count: 3 }) as SweepCellResult[]);
    const merged = mergeSweepReports([3, 1, 2].map((i) => ({ name: `s${i}.json`, report: shard(i) })));
    assert.equal(JSON.stringify(merged), JSON.stringify(whole));
    assert.equal(renderSweepTerminal(merged), renderSweepTerminal(whole));
  });

  it("refuses merges that leave cells out, mix grids or disagree", () => {
    const g = parseSweepGrid(JSON.stringify(GRID), "g");
    const all = results(g);
    const s1 = buildSweepReport(g, { index: 1, count: 2 }, "t", shardCells(all, { index: 1, count: 2 }) as SweepCellResult[]);
    assert.throws(() => mergeSweepReports([{ name: "a", report: s1 }]), /cells are in none of the reports \(first: #1 /);
    const other = buildSweepReport({ ...g, seeds: [2] }, null, "t", []);
    assert.throws(
      () =>
        mergeSweepReports([
          { name: "a", report: s1 },
          { name: "b", report: other },
        ]),
      /b: grid: differs from the grid of a/,
    );
    const changed = { ...s1, cells: s1.cells.map((c) => ({ ...c, summary: summary(1) })) };
    assert.throws(
      () =>
        mergeSweepReports([
          { name: "a", report: s1 },
          { name: "b", report: changed },
        ]),
      /b: cells index 0: differs/,
    );
  });

  it("reads each cell's verdict, worst first", () => {
    assert.equal(cellVerdict(summary(1, { domainCreated: false, mapFailures: 3 })), "no-domain");
    assert.equal(cellVerdict(summary(1, { mapFailures: 1 })), "failures");
    assert.equal(cellVerdict(summary(1, { tablesAbove4GiB: 2 })), "above-4g");
    assert.equal(cellVerdict(summary(1, { tablesAbove4GiB: 2, tablesAbove4GiBAddressable: true })), "ok");
    assert.equal(cellVerdict(summary(1, { dirtyTables: 1 })), "wrong-walk");
  });

  it("prints tables no wider than the width, in ASCII", () => {
    const g = parseSweepGrid(JSON.stringify(GRID), "g");
    const text = renderSweepTerminal(buildSweepReport(g, null, "t", results(g)));
    for (const line of text.split("\n")) {
      assert.ok(line.length <= 100, `too wide (${line.length}): ${line}`);
      assert.match(line, /^[\x20-\x7e]*$/, `not ASCII: ${line}`);
    }
  });
});
