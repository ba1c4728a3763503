// SPDX-License-Identifier: GPL-2.0-only
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InputError } from "../../src/core/errors.ts";
import { PLATFORM_NAMES } from "../../src/phys/platform.ts";
import { Rng } from "../../src/core/rng.ts";
import { BUILTIN_SCENARIO_SOURCES, BUILTIN_SCENARIOS, builtinScenario, DEFAULT_SCENARIO } from "../../src/workload/builtin-scenarios.ts";
import { countEvents, sgBytes } from "../../src/workload/events.ts";
import type { WorkloadEvent } from "../../src/workload/events.ts";
import { DEVICE_PROFILES } from "../../src/workload/profiles.ts";
import { expandScenario, parseScenario, scenarioFrames, validateScenario } from "../../src/workload/scenario.ts";
import type { Scenario } from "../../src/workload/scenario.ts";
import { REPO_ROOT } from "../helpers/paths.ts";

const MINIMAL = { name: "t", devices: [{ name: "display", profile: "mt8173-display" }], phases: [{ kind: "boot" }, { kind: "steady", frames: 3 }] };

function problem(json: unknown): string {
  try {
    validateScenario(json, "s.json");
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
  return "accepted";
}

function withDevice(device: unknown): unknown {
  return { ...MINIMAL, devices: [MINIMAL.devices[0], device] };
}

/** Checks the stream is executable: handles are used only while live, released by the matching call. */
function checkStream(events: Iterable<WorkloadEvent>): { peakSmallLive: number } {
  const live = new Map<number, { kind: "alloc" | "map"; bytes: number }>();
  const declared = new Set<string>();
  let peakSmallLive = 0;
  let smallLive = 0;
  for (const ev of events) {
    switch (ev.type) {
      case "device":
        declared.add(ev.device);
        break;
      case "alloc":
      case "mapSingle":
      case "mapSg": {
        assert.ok(declared.has(ev.device), `device ${ev.device} declared before use`);
        assert.ok(!live.has(ev.handle), `handle ${ev.handle} is new`);
        const bytes = ev.type === "mapSg" ? sgBytes(ev) : ev.bytes;
        assert.ok(bytes > 0);
        if (ev.type === "mapSingle") assert.ok(ev.paddrSource.offset + ev.bytes <= 4096 * 2 ** ev.paddrSource.order, "block holds the buffer");
        if (ev.type === "mapSg") for (const s of ev.segments) assert.ok(s.bytes > 0 && s.bytes <= 4096 * 2 ** s.order);
        live.set(ev.handle, { kind: ev.type === "alloc" ? "alloc" : "map", bytes });
        if (bytes <= 65536) smallLive++;
        peakSmallLive = Math.max(peakSmallLive, smallLive);
        break;
      }
      case "free":
      case "unmap": {
        const b = live.get(ev.handle);
        assert.ok(b !== undefined, `handle ${ev.handle} is live when released`);
        assert.equal(b.kind, ev.type === "free" ? "alloc" : "map");
        live.delete(ev.handle);
        if (b.bytes <= 65536) smallLive--;
        break;
      }
      case "access": {
        const b = live.get(ev.handle);
        assert.ok(b !== undefined, `handle ${ev.handle} is live when accessed`);
        assert.ok(ev.bytes > 0 && ev.offset % 4096 === 0 && ev.offset + ev.bytes <= b.bytes, "access inside the buffer");
        break;
      }
      default:
        break;
    }
  }
  return { peakSmallLive };
}

describe("built-in scenarios", () => {
  it("are checked in under examples/ and parse from there", () => {
    for (const { name } of BUILTIN_SCENARIOS) {
      const file = resolve(REPO_ROOT, "examples", `${name}.json`);
      const text = readFileSync(file, "utf8");
      assert.deepEqual(JSON.parse(text), BUILTIN_SCENARIO_SOURCES[name], `${file} matches the built-in`);
      assert.deepEqual(parseScenario(text, file), builtinScenario(name));
    }
  });

  it("produce executable event streams", () => {
    for (const { name } of BUILTIN_SCENARIOS) checkStream(expandScenario(builtinScenario(name)));
  });

  it("the default, mt8173-video-playback, has the event counts its parameters imply", () => {
    const s = builtinScenario(DEFAULT_SCENARIO);
    assert.equal(scenarioFrames(s), 600);
    const c = countEvents(expandScenario(s));
    // 2 framebuffers + cursor + vdec working buffer, then 6 x (NV12 + MV) at boot and at frames 200 and 400.
    assert.equal(c.byType.alloc, 4 + 12 * 3);
    assert.equal(c.byType.free, c.byType.alloc);
    assert.equal(c.byType.mapSingle, 600, "one bitstream per frame");
    assert.equal(c.byType.mapSg, 600 + 2 * 600, "one MDP output and two background mappings per frame");
    assert.equal(c.byType.unmap, c.byType.mapSingle + c.byType.mapSg);
    // display flip + bitstream read + picture write + MDP write per frame, plus one read per background map.
    assert.equal(c.byType.access, 600 * 4 + 2 * 600);
    assert.equal(c.byType.device, 4);
    assert.equal(c.byType.phase, 3);
    assert.ok(c.total < 20_000, `tens of thousands of events at most, got ${c.total}`);
  });

  it("the default exercises L2 table freeing and keeps many small mappings live", () => {
    const events = [...expandScenario(builtinScenario(DEFAULT_SCENARIO))];
    const bigSg = events.filter((e) => e.type === "mapSg" && sgBytes(e) >= 0x100000 && e.segments.every((s) => s.order === 0));
    assert.equal(bigSg.length, 600, "3.5 MiB of single pages per MDP frame: a 4 MiB-aligned IOVA unmapped in 1 MiB steps");
    const fb = events.find((e) => e.type === "alloc" && e.tag === "display:fb0");
    assert.equal(fb?.type === "alloc" ? fb.bytes : 0, 8_294_400);
    const ref = events.find((e) => e.type === "alloc" && e.tag === "vdec:ref0");
    assert.equal(ref?.type === "alloc" ? ref.bytes : 0, 3_133_440);
    const { peakSmallLive } = checkStream(events);
    assert.ok(peakSmallLive > 150, `peak of small live mappings ${peakSmallLive}`);
  });

  it("builtinScenario names the known scenarios for an unknown one", () => {
    assert.throws(
      () => builtinScenario("nope"),
      /unknown built-in scenario "nope" \(known: mt8173-video-playback, camera-preview, mt8173-video-call, page-frag-recycling, mt8195-cherry-8g-default, /,
    );
  });
});

describe("determinism", () => {
  const alone = (profile: string, seed: number): Scenario =>
    validateScenario(
      { name: "p", seed, devices: [{ name: "dev", profile }], phases: [{ kind: "boot" }, { kind: "steady", frames: 40 }, { kind: "teardown" }] },
      "p",
    );

  for (const p of DEVICE_PROFILES) {
    it(`${p.name}: the same seed gives the same events, another seed different ones`, () => {
      const a = [...expandScenario(alone(p.name, 11))];
      assert.deepEqual([...expandScenario(alone(p.name, 11))], a);
      assert.notDeepEqual([...expandScenario(alone(p.name, 12))], a);
      checkStream(a);
    });
  }

  it("expandScenario(s) equals expandScenario(s, new Rng(s.seed))", () => {
    const s = builtinScenario("camera-preview");
    assert.deepEqual([...expandScenario(s)], [...expandScenario(s, new Rng(s.seed))]);
  });

  it("the default scenario is identical across expansions and differs with another seed", () => {
    const s = builtinScenario(DEFAULT_SCENARIO);
    const a = JSON.stringify([...expandScenario(s)]);
    assert.equal(JSON.stringify([...expandScenario(s)]), a);
    assert.notEqual(JSON.stringify([...expandScenario({ ...s, seed: 2 })]), a);
  });
});

describe("custom buffers", () => {
  it("creates persistent buffers at boot, frame buffers every N frames, and releases them when due", () => {
    const s = validateScenario(
      {
        name: "c",
        devices: [
          {
            name: "isp",
            buffers: [
              { name: "stats", api: "alloc", bytes: 8192, attrs: ["DMA_ATTR_WRITE_COMBINE"] },
              { name: "meta", api: "map-single", bytes: 4096, lifetime: "frame", every: 2, holdFrames: 3, offset: 256 },
            ],
          },
        ],
        phases: [{ kind: "boot" }, { kind: "steady", frames: 5 }, { kind: "teardown" }],
      },
      "c",
    );
    const evs = [...expandScenario(s)].filter((e) => e.type !== "device" && e.type !== "phase");
    const brief = evs.map((e) =>
      e.type === "free" || e.type === "unmap" ? `${e.type} ${e.handle}` : e.type === "alloc" || e.type === "mapSingle" ? `${e.type} ${e.handle}` : e.type,
    );
    // frame 0: map 2; frame 2: map 3; frame 3: unmap 2 (0 + 3); frame 4: map 4; teardown newest first.
    assert.deepEqual(brief, ["alloc 1", "mapSingle 2", "mapSingle 3", "unmap 2", "mapSingle 4", "unmap 4", "unmap 3", "free 1"]);
    const m = evs[1];
    assert.ok(m?.type === "mapSingle");
    assert.deepEqual(m.paddrSource, { order: 1, offset: 256, owner: "isp:meta" });
  });

  it("limits a steady phase to the devices it names", () => {
    const s = validateScenario(
      {
        name: "d",
        devices: [
          { name: "a", profile: "mt8173-display" },
          { name: "b", profile: "mt8173-mdp" },
        ],
        phases: [{ kind: "steady", frames: 4, devices: ["b"] }],
      },
      "d",
    );
    const c = countEvents(expandScenario(s));
    assert.equal(c.byType.mapSg, 4);
    assert.equal(c.byType.alloc, 0);
  });
});

describe("scenario validation messages", () => {
  const cases: [string, unknown, string][] = [
    ["a non-object", 5, "s.json: must be an object, not the number 5"],
    ["a missing name", { devices: MINIMAL.devices, phases: MINIMAL.phases }, "s.json: name: is required"],
    ["an unknown top-level field", { ...MINIMAL, sed: 1 }, "s.json: sed: is not a known field"],
    ["a bad seed", { ...MINIMAL, seed: -1 }, "s.json: seed: must be at least 0"],
    ["a fractional seed", { ...MINIMAL, seed: 1.5 }, "s.json: seed: must be an integer, not the number 1.5"],
    ["an unknown platform", { ...MINIMAL, platform: "pc" }, `s.json: platform: must be one of ${PLATFORM_NAMES.map((n) => `"${n}"`).join(", ")}`],
    ["an unknown era", { ...MINIMAL, era: "v3.18" }, 's.json: era: must be one of "v4.14", "v4.19", "v5.10", "v6.6", "latest"'],
    ["no devices", { ...MINIMAL, devices: [] }, "s.json: devices: must have at least 1 item"],
    [
      "buffer bytes not a page multiple",
      withDevice({ name: "isp", buffers: [{ name: "x", api: "alloc", bytes: 5000 }] }),
      "s.json: devices[1].buffers[0].bytes: must be a positive multiple of 4096 (at most 256 MiB)",
    ],
    [
      "buffer bytes of the wrong type",
      withDevice({ name: "isp", buffers: [{ name: "x", api: "alloc", bytes: "4096" }] }),
      's.json: devices[1].buffers[0].bytes: must be a number, not the string "4096"',
    ],
    [
      "an unknown api",
      withDevice({ name: "isp", buffers: [{ name: "x", api: "map", bytes: 4096 }] }),
      's.json: devices[1].buffers[0].api: must be one of "alloc", "map-single", "map-sg"',
    ],
    [
      "alloc-only fields on a map",
      withDevice({ name: "isp", buffers: [{ name: "x", api: "map-sg", bytes: 4096, gfp: "GFP_ATOMIC" }] }),
      's.json: devices[1].buffers[0].gfp: applies only to api "alloc"',
    ],
    [
      "holdFrames on a persistent buffer",
      withDevice({ name: "isp", buffers: [{ name: "x", api: "alloc", bytes: 4096, holdFrames: 2 }] }),
      's.json: devices[1].buffers[0].holdFrames: applies only to lifetime "frame"',
    ],
    [
      "minBytes above bytes",
      withDevice({ name: "isp", buffers: [{ name: "x", api: "map-single", bytes: 4096, minBytes: 8192 }] }),
      "s.json: devices[1].buffers[0].minBytes: must not exceed bytes",
    ],
    ["a device without profile or buffers", withDevice({ name: "isp" }), 's.json: devices[1]: needs a "profile" or "buffers"'],
    [
      "an unknown profile",
      withDevice({ name: "isp", profile: "mt8183-isp" }),
      `s.json: devices[1].profile: must be one of ${DEVICE_PROFILES.map((p) => `"${p.name}"`).join(", ")}`,
    ],
    [
      "a bad profile parameter",
      withDevice({ name: "v", profile: "mt8173-vdec", params: { refFrames: 0 } }),
      "s.json: devices[1].params.refFrames: must be at least 1",
    ],
    [
      "an unknown profile parameter",
      withDevice({ name: "v", profile: "mt8173-vdec", params: { refs: 4 } }),
      "s.json: devices[1].params.refs: is not a known field",
    ],
    [
      "inconsistent profile parameters",
      withDevice({ name: "v", profile: "mt8173-vdec", params: { bitstreamMinBytes: 9000, bitstreamMaxBytes: 8000 } }),
      "s.json: devices[1].params.bitstreamMinBytes: bitstreamMinBytes must not exceed bitstreamMaxBytes",
    ],
    ["a duplicate device", withDevice({ name: "display", profile: "mt8173-mdp" }), 's.json: devices[1].name: "display" is declared twice'],
    [
      "a bad device name",
      withDevice({ name: "Disp 2", profile: "mt8173-mdp" }),
      "s.json: devices[1].name: must be lower-case letters, digits, '.', '_' or '-'",
    ],
    ["an unknown phase kind", { ...MINIMAL, phases: [{ kind: "idle" }] }, 's.json: phases[0].kind: must be one of "boot", "steady", "teardown"'],
    ["zero frames", { ...MINIMAL, phases: [{ kind: "steady", frames: 0 }] }, "s.json: phases[0].frames: must be at least 1"],
    ["boot not first", { ...MINIMAL, phases: [{ kind: "steady", frames: 1 }, { kind: "boot" }] }, 's.json: phases[1].kind: "boot" must be the first phase'],
    [
      "teardown not last",
      { ...MINIMAL, phases: [{ kind: "teardown" }, { kind: "steady", frames: 1 }] },
      's.json: phases[0].kind: "teardown" must be the last phase',
    ],
    [
      "an unknown phase device",
      { ...MINIMAL, phases: [{ kind: "steady", frames: 1, devices: ["gpu"] }] },
      's.json: phases[0].devices[0]: "gpu" is not a declared device',
    ],
    [
      "a churn device clash",
      { ...MINIMAL, churn: { device: "display" } },
      's.json: churn.device: "display" is already a declared device; churn needs its own device name',
    ],
    ["a churn range upside down", { ...MINIMAL, churn: { holdFrames: [10, 2] } }, "s.json: churn.holdFrames: minimum must not exceed maximum"],
    ["several problems", { ...MINIMAL, seed: "x", name: 3 }, "s.json: name: must be a string, not the number 3 (and 1 more problem)"],
  ];
  for (const [what, json, message] of cases) {
    it(`names the field and the rule for ${what}`, () => assert.equal(problem(json), message));
  }

  it("locates a JSON syntax error by line and column", () => {
    assert.throws(
      () => parseScenario('{\n  "name": "x",\n  "devices": [}\n', "bad.json"),
      (err: unknown) =>
        err instanceof InputError &&
        err.input === "bad.json" &&
        err.where === "line 3 column 15" &&
        /^bad\.json: line 3 column 15: not valid JSON/.test(err.message),
    );
  });

  it("fills defaults", () => {
    const s = validateScenario(MINIMAL, "m");
    assert.deepEqual(
      { platform: s.platform, era: s.era, seed: s.seed, churn: s.churn, description: s.description },
      { platform: "mt8173-elm-4g", era: null, seed: 1, churn: null, description: "" },
    );
    assert.equal(s.devices[0]?.params["width"], 1920);
  });
});

describe("scenario validator fuzzing", () => {
  const base = BUILTIN_SCENARIO_SOURCES[DEFAULT_SCENARIO];
  const baseText = JSON.stringify(base, null, 2);
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(base, []);
  const setAt = (root: unknown, path: readonly (string | number)[], value: unknown): unknown => {
    if (path.length === 0) return value;
    const [head, ...rest] = path as [string | number, ...(string | number)[]];
    const copy = (Array.isArray(root) ? [...(root as unknown[])] : { ...(root as object) }) as Record<string | number, unknown>;
    copy[head] = setAt(copy[head], rest, value);
    return copy;
  };
  const weird = fc.oneof(
    fc.constantFrom(null, true, -1, 0, 0.5, 1e300, -0, "", "x", [], {}, "mt8173-vdec", 4096, 4097, [1, 2], { kind: "boot" }),
    fc.integer({ min: -5, max: 1 << 30 }),
    fc.string({ maxLength: 8 }),
  );
  const structural = fc.tuple(fc.constantFrom(...paths), weird).map(([path, v]) => ({ json: setAt(base, path, v) as unknown }));
  const textual = fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom("}", "{", ",", '"', "0", "-", "]", "\\", "e9")).map(([at, op, ch]) => {
    const i = at % baseText.length;
    return { text: op === 0 ? baseText.slice(0, i) : op === 1 ? baseText.slice(0, i) + ch + baseText.slice(i) : baseText.slice(0, i) + baseText.slice(i + 1) };
  });

  it("survives 100,000 malformed scenarios with only InputErrors", () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(structural, textual), (input) => {
        try {
          if ("text" in input) parseScenario(input.text, "fuzz.json");
          else validateScenario(input.json, "fuzz.json");
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          assert.ok(err.message.startsWith("fuzz.json: "));
          rejected++;
        }
      }),
      { numRuns: 100_000 },
    );
    assert.ok(rejected > 10_000, `only ${rejected} inputs were rejected`);
  });
});
