// SPDX-License-Identifier: GPL-2.0-only
/** Per-SoC device profiles and each platform's default scenario. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { era } from "../../src/core/era.ts";
import { checkPlatformEra, PLATFORM_NAMES, platform } from "../../src/phys/platform.ts";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO, builtinScenario, defaultScenarioFor } from "../../src/workload/builtin-scenarios.ts";
import { countEvents } from "../../src/workload/events.ts";
import { deviceProfile, nv12Bytes } from "../../src/workload/profiles.ts";
import { expandScenario } from "../../src/workload/scenario.ts";

test("every preset has a default scenario that validates, runs in an era its SoC has, and names its masters", () => {
  for (const name of PLATFORM_NAMES) {
    const sc = builtinScenario(defaultScenarioFor(name));
    const p = platform(sc.platform);
    if (name.startsWith("mt8173-") || name === "arm64-8g") {
      assert.equal(sc.name, DEFAULT_SCENARIO, name);
      continue;
    }
    assert.equal(sc.platform, name);
    assert.doesNotThrow(() => checkPlatformEra(p, era(sc.era ?? "v4.19")), name);
    const masters = new Set((p.iommus ?? []).flatMap((i) => i.masters.map((m) => m.name)));
    for (const d of sc.devices) assert.ok(masters.has(d.name), `${name}: device ${d.name} is a master of the platform`);
    const c = countEvents(expandScenario(sc));
    assert.ok(c.byType.alloc > 0 && c.byType.alloc === c.byType.free, `${name}: every alloc freed`);
  }
  assert.ok(BUILTIN_SCENARIOS.some((s) => s.name === "mt8195-cherry-8g-default"));
  assert.equal(defaultScenarioFor("no-such-board"), DEFAULT_SCENARIO);
});

test("SoC profiles carry the SoC's resolutions as defaults; buffers follow the pixel format", () => {
  assert.deepEqual([deviceProfile("mt8195-vdec").params.parse({}).width, deviceProfile("mt8195-vdec").params.parse({}).height], [3840, 2176]);
  assert.equal(deviceProfile("mt6893-camera").params.parse({}).width, 4000);
  // A 4K NV12 reference frame: 3840 x 2176 x 1.5 = 12,533,760 bytes, page-aligned.
  assert.equal(nv12Bytes(3840, 2176), 12_533_760);
  const sc = builtinScenario("mt8195-cherry-8g-default");
  const refs = [...expandScenario(sc)].filter((e) => e.type === "alloc" && e.tag === "vdec:ref0").map((e) => (e.type === "alloc" ? e.bytes : 0));
  // Boot at 4K, then at frame 150 (of 0-299) the 1080p alternative (1920 x 1088 NV12 = 3,133,440 bytes).
  assert.deepEqual(refs, [12_533_760, 3_133_440]);
  // The SoC variants keep the generators' checks.
  assert.equal(deviceProfile("mt8195-vdec").params.safeParse({ bitstreamMinBytes: 9, bitstreamMaxBytes: 1 }).success, false);
  assert.equal(deviceProfile("mt8195-display").params.safeParse({ bogus: 1 }).success, false);
});
