// SPDX-License-Identifier: GPL-2.0-only
/**
 * Scenario files (JSON): which devices run, in which phases, with which seed. A bad file gives one
 * InputError naming the field path and the rule, e.g. `devices[1].buffers[0].bytes: must be a positive
 * multiple of 4096`.
 *
 *   {
 *     "name": "camera-preview", "description": "...",
 *     "platform": "mt8173-elm-4g", "era": "v4.19", "seed": 7,
 *     "devices": [
 *       { "name": "display", "profile": "mt8173-display" },
 *       { "name": "camera", "profile": "mt8173-camera", "params": { "buffers": 6 } },
 *       { "name": "isp", "buffers": [ { "name": "stats", "api": "alloc", "bytes": 65536 } ] }
 *     ],
 *     "phases": [ { "kind": "boot" }, { "kind": "steady", "frames": 300 }, { "kind": "teardown" } ],
 *     "churn": { "mapsPerFrame": 1, "maxBytes": 65536, "holdFrames": [1, 60] }
 *   }
 *
 * expandScenario turns a scenario into its event stream: a pure function of the scenario and the seed.
 */
import { z } from "zod";
import { isEraName, ERA_NAMES } from "../core/era.ts";
import type { EraName } from "../core/era.ts";
import { InputError } from "../core/errors.ts";
import { Rng } from "../core/rng.ts";
import { PLATFORM_NAMES } from "../phys/platform.ts";
import type { WorkloadEvent } from "./events.ts";
import { bufferSpec, churnModel, churnParams, customModel, DeviceEmitter, deviceProfile, HandleCounter, PROFILE_NAMES } from "./profiles.ts";
import type { BufferSpec, ChurnParams, DeviceModel } from "./profiles.ts";
import { jsonErrorOffset, throwIssues } from "./validation.ts";

const deviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: "must be lower-case letters, digits, '.', '_' or '-'" })
  .max(64);

const deviceSchema = z.strictObject({
  name: deviceName,
  /** dev_is_dma_coherent(); MT8173 multimedia masters are not. */
  coherent: z.boolean().default(false),
  profile: z.string().optional(),
  /** The profile's parameters (validated against the profile). */
  params: z.record(z.string(), z.unknown()).optional(),
  /** Buffers of a custom device (or extra buffers of a profile device). */
  buffers: z.array(bufferSpec).max(64).optional(),
});

const phaseSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("boot") }),
  z.strictObject({
    kind: z.literal("steady"),
    frames: z.number().int().min(1).max(1_000_000),
    /** Devices active in this phase; default all. */
    devices: z.array(z.string()).min(1).optional(),
  }),
  z.strictObject({ kind: z.literal("teardown") }),
]);

const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: "must be lower-case letters, digits, '.', '_' or '-'" })
    .max(80),
  description: z.string().max(2000).default(""),
  platform: z.string().default("mt8173-elm-4g"),
  /** The era a run uses when the command line names none. */
  era: z.string().optional(),
  seed: z.number().int().min(0).max(0xffff_ffff).default(1),
  devices: z.array(deviceSchema).min(1).max(32),
  phases: z.array(phaseSchema).min(1).max(64),
  churn: churnParams.optional(),
});

export interface ScenarioDevice {
  readonly name: string;
  readonly coherent: boolean;
  /** Built-in profile name, or null for a device made only of custom buffers. */
  readonly profile: string | null;
  /** The profile's parameters with defaults filled in ({} without a profile). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly buffers: readonly BufferSpec[];
}

export type ScenarioPhase =
  | { readonly kind: "boot" }
  | { readonly kind: "steady"; readonly frames: number; readonly devices: readonly string[] | null }
  | { readonly kind: "teardown" };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly platform: string;
  readonly era: EraName | null;
  readonly seed: number;
  readonly devices: readonly ScenarioDevice[];
  readonly phases: readonly ScenarioPhase[];
  readonly churn: ChurnParams | null;
}

/** Parses and validates scenario JSON text. Every problem is an InputError naming `fileName` and the field. */
export function parseScenario(text: string, fileName: string): Scenario {
  let json: unknown;
  // A UTF-8 byte order mark (Windows editors write one) is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ");
    const at = jsonErrorOffset(text);
    const before = text.slice(0, at);
    const where = `line ${before.split("\n").length} column ${at - before.lastIndexOf("\n")}`;
    throw new InputError(fileName, where, `not valid JSON (${msg.length > 120 ? msg.slice(0, 120) + "…" : msg})`);
  }
  const proto = protoKeyPath(json, "");
  if (proto !== null) throw new InputError(fileName, proto, 'a "__proto__" key is refused (it would set an object\'s prototype, not a field)');
  return validateScenario(json, fileName);
}

/** Where JSON.parse made an own "__proto__" property, as a field path; null if nowhere. */
function protoKeyPath(v: unknown, path: string): string | null {
  if (v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = protoKeyPath(v[i], `${path}[${i}]`);
      if (p !== null) return p;
    }
    return null;
  }
  for (const k of Object.keys(v)) {
    const here = path === "" ? k : `${path}.${k}`;
    if (k === "__proto__") return here;
    const p = protoKeyPath((v as Record<string, unknown>)[k], here);
    if (p !== null) return p;
  }
  return null;
}

/** Validates an already-parsed JSON value (a built-in scenario object, or a file's contents). */
export function validateScenario(json: unknown, fileName: string): Scenario {
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throwIssues(fileName, r.error.issues, json);
  const s = r.data;
  const fail = (where: string, problem: string): never => {
    throw new InputError(fileName, where, problem);
  };

  if (!PLATFORM_NAMES.includes(s.platform)) fail("platform", `must be one of ${PLATFORM_NAMES.map((n) => `"${n}"`).join(", ")}`);
  if (s.era !== undefined && !isEraName(s.era)) fail("era", `must be one of ${ERA_NAMES.map((n) => `"${n}"`).join(", ")}`);

  const names = new Set<string>();
  const devices: ScenarioDevice[] = s.devices.map((d, i) => {
    if (names.has(d.name)) fail(`devices[${i}].name`, `"${d.name}" is declared twice`);
    names.add(d.name);
    if (d.profile === undefined && d.buffers === undefined) fail(`devices[${i}]`, 'needs a "profile" or "buffers"');
    if (d.profile === undefined && d.params !== undefined) fail(`devices[${i}].params`, 'applies only with a "profile"');
    let params: Record<string, unknown> = {};
    if (d.profile !== undefined) {
      if (!PROFILE_NAMES.includes(d.profile)) fail(`devices[${i}].profile`, `must be one of ${PROFILE_NAMES.map((n) => `"${n}"`).join(", ")}`);
      const pr = deviceProfile(d.profile).params.safeParse(d.params ?? {});
      if (!pr.success) throwIssues(fileName, pr.error.issues, json, ["devices", i, "params"]);
      params = pr.data;
    }
    const seen = new Set<string>();
    (d.buffers ?? []).forEach((b, j) => {
      if (seen.has(b.name)) fail(`devices[${i}].buffers[${j}].name`, `"${b.name}" is declared twice in this device`);
      seen.add(b.name);
    });
    return { name: d.name, coherent: d.coherent, profile: d.profile ?? null, params, buffers: d.buffers ?? [] };
  });

  if (s.churn !== undefined && names.has(s.churn.device)) {
    fail("churn.device", `"${s.churn.device}" is already a declared device; churn needs its own device name`);
  }

  const phases: ScenarioPhase[] = s.phases.map((p, i) => {
    if (p.kind === "boot" && i !== 0) fail(`phases[${i}].kind`, '"boot" must be the first phase');
    if (p.kind === "teardown" && i !== s.phases.length - 1) fail(`phases[${i}].kind`, '"teardown" must be the last phase');
    if (p.kind !== "steady") return { kind: p.kind };
    (p.devices ?? []).forEach((name, j) => {
      if (!names.has(name) && name !== s.churn?.device) fail(`phases[${i}].devices[${j}]`, `"${name}" is not a declared device`);
    });
    return { kind: "steady", frames: p.frames, devices: p.devices ?? null };
  });

  return {
    name: s.name,
    description: s.description,
    platform: s.platform,
    era: s.era !== undefined && isEraName(s.era) ? s.era : null,
    seed: s.seed,
    devices,
    phases,
    churn: s.churn ?? null,
  };
}

/** Frames of steady state in the scenario. */
export function scenarioFrames(s: Scenario): number {
  let n = 0;
  for (const p of s.phases) if (p.kind === "steady") n += p.frames;
  return n;
}

/**
 * The scenario's event stream. Each device draws from its own fork of `rng` (in declaration order, the
 * churn device last), so the stream is a pure function of the scenario and the seed. Within a frame,
 * devices run in declaration order. A device left out of a steady phase does nothing there, not even
 * release its due buffers: they wait until it runs again or the teardown. Default rng:
 * `new Rng(scenario.seed)`.
 */
export function* expandScenario(scenario: Scenario, rng: Rng = new Rng(scenario.seed)): Generator<WorkloadEvent, void, undefined> {
  const handles = new HandleCounter();
  const models: { name: string; model: DeviceModel }[] = [];
  const out: WorkloadEvent[] = [];
  scenario.devices.forEach((d, i) => {
    const em = new DeviceEmitter(d.name, rng.fork(i), handles);
    const parts: DeviceModel[] = [];
    if (d.profile !== null) parts.push(deviceProfile(d.profile).create(em, { ...d.params }));
    if (d.buffers.length > 0) parts.push(customModel(em, d.buffers));
    models.push({ name: d.name, model: parts.length === 1 ? (parts[0] as DeviceModel) : combine(parts) });
    out.push({ type: "device", device: d.name, coherent: d.coherent });
  });
  if (scenario.churn !== null) {
    const em = new DeviceEmitter(scenario.churn.device, rng.fork(scenario.devices.length), handles);
    models.push({ name: scenario.churn.device, model: churnModel(em, scenario.churn) });
    out.push({ type: "device", device: scenario.churn.device, coherent: false });
  }
  yield* out;

  let frame = 0;
  for (let index = 0; index < scenario.phases.length; index++) {
    const phase = scenario.phases[index] as ScenarioPhase;
    yield { type: "phase", phase: phase.kind, index };
    out.length = 0;
    if (phase.kind === "boot") {
      for (const m of models) m.model.boot(out);
      yield* out;
    } else if (phase.kind === "teardown") {
      for (let i = models.length - 1; i >= 0; i--) (models[i] as { model: DeviceModel }).model.teardown(out);
      yield* out;
    } else {
      const active = phase.devices === null ? models : models.filter((m) => phase.devices?.includes(m.name));
      for (let f = 0; f < phase.frames; f++, frame++) {
        out.length = 0;
        for (const m of active) m.model.frame(frame, out);
        yield* out;
      }
    }
  }
}

function combine(parts: readonly DeviceModel[]): DeviceModel {
  return {
    boot: (out) => parts.forEach((p) => p.boot(out)),
    frame: (frame, out) => parts.forEach((p) => p.frame(frame, out)),
    // Both parts share one emitter, so the first teardown releases everything the device holds.
    teardown: (out) => parts.forEach((p) => p.teardown(out)),
  };
}
