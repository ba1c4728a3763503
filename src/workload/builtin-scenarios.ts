// SPDX-License-Identifier: GPL-2.0-only
/**
 * Built-in scenarios. `mt8173-video-playback` is the default of `repro` and `compare`; the same objects
 * are checked in as JSON under examples/ (a test keeps the two equal).
 */
import { validateScenario } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

import { DEFAULT_SCENARIO } from "./default-scenario.ts";

export { DEFAULT_SCENARIO };

/**
 * 1080p playback on the elm Chromebook. Boot: two 1920x1080 ARGB framebuffers (8,294,400 bytes each)
 * and six NV12 1920x1088 reference frames (3,133,440 bytes) with their MV buffers, all dma_alloc_attrs.
 * Then 600 frames of: one bitstream dma_map_single (held two frames), one MDP output of scattered
 * single pages (1280x720 ARGB, 3.5 MiB, dma_map_sg, a ring of four: its IOVA is 4 MiB-aligned, so
 * each unmap takes three 1 MiB steps that free L2 tables), a display flip, and two small background
 * dma_map_sg mappings living 30-900 frames, which strand L2 tables between the big buffers. The
 * picture buffers are reallocated every 200 frames, alternating with 1280x720. Then teardown.
 * Sized so one strategy runs in about a second: ~8,500 events, ~1,800 L2 tables allocated and freed.
 */
const videoPlayback = {
  name: "mt8173-video-playback",
  description:
    "MT8173 1080p video playback: framebuffers and reference frames at boot, 600 frames of decode, MDP and display churn among small long-lived background mappings, teardown",
  platform: "mt8173-elm-4g",
  era: "v4.19",
  seed: 1,
  devices: [
    { name: "display", profile: "mt8173-display", params: { width: 1920, height: 1080, framebuffers: 2 } },
    {
      name: "vdec",
      profile: "mt8173-vdec",
      params: { width: 1920, height: 1088, refFrames: 6, holdFrames: 2, reallocEvery: 200, altResolution: [1280, 720] },
    },
    { name: "mdp", profile: "mt8173-mdp", params: { width: 1280, height: 720, buffers: 4 } },
  ],
  phases: [{ kind: "boot" }, { kind: "steady", frames: 600 }, { kind: "teardown" }],
  churn: { device: "background", mapsPerFrame: 2, minBytes: 4096, maxBytes: 65536, holdFrames: [30, 900], api: "map-sg", access: true },
} as const;

const cameraPreview = {
  name: "camera-preview",
  description:
    "MT8173 camera preview: display plus a ring of eight 1280x720 NV12 capture buffers of scattered pages, mapped with dma_map_sg each time they are queued",
  platform: "mt8173-elm-4g",
  era: "v4.19",
  seed: 7,
  devices: [
    { name: "display", profile: "mt8173-display" },
    { name: "camera", profile: "mt8173-camera", params: { width: 1280, height: 720, buffers: 8, remapEachFrame: true } },
    {
      name: "isp",
      buffers: [
        { name: "stats", api: "alloc", bytes: 65536, count: 2 },
        { name: "meta", api: "map-single", bytes: 8192, minBytes: 512, lifetime: "frame", holdFrames: 2, access: "write" },
      ],
    },
  ],
  phases: [{ kind: "boot" }, { kind: "steady", frames: 300 }, { kind: "teardown" }],
} as const;

const videoCall = {
  name: "mt8173-video-call",
  description: "MT8173 video call: camera capture encoded by the VENC while a remote 720p stream is decoded and displayed",
  platform: "mt8173-elm-4g",
  era: "v4.19",
  seed: 3,
  devices: [
    { name: "display", profile: "mt8173-display" },
    { name: "camera", profile: "mt8173-camera", params: { buffers: 4 } },
    { name: "venc", profile: "mt8173-venc", params: { width: 1280, height: 720 } },
    { name: "vdec", profile: "mt8173-vdec", params: { width: 1280, height: 720, refFrames: 4, keyframeEvery: 60 } },
  ],
  phases: [{ kind: "boot" }, { kind: "steady", frames: 300 }, { kind: "teardown" }],
  churn: { mapsPerFrame: 0.5, holdFrames: [1, 30] },
} as const;

/**
 * One device cycling a 1 MiB buffer of scattered 4 KiB pages: every unmap is a 1 MiB step that frees an
 * L2 table with its 256 entries still in it. Harmless for allocators that zero what they hand out; with
 * page_frag, the 33rd table comes from the recycled 32 KiB page, which is not re-zeroed.
 */
const pageFragRecycling = {
  name: "page-frag-recycling",
  description:
    "A capture device that maps one 1 MiB buffer of scattered 4 KiB pages per frame and unmaps it the next frame: each unmap frees an L2 table with its entries still in it, which page_frag then recycles",
  platform: "mt8173-elm-4g",
  era: "latest",
  seed: 5,
  devices: [
    {
      name: "isp",
      buffers: [{ name: "frame", api: "map-sg", bytes: 1048576, lifetime: "frame", holdFrames: 1, segmentOrders: [0], access: "write" }],
    },
  ],
  phases: [{ kind: "boot" }, { kind: "steady", frames: 80 }, { kind: "teardown" }],
} as const;

/**
 * Each platform preset's own default: 300 frames of playback on the SoC's masters with the SoC's
 * resolutions (src/workload/profiles.ts SOC_MASTER_SIZES), with the stranding background mappings of
 * the MT8173 default. Device names are the platform's master names (src/phys/platforms/<soc>.ts), so a
 * system with several domains can route each device to its domain. The picture buffers are reallocated
 * every 150 frames, alternating with 1080p; the era is the newest, which every preset's SoC has.
 */
function platformDefault(platform: string, soc: string, what: string, devices: readonly Record<string, unknown>[]) {
  return {
    name: `${platform}-default`,
    description: `${platform}: ${what}; 300 frames among small long-lived background mappings, teardown`,
    platform,
    era: "latest",
    seed: 1,
    devices: devices.map((d) => ({ ...d, profile: `${soc}-${String(d["profile"])}` })),
    phases: [{ kind: "boot" }, { kind: "steady", frames: 300 }, { kind: "teardown" }],
    churn: { device: "background", mapsPerFrame: 2, minBytes: 4096, maxBytes: 65536, holdFrames: [30, 600], api: "map-sg", access: true },
  };
}

const playback = (altResolution: readonly [number, number]) => ({ refFrames: 6, holdFrames: 2, reallocEvery: 150, altResolution });

const PLATFORM_DEFAULTS = [
  platformDefault("mt8195-cherry-8g", "mt8195", "4K playback on a 4K display (vdec, display, MDP scaling to 1080p)", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1920, 1088]) },
    { name: "mdp", profile: "mdp", params: { buffers: 4 } },
  ]),
  platformDefault("mt8192-asurada-8g", "mt8192", "4K playback on a 1080p panel with the camera previewing", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1920, 1088]) },
    { name: "mdp", profile: "mdp", params: { buffers: 4 } },
    { name: "camera", profile: "camera", params: { buffers: 4 } },
  ]),
  platformDefault("mt8183-kukui-4g", "mt8183", "1080p playback on the 1920x1200 panel", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1280, 720]) },
    { name: "mdp", profile: "mdp", params: { buffers: 4 } },
  ]),
  platformDefault("mt8186-corsola-8g", "mt8186", "1080p playback with the camera previewing", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1280, 720]) },
    { name: "mdp", profile: "mdp", params: { buffers: 4 } },
    { name: "camera", profile: "camera", params: { buffers: 4 } },
  ]),
  platformDefault("mt8188-geralt-8g", "mt8188", "4K playback on the 1920x1200 panel", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1920, 1088]) },
    { name: "mdp", profile: "mdp", params: { buffers: 4 } },
  ]),
  platformDefault("mt2712-evb", "mt2712", "cluster display, 1080p playback and the rear camera encoded at 720p", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1280, 720]) },
    { name: "camera", profile: "camera", params: { buffers: 4 } },
    { name: "venc", profile: "venc" },
  ]),
  platformDefault("mt6893-phone-12g", "mt6893", "4K recording from the 12 MP camera with 4K playback on the 2400x1080 panel", [
    { name: "display", profile: "display" },
    { name: "vdec", profile: "vdec", params: playback([1920, 1088]) },
    { name: "camera", profile: "camera", params: { buffers: 4 } },
    { name: "venc", profile: "venc" },
    { name: "mdp", profile: "mdp", params: { buffers: 4 } },
  ]),
  platformDefault("apq8064-2g", "apq8064", "scanout on both MDP IOMMU ports (the panel and an HDMI mirror)", [
    { name: "display", profile: "display", params: { framebuffers: 3 } },
    { name: "display1", profile: "display", params: { framebuffers: 2 } },
  ]),
];

/** The built-in scenarios as JSON-shaped objects (what `examples/<name>.json` holds). */
export const BUILTIN_SCENARIO_SOURCES: Readonly<Record<string, unknown>> = {
  [videoPlayback.name]: videoPlayback,
  [cameraPreview.name]: cameraPreview,
  [videoCall.name]: videoCall,
  [pageFragRecycling.name]: pageFragRecycling,
  ...Object.fromEntries(PLATFORM_DEFAULTS.map((s) => [s.name, s])),
};

export const BUILTIN_SCENARIOS: readonly { readonly name: string; readonly description: string }[] = [
  videoPlayback,
  cameraPreview,
  videoCall,
  pageFragRecycling,
  ...PLATFORM_DEFAULTS,
].map((s) => ({
  name: s.name,
  description: s.description,
}));

/**
 * The built-in scenario a run on `platform` uses when none is named: the preset's own default, or
 * DEFAULT_SCENARIO (elm's) for the MT8173 boards, the generic board and unknown names.
 */
export function defaultScenarioFor(platform: string): string {
  const own = `${platform}-default`;
  return PLATFORM_DEFAULTS.some((s) => s.name === own) ? own : DEFAULT_SCENARIO;
}

/** A built-in scenario, validated like a file. Throws RangeError naming the known ones for an unknown name. */
export function builtinScenario(name: string): Scenario {
  const src = BUILTIN_SCENARIO_SOURCES[name];
  if (src === undefined) throw new RangeError(`unknown built-in scenario "${name}" (known: ${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")})`);
  return validateScenario(src, `builtin:${name}`);
}
