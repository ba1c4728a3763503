// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { computeAnswer } from "../../src/analysis/answer.ts";
import { ComparisonReportSchema, parseReportJson, REPORT_JSON_SCHEMA, toJson } from "../../src/report/json.ts";
import { REPO_ROOT } from "../helpers/paths.ts";
import { fixtureReport, fixtureResults } from "../fixtures/report.ts";

/** Every object field path in the schema, e.g. "results[].kernelCounters.slabinfo.activeObjs". */
function fieldPaths(schema: z.ZodType, prefix: string): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodArray) return fieldPaths(s.element as z.ZodType, `${prefix}[]`);
  if (s instanceof z.ZodRecord) return fieldPaths(s.valueType as z.ZodType, `${prefix}{}`);
  if (!(s instanceof z.ZodObject)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) {
    const p = prefix === "" ? k : `${prefix}.${k}`;
    out.push(p, ...fieldPaths(v, p));
  }
  return out;
}

describe("toJson", () => {
  it("is deterministic, 2-space indented, and independent of the producer's key order", () => {
    const a = toJson(fixtureReport());
    assert.equal(toJson(fixtureReport()), a);
    assert.ok(a.startsWith('{\n  "schema": "iommu-lab/compare/2",\n  "tool": {'));
    assert.ok(a.endsWith("}\n"));
    const shuffled = JSON.parse(a, function (_k, v: unknown) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse());
    }) as ReturnType<typeof fixtureReport>;
    assert.notEqual(JSON.stringify(shuffled), JSON.stringify(JSON.parse(a)));
    assert.equal(toJson(shuffled), a);
  });

  it("sorts record keys and validates against the schema", () => {
    const results = fixtureResults().map((r) => (r.strategy === "slab-dma32" ? { ...r, strayDmaVictims: { "vb2-buffer": 2, "audio-dma": 1 } } : r));
    const json = toJson(fixtureReport(results));
    assert.ok(json.indexOf('"audio-dma"') < json.indexOf('"vb2-buffer"'));
    const parsed = ComparisonReportSchema.safeParse(JSON.parse(json));
    assert.ok(parsed.success, parsed.success ? "" : parsed.error.message);
    const round = parseReportJson(json);
    assert.ok(round.ok);
    assert.equal(toJson(round.report), json);
  });

  it("includes the computed answer only when given, and it validates", () => {
    const report = fixtureReport();
    const json = toJson(report, { answer: computeAnswer(report) });
    const data = JSON.parse(json) as { answer?: { predictions: unknown[] } };
    assert.equal(data.answer?.predictions.length, 4);
    assert.ok(ComparisonReportSchema.safeParse(data).success);
    assert.ok(!("answer" in (JSON.parse(toJson(report)) as object)));
  });

  it("refuses non-finite numbers, naming the path", () => {
    const results = fixtureResults().map((r, i) => (i === 1 ? { ...r, runTimeMs: Number.NaN } : r));
    assert.throws(() => toJson(fixtureReport(results)), { name: "RangeError", message: /\$\.results\[1\]\.runTimeMs is NaN/ });
  });

  it("rejects bad shapes with a path", () => {
    const data = JSON.parse(toJson(fixtureReport())) as { results: { peakHeldBytes: unknown }[] };
    const first = data.results[0];
    assert.ok(first);
    first.peakHeldBytes = -1;
    const r = parseReportJson(JSON.stringify(data));
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.problem, /^\$\.results\[0\]\.peakHeldBytes: /);
    assert.match((parseReportJson("{") as { problem: string }).problem, /^not JSON/);
    const extra = { ...JSON.parse(toJson(fixtureReport())), surprise: 1 } as object;
    assert.equal(parseReportJson(JSON.stringify(extra)).ok, false);
  });

  it("exports a JSON Schema that describes the same fields", () => {
    assert.equal(REPORT_JSON_SCHEMA["type"], "object");
    const props = REPORT_JSON_SCHEMA["properties"] as Record<string, unknown>;
    assert.deepEqual(Object.keys(props), ["schema", "tool", "params", "platform", "workload", "results", "answer"]);
    assert.deepEqual(REPORT_JSON_SCHEMA["required"], ["schema", "tool", "params", "platform", "workload", "results"]);
  });

  it("docs/report-schema.md documents every field", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "report-schema.md"), "utf8");
    const missing = fieldPaths(ComparisonReportSchema, "").filter((p) => !doc.includes("`" + p + "`"));
    assert.deepEqual(missing, []);
  });
});
