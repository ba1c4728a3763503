// SPDX-License-Identifier: GPL-2.0-only
/**
 * `--platform-file FILE`: a platform described in JSON (what `iommu-lab board-import` writes), validated
 * field by field. Every problem is an InputError naming the file, the field path and the rule.
 *
 * {
 *   "schema": "iommu-lab/platform/1",
 *   "name": "my-tomato", "description": "...",
 *   "ram": [{ "start": "0x40000000", "end": "0x240000000" }],   // exclusive ends; hex strings or integers
 *   "cpus": 8,
 *   "basedOn": "mt8195-cherry-8g",          // optional: IOMMU instances, SoC, releases, dma-ranges from a preset
 *   "iommu4gbMode": false, "dmaRangesLimit": null,
 *   "config": { "arch": "arm64", "zoneDma": true, "zoneDma32": true },
 *   "kernel": { "release": "6.6.30", "era": "v6.6" },          // optional, from the boot log
 *   "observedZones": [{ "name": "DMA", "start": "0x40000000", "end": "0x100000000" }],
 *   "memory": { "totalKiB": ..., "availableKiB": ..., "reservedKiB": ..., "cmaReservedKiB": ... },
 *   "startingState": { "buddyinfo": [...], "zoneinfo": [...], "slabinfo": [...] },   // optional, stored for later use
 *   "notes": ["..."]
 * }
 * Fields a preset also has (`cpus`, `iommu4gbMode`, `dmaRangesLimit`, `config`) override the preset's.
 */
import { z } from "zod";
import { isEraName } from "../core/era.ts";
import { InputError } from "../core/errors.ts";
import { isPlatformName, PLATFORM_NAMES, platform as preset, type Platform } from "./platform.ts";

export const PLATFORM_FILE_SCHEMA = "iommu-lab/platform/1";

/** Highest physical address the model (and the v7s MTK extension) reaches: 35 bits. */
const PHYS_LIMIT = 2 ** 35;

const address = z.union([z.number(), z.string()], { error: 'must be an address: an integer or a hex string like "0x40000000"' }).transform((v, ctx) => {
  const n = typeof v === "number" ? v : /^0x[0-9a-f_]+$/i.test(v.trim()) ? Number.parseInt(v.trim().slice(2).replace(/_/g, ""), 16) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > PHYS_LIMIT) {
    ctx.addIssue({ code: "custom", message: `must be an address from 0 to 0x${PHYS_LIMIT.toString(16)} (35 bits), not ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

const pageAddress = address.refine((n) => n % 4096 === 0, { message: "must be a multiple of 4096 (page-aligned)" });

const count = (max: number) =>
  z
    .number({ error: "must be a number" })
    .int({ message: "must be an integer" })
    .min(0, { message: "must not be negative" })
    .max(max, { message: `must be at most ${max}` });

const bank = z.strictObject({ start: pageAddress, end: pageAddress }).refine((b) => b.end > b.start, { message: "end must lie above start", path: ["end"] });

const zoneName = z.enum(["DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"], {
  error: 'must be one of "DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"',
});

export const buddyinfoRow = z.strictObject({
  node: count(1024),
  zone: z.string().min(1),
  free: z
    .array(count(2 ** 40))
    .min(1)
    .max(16),
});
export const zoneinfoRow = z.strictObject({
  node: count(1024),
  zone: z.string().min(1),
  free: count(2 ** 40),
  min: count(2 ** 40),
  low: count(2 ** 40),
  high: count(2 ** 40),
  spanned: count(2 ** 40),
  present: count(2 ** 40),
  managed: count(2 ** 40),
});
export const slabinfoRow = z.strictObject({
  name: z.string().min(1),
  activeObjs: count(2 ** 40),
  numObjs: count(2 ** 40),
  objSize: count(2 ** 30),
  objPerSlab: count(2 ** 20),
  pagesPerSlab: count(2 ** 20),
  activeSlabs: count(2 ** 40),
  numSlabs: count(2 ** 40),
});

export const platformFileSchema = z.strictObject({
  schema: z.literal(PLATFORM_FILE_SCHEMA, { error: `must be "${PLATFORM_FILE_SCHEMA}"` }),
  name: z.string({ error: "must be a string" }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: "must be 1-64 letters, digits, '.', '_' or '-'" }),
  description: z.string().max(300).default("user board"),
  ram: z.array(bank).min(1, { message: "must list at least one RAM bank" }).max(64),
  cpus: z.number().int({ message: "must be an integer" }).min(1, { message: "must be from 1 to 256" }).max(256, { message: "must be from 1 to 256" }),
  basedOn: z.string().optional(),
  iommu4gbMode: z.boolean().optional(),
  dmaRangesLimit: pageAddress.nullable().optional(),
  config: z.strictObject({ arch: z.enum(["arm64", "arm"], { error: 'must be "arm64" or "arm"' }), zoneDma: z.boolean(), zoneDma32: z.boolean() }).optional(),
  kernel: z
    .strictObject({ release: z.string().regex(/^\d+\.\d+(\.\d+)?/, { message: 'must start like "6.6" or "6.6.30"' }), era: z.string().optional() })
    .optional(),
  observedZones: z.array(z.strictObject({ name: zoneName, start: address, end: address })).optional(),
  memory: z.strictObject({ totalKiB: count(2 ** 40), availableKiB: count(2 ** 40), reservedKiB: count(2 ** 40), cmaReservedKiB: count(2 ** 40) }).optional(),
  swiotlb: z.strictObject({ start: address, end: address }).optional(),
  cma: z.array(z.strictObject({ bytes: count(2 ** 40), base: address })).optional(),
  iommuDevices: z.array(z.string()).optional(),
  systemRam: z.array(z.strictObject({ start: address, end: address })).optional(),
  startingState: z
    .strictObject({ buddyinfo: z.array(buddyinfoRow).optional(), zoneinfo: z.array(zoneinfoRow).optional(), slabinfo: z.array(slabinfoRow).optional() })
    .optional(),
  notes: z.array(z.string()).default([]),
});

export type PlatformFileInput = z.input<typeof platformFileSchema>;
export type PlatformFile = z.output<typeof platformFileSchema>;

function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out === "" ? String(k) : `.${String(k)}`;
  return out;
}

/** Validates parsed JSON; the first problem is an InputError naming `fileName`, the field and the rule. */
export function validatePlatformFile(json: unknown, fileName: string): PlatformFile {
  const r = platformFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? "s" : ""})` : "";
    if (issue === undefined) throw new InputError(fileName, "", "is not a platform file");
    const where = pathOf(issue.path as readonly PropertyKey[]);
    const msg =
      issue.code === "unrecognized_keys" ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
    throw new InputError(fileName, where, msg + more);
  }
  const f = r.data;
  const fail = (where: string, problem: string): never => {
    throw new InputError(fileName, where, problem);
  };
  const sorted = [...f.ram].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev !== undefined && cur !== undefined && cur.start < prev.end)
      fail(`ram[${f.ram.indexOf(cur)}]`, `overlaps the bank at 0x${prev.start.toString(16)}-0x${prev.end.toString(16)}`);
  }
  if (f.basedOn !== undefined && !isPlatformName(f.basedOn)) fail("basedOn", `must name a preset (known: ${PLATFORM_NAMES.join(", ")}), not "${f.basedOn}"`);
  if (f.kernel?.era !== undefined && !isEraName(f.kernel.era)) fail("kernel.era", `must be a kernel era of the model, not "${f.kernel.era}"`);
  if (f.swiotlb !== undefined && f.swiotlb.end <= f.swiotlb.start) fail("swiotlb.end", "must lie above start");
  return f;
}

/** Parses and validates platform-file text. */
export function parsePlatformFile(text: string, fileName: string): PlatformFile {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(fileName, "", `not valid JSON (${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").slice(0, 120)})`);
  }
  return validatePlatformFile(json, fileName);
}

/**
 * The Platform a file describes. A `basedOn` preset lends its IOMMU instances, SoC, supported releases,
 * dma-ranges and configuration; the file's own fields win. Without one the board has the model's
 * default M4U.
 */
export function platformFromFile(f: PlatformFile): Platform {
  const base = f.basedOn === undefined ? null : preset(f.basedOn);
  const ram = [...f.ram].sort((a, b) => a.start - b.start).map((b) => ({ start: b.start, end: b.end }));
  const p: Platform = {
    name: f.name,
    description: f.description,
    ram,
    cpus: f.cpus,
    iommu4gbMode: f.iommu4gbMode ?? base?.iommu4gbMode ?? false,
    dmaRangesLimit: f.dmaRangesLimit !== undefined ? f.dmaRangesLimit : (base?.dmaRangesLimit ?? null),
    soc: base?.soc ?? "custom",
    ...(f.config !== undefined ? { config: f.config } : base?.config !== undefined ? { config: base.config } : {}),
    ...(base?.iommus !== undefined ? { iommus: base.iommus } : {}),
    ...(base?.support !== undefined ? { support: base.support } : {}),
    source: `platform file${base === null ? "" : ` based on ${base.name}`}`,
  };
  return p;
}
