// SPDX-License-Identifier: GPL-2.0-only
/**
 * What changed between two comparison reports (two eras, two kernels, before and after a patch): the run
 * parameters, every per-strategy figure with its delta and ratio, kernel messages that appeared or went,
 * and the 2018 predictions whose verdict flipped. Generic over the report's fields: a figure added to the
 * report later is compared without a change here, and a report of an older schema still diffs on the
 * fields both have.
 */
import { z } from "zod";
import { InputError } from "../core/errors.ts";
import { throwIssues } from "../workload/validation.ts";

export const DIFF_SCHEMA = "iommu-lab/diff/1";

type Scalar = number | boolean | string | null;

/** The parts of a compare report a diff reads; anything else in the file is carried but not required. */
const resultSchema = z.looseObject({ strategy: z.string(), messages: z.array(z.looseObject({ text: z.string(), count: z.number() })).default([]) });
const reportSchema = z.looseObject({
  schema: z.string().regex(/^iommu-lab\/compare\/\d+$/, { message: 'must be "iommu-lab/compare/N": a compare report' }),
  params: z.record(z.string(), z.unknown()),
  platform: z.record(z.string(), z.unknown()).optional(),
  workload: z.record(z.string(), z.unknown()).optional(),
  results: z.array(resultSchema),
  answer: z
    .looseObject({
      best: z.looseObject({ summary: z.string() }).optional(),
      predictions: z.array(z.looseObject({ id: z.string(), holds: z.boolean().nullable() })).default([]),
    })
    .optional(),
});

export type DiffableReport = z.infer<typeof reportSchema>;

export function parseDiffableReport(text: string, name: string): DiffableReport {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, "")) as unknown;
  } catch (err) {
    throw new InputError(name, "", `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const r = reportSchema.safeParse(json);
  if (!r.success) throwIssues(name, r.error.issues, json);
  return r.data;
}

export interface FigureChange {
  /** Dotted path inside the strategy's result (or the params), e.g. "kernelCounters.slabinfo.numSlabs". */
  readonly figure: string;
  readonly a: Scalar;
  readonly b: Scalar;
  /** b - a, for numbers. */
  readonly delta: number | null;
  /** b / a, for numbers with a non-zero a. */
  readonly ratio: number | null;
}

export interface StrategyDiff {
  readonly strategy: string;
  readonly presence: "both" | "only-a" | "only-b";
  readonly changes: readonly FigureChange[];
  readonly messagesAdded: readonly string[];
  readonly messagesRemoved: readonly string[];
}

export interface PredictionDiff {
  readonly id: string;
  readonly a: boolean | null | "absent";
  readonly b: boolean | null | "absent";
  readonly flipped: boolean;
}

export interface ReportDiff {
  readonly schema: typeof DIFF_SCHEMA;
  readonly a: string;
  readonly b: string;
  readonly params: readonly FigureChange[];
  readonly platform: readonly FigureChange[];
  readonly workload: readonly FigureChange[];
  readonly strategies: readonly StrategyDiff[];
  readonly predictions: readonly PredictionDiff[];
  readonly answer: { readonly a: string | null; readonly b: string | null; readonly changed: boolean };
  /** Figures that changed, over every section: the one number a reader looks at first. */
  readonly changedFigures: number;
}

/**
 * Keys that are not figures: names and prose (compared elsewhere or not at all), per-event series and
 * table lists, the freed tables' bins and the boot timeline (too long to diff as scalars; their summaries
 * are figures of their own: freedTables.count, bytes, above4GiB, the L1's table row, domainProbe's attempts
 * and failures), master lists, and wall times.
 */
const SKIP = new Set([
  "strategy",
  "description",
  "messages",
  "samples",
  "tables",
  "bins",
  "boot",
  "withoutIommu",
  "outcome",
  "runTimeMs",
  "label",
  "text",
  "source",
  "evidence",
]);
/** Arrays of at most this many scalars are compared element by element (the occupancy histogram). */
const SHORT_ARRAY = 32;

/** A list element's name in a path: its own name or id where it has one (zones[DMA32]), else its index. */
function elementName(v: unknown, i: number): string {
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o["name"] === "string") return o["name"];
    if (typeof o["id"] === "string") return o["id"];
  }
  return String(i);
}

function flatten(value: unknown, prefix: string, out: Map<string, Scalar>): void {
  if (value === null || typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
    out.set(prefix, value);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length > SHORT_ARRAY) out.set(`${prefix}.length`, value.length);
    else if (value.every((v) => typeof v === "string")) out.set(prefix, value.join(","));
    else value.forEach((v, i) => flatten(v, `${prefix}[${elementName(v, i)}]`, out));
    return;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SKIP.has(k)) continue;
      flatten(v, prefix === "" ? k : `${prefix}.${k}`, out);
    }
  }
}

function changes(a: unknown, b: unknown): FigureChange[] {
  const fa = new Map<string, Scalar>();
  const fb = new Map<string, Scalar>();
  flatten(a, "", fa);
  flatten(b, "", fb);
  const keys = [...fa.keys(), ...[...fb.keys()].filter((k) => !fa.has(k))];
  const out: FigureChange[] = [];
  for (const k of keys) {
    const x = fa.has(k) ? (fa.get(k) as Scalar) : null;
    const y = fb.has(k) ? (fb.get(k) as Scalar) : null;
    if (x === y) continue;
    const numeric = typeof x === "number" && typeof y === "number";
    out.push({ figure: k, a: x, b: y, delta: numeric ? y - x : null, ratio: numeric && x !== 0 ? y / x : null });
  }
  return out;
}

function messageTexts(r: DiffableReport["results"][number] | undefined): Set<string> {
  return new Set((r?.messages ?? []).map((m) => m.text));
}

export function diffReports(a: DiffableReport, b: DiffableReport, names: { readonly a: string; readonly b: string }): ReportDiff {
  const byName = (rs: DiffableReport["results"]) => new Map(rs.map((r) => [r.strategy, r]));
  const ra = byName(a.results);
  const rb = byName(b.results);
  const order = [...ra.keys(), ...[...rb.keys()].filter((k) => !ra.has(k))];
  const strategies: StrategyDiff[] = order.map((s) => {
    const x = ra.get(s);
    const y = rb.get(s);
    const ma = messageTexts(x);
    const mb = messageTexts(y);
    return {
      strategy: s,
      presence: x === undefined ? "only-b" : y === undefined ? "only-a" : "both",
      changes: x !== undefined && y !== undefined ? changes(x, y) : [],
      messagesAdded: [...mb].filter((t) => !ma.has(t)),
      messagesRemoved: [...ma].filter((t) => !mb.has(t)),
    };
  });
  const pa = new Map((a.answer?.predictions ?? []).map((p) => [p.id, p.holds]));
  const pb = new Map((b.answer?.predictions ?? []).map((p) => [p.id, p.holds]));
  const predictions: PredictionDiff[] = [...pa.keys(), ...[...pb.keys()].filter((k) => !pa.has(k))].map((id) => {
    const x = pa.has(id) ? (pa.get(id) as boolean | null) : "absent";
    const y = pb.has(id) ? (pb.get(id) as boolean | null) : "absent";
    return { id, a: x, b: y, flipped: x !== y };
  });
  const params = changes(a.params, b.params);
  const platform = changes(a.platform ?? {}, b.platform ?? {});
  const workload = changes(a.workload ?? {}, b.workload ?? {});
  const answerA = a.answer?.best?.summary ?? null;
  const answerB = b.answer?.best?.summary ?? null;
  const changedFigures =
    params.length +
    platform.length +
    workload.length +
    strategies.reduce((n, s) => n + s.changes.length + (s.presence === "both" ? 0 : 1), 0) +
    predictions.filter((p) => p.flipped).length;
  return {
    schema: DIFF_SCHEMA,
    a: names.a,
    b: names.b,
    params,
    platform,
    workload,
    strategies,
    predictions,
    answer: { a: answerA, b: answerB, changed: answerA !== answerB },
    changedFigures,
  };
}
