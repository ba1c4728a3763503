// SPDX-License-Identifier: GPL-2.0-only
/**
 * The machine-readable form of a ComparisonReport: a zod schema (the single description of every field,
 * see docs/report-schema.md), the JSON Schema derived from it, and a deterministic serialiser whose key
 * order is the schema's declaration order, so two runs with the same seed give the same bytes.
 */
import { z } from "zod";
import type { ComparisonReport } from "../lab/types.ts";
import type { Answer } from "../analysis/index.ts";
import { BreakdownSchema, WhereFailedSchema } from "./domains.ts";

const count = z.number().int().nonnegative();
const byteCount = z.number().int().nonnegative();
const physAddr = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 40);

const SampleSchema = z.strictObject({
  event: count.describe("Index of the workload event after which the sample was taken"),
  heldBytes: byteCount.describe("Bytes the strategy held from the page allocator"),
  inUseBytes: byteCount.describe("Bytes of live tables (L1 plus 1 KiB per live L2)"),
  liveL2Tables: count.describe("Live L2 tables"),
});

const TablePlacementSchema = z.strictObject({
  pa: physAddr.describe("Physical address of the table"),
  bytes: byteCount.describe("Table size: 16384 (L1) or 1024 (L2)"),
  level: z.union([z.literal(1), z.literal(2)]).describe("1 for the L1 table, 2 for an L2 table"),
  zone: z.string().describe('"DMA", "DMA32", "NORMAL", or "" outside managed RAM'),
  live: z.boolean().describe("Still live at the end of the run"),
});

const FreedTablesSchema = z.strictObject({
  count: count.describe("Tables freed during the run"),
  bytes: byteCount.describe("Bytes of the freed tables"),
  above4GiB: count.describe("Freed tables that lay at or above 4 GiB"),
  binBytes: byteCount.describe("Width of every bin: 1 MiB, doubled while more than 512 bins would result"),
  bins: z.array(
    z.strictObject({
      start: physAddr.describe("First byte of the bin (inclusive), a multiple of binBytes"),
      end: physAddr.describe("End of the bin (exclusive)"),
      zone: z.string().describe("Zone of the tables counted here"),
      count: count.describe("Tables freed in the bin, each counted at its first byte"),
      bytes: byteCount.describe("Their bytes"),
    }),
  ),
  l1: z.array(TablePlacementSchema).describe("The freed L1 tables themselves, in the order they were freed"),
});

const SlabinfoSchema = z.strictObject({
  name: z.string(),
  activeObjs: count,
  numObjs: count,
  objSize: byteCount,
  objPerSlab: count,
  pagesPerSlab: count,
  activeSlabs: count,
  numSlabs: count,
});

const KernelCountersSchema = z.strictObject({
  slabinfo: SlabinfoSchema.nullable(),
  secPageTablesBytes: byteCount,
  nrIommuPages: count,
});

const BootStepSchema = z.strictObject({
  step: z.enum(["memblock", "buddy", "device-probe", "background", "workload"]).describe("The boot step"),
  timeIndex: count.describe("Position in this run's boot (0 = memblock)"),
  allocated: z.array(
    z.strictObject({
      what: z.string(),
      where: physAddr.nullable(),
      bytes: byteCount,
      zone: z.string().nullable(),
      freed: z.boolean(),
      requestedZone: z.string().nullable(),
    }),
  ),
  messages: z.array(z.string()),
  zonesAtStart: z.array(z.strictObject({ zone: z.string(), freePages: count, low: count, high: count })),
});

const DomainProbeSchema = z.strictObject({
  masters: count,
  attempts: count,
  failures: count,
  succeeded: z.boolean(),
  createdBy: z.string().nullable(),
  createdAtAttempt: count.nullable(),
  withoutIommu: z.array(z.string()),
  outcome: z.string(),
});

const ZoneViewSchema = z.strictObject({
  name: z.string(),
  freePages: count,
  min: count,
  low: count,
  high: count,
  spanned: count,
  present: count,
  managed: count,
  protection: z.array(count),
  freeByOrder: z.array(count),
  boost: count.nullable(),
  promo: count.nullable(),
  cma: count.nullable(),
});

const KernelViewsSchema = z.strictObject({
  slabinfo: z.array(SlabinfoSchema).optional(),
  zones: z.array(ZoneViewSchema).optional(),
  allocinfo: z.array(z.strictObject({ bytes: byteCount, calls: count, file: z.string(), line: count, func: z.string() })).optional(),
  ptdump: z.array(z.strictObject({ iova: physAddr, pa: physAddr, bytes: byteCount, kind: z.string(), attrs: z.string() })).optional(),
});

const iovaAddr = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 36);

const TraceCallSchema = z.strictObject({
  line: count,
  ts: z.number().nonnegative().nullable(),
  iova: iovaAddr,
  size: byteCount,
  paddr: physAddr.nullable(),
});

const FaultAttributionSchema = z.strictObject({
  origin: z.enum(["trace", "dmesg"]),
  line: count,
  timestamp: z.number().nonnegative().nullable(),
  device: z.string(),
  iova: iovaAddr,
  write: z.boolean(),
  evaluatedAt: z.enum(["stream", "timestamp", "end"]),
  afterLine: count,
  lastMap: TraceCallSchema.nullable(),
  lastUnmap: TraceCallSchema.nullable(),
  verdict: z.enum(["unmapped", "stale-tlb", "bad-table-pointer", "invalid-pa", "permission", "mapped"]),
  modelFaults: z.boolean(),
  walkPa: physAddr.nullable(),
  walkFault: z.string().nullable(),
  tlbPa: physAddr.nullable(),
  reason: z.string(),
});

export const StrategyResultSchema = z.strictObject({
  strategy: z.string().min(1),
  description: z.string(),
  capabilities: z.strictObject({
    canShrink: z.boolean(),
    allocatesInAtomicContext: z.boolean(),
    preallocates: z.boolean(),
    tablesAbove4GiBAddressable: z.boolean(),
  }),
  domainCreated: z.boolean(),
  mapCalls: count,
  mapFailures: count,
  unmapCalls: count,
  allocFailures: count,
  l2Tables: count,
  l2TablesAllocated: count,
  l2TablesFreed: count,
  tablesAbove4GiB: count,
  peakHeldBytes: byteCount,
  finalHeldBytes: byteCount,
  peakInUseBytes: byteCount,
  finalInUseBytes: byteCount,
  peakDma32Bytes: byteCount,
  faults: count,
  translationMismatches: count,
  strayDmaWrites: count,
  dirtyTables: count,
  strayDmaVictims: z.record(z.string(), count),
  messages: z.array(z.strictObject({ text: z.string(), count: count })),
  kernelCounters: KernelCountersSchema,
  samples: z.array(SampleSchema),
  tables: z.array(TablePlacementSchema),
  freedTables: FreedTablesSchema,
  l2Occupancy: z.array(count).length(9),
  runTimeMs: z.number().nonnegative().nullable(),
  boot: z.array(BootStepSchema),
  domainProbe: DomainProbeSchema.nullable(),
  kernelViews: KernelViewsSchema.optional(),
  attribution: z
    .array(z.strictObject({ device: z.string(), maps: count, bytesMapped: byteCount, l2TablesCaused: count, peakLiveIovaBytes: byteCount }))
    .optional(),
  breakdown: BreakdownSchema.optional(),
  /** Present only for a replayed trace with device faults (io_page_fault lines, --faults). */
  deviceFaults: z.array(FaultAttributionSchema).optional(),
});

export const PredictionSchema = z.strictObject({
  id: z.string(),
  text: z.string(),
  source: z.string(),
  holds: z.boolean().nullable(),
  evidence: z.string(),
  figures: z.record(z.string(), z.number()),
});

export const AnswerSchema = z.strictObject({
  best: z.strictObject({
    byBytesHeld: z
      .strictObject({
        strategy: z.string(),
        peakHeldBytes: byteCount,
        peakInUseBytes: byteCount,
        runnerUp: z.strictObject({ strategy: z.string(), peakHeldBytes: byteCount }).nullable(),
      })
      .nullable(),
    byFailures: z.strictObject({
      fewest: z.array(z.string()),
      fewestCount: count,
      most: z.strictObject({ strategy: z.string(), count: count }).nullable(),
    }),
    disqualified: z.array(z.strictObject({ strategy: z.string(), reasons: z.array(z.string()) })),
    outsideKernel: z.array(z.strictObject({ strategy: z.string(), provenance: z.enum(["rfc", "hypothetical"]), peakHeldBytes: byteCount, note: z.string() })),
    summary: z.string(),
  }),
  predictions: z.array(PredictionSchema),
  boot: z.strictObject({
    timing: z.array(z.string()),
    devices: z.array(z.strictObject({ strategy: z.string(), outcome: z.string() })),
  }),
  whereFailed: WhereFailedSchema.optional(),
});

export const ComparisonReportSchema = z.strictObject({
  schema: z.literal("iommu-lab/compare/2"),
  tool: z.strictObject({ name: z.string(), version: z.string() }),
  params: z.strictObject({
    scenario: z.string(),
    era: z.string(),
    platform: z.string(),
    cpus: z.number().int().positive(),
    seed: z.number().int(),
    strategies: z.array(z.string()),
    fitCheck: z.boolean(),
    domainTiming: z.enum(["at-probe", "after-background"]),
    tlbEntries: count.positive().optional(),
  }),
  platform: z.strictObject({
    name: z.string(),
    description: z.string(),
    ram: z.array(z.strictObject({ start: physAddr, end: physAddr })),
    zones: z.array(z.strictObject({ name: z.string(), start: physAddr, end: physAddr })),
  }),
  workload: z.strictObject({ events: count, maps: count, unmaps: count, description: z.string() }),
  results: z.array(StrategyResultSchema),
  /** Present only when toJson was asked to include the computed answer. */
  answer: AnswerSchema.optional(),
});

/** JSON Schema (draft 2020-12) of the report file, derived from the zod schema. */
export const REPORT_JSON_SCHEMA: Readonly<Record<string, unknown>> = z.toJSONSchema(ComparisonReportSchema, {
  target: "draft-2020-12",
}) as Record<string, unknown>;

export interface ToJsonOptions {
  /** Append the computed answer (best strategy, predictions) under "answer". */
  readonly answer?: Answer;
}

/** Deterministic JSON: schema key order, 2-space indent, trailing newline. Throws RangeError on a non-finite number. */
export function toJson(report: ComparisonReport, options: ToJsonOptions = {}): string {
  const value = options.answer === undefined ? report : { ...report, answer: options.answer };
  return JSON.stringify(canonical(value, ComparisonReportSchema, []), null, 2) + "\n";
}

/** Parses and validates report JSON; returns the zod error message instead of throwing on a bad shape. */
export function parseReportJson(text: string): { ok: true; report: ComparisonReport } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `not JSON: ${(e as Error).message}` };
  }
  const parsed = ComparisonReportSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = pathText(issue === undefined ? [] : issue.path.map((p) => (typeof p === "number" ? p : String(p))));
    return { ok: false, problem: `${where}: ${issue?.message ?? "invalid"}` };
  }
  const { answer: _answer, ...report } = parsed.data;
  return { ok: true, report: report as ComparisonReport };
}

/** Rebuilds `value` with object keys in the schema's declaration order; record and unknown keys sorted. */
function canonical(value: unknown, schema: z.ZodType | undefined, path: (string | number)[]): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`toJson: ${pathText(path)} is ${value}; JSON numbers must be finite`);
    return Object.is(value, -0) ? 0 : value;
  }
  if (value === null || typeof value !== "object") return value;
  const node = describe(schema);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      out[i] = canonical(value[i], node.element, path);
      path.pop();
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(obj);
  let done = 0;
  if (node.shape !== undefined) {
    for (let i = 0; i < node.keys.length; i++) {
      const k = node.keys[i] as string;
      const v = obj[k];
      if (v === undefined) {
        if (Object.hasOwn(obj, k)) done++;
        continue;
      }
      done++;
      path.push(k);
      out[k] = canonical(v, node.fields[i], path);
      path.pop();
    }
    if (done === keys.length) return out;
  }
  const shape = node.shape;
  const rest = shape === undefined ? keys : keys.filter((k) => !Object.hasOwn(shape, k));
  for (const k of rest.sort()) {
    if (obj[k] === undefined) continue;
    path.push(k);
    out[k] = canonical(obj[k], shape === undefined ? node.element : undefined, path);
    path.pop();
  }
  return out;
}

function pathText(path: readonly (string | number)[]): string {
  return "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

interface SchemaNode {
  /** Object fields in declaration order, when the schema is an object. */
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly keys: readonly string[];
  /** Field schemas, aligned with keys. */
  readonly fields: readonly z.ZodType[];
  /** Element schema of an array, or value schema of a record. */
  readonly element?: z.ZodType;
}

const NODES = new WeakMap<z.ZodType, SchemaNode>();
const NO_SCHEMA: SchemaNode = { keys: [], fields: [] };

/** What canonical needs from a schema node, computed once per schema object (toJson walks big arrays). */
function describe(schema: z.ZodType | undefined): SchemaNode {
  if (schema === undefined) return NO_SCHEMA;
  const cached = NODES.get(schema);
  if (cached !== undefined) return cached;
  let s: z.ZodType = schema;
  while (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  let node: SchemaNode = NO_SCHEMA;
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodType>;
    const keys = Object.keys(shape);
    node = { shape, keys, fields: keys.map((k) => shape[k] as z.ZodType) };
  } else if (s instanceof z.ZodArray) {
    node = { keys: [], fields: [], element: s.element as z.ZodType };
  } else if (s instanceof z.ZodRecord) {
    node = { keys: [], fields: [], element: s.valueType as z.ZodType };
  }
  NODES.set(schema, node);
  return node;
}
