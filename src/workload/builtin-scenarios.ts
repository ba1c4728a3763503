// SPDX-License-Identifier: GPL-2.0-only
/**
 * Built-in scenarios. `mt8173-video-playback` is the default of `repro` and `compare`; the same objects
 * are checked in as JSON under examples/ (a test keeps the two equal).
 */
import { validateScenario } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

export { DEFAULT_SCENARIO } from "./default-scenario.ts";

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
  description: "MT8173 camera preview: display plus a ring of eight 1280x720 NV12 capture buffers of scattered pages, mapped with dma_map_sg each time they are queued",
  platform: "mt8173-elm-4g",
  era: "v4.19",
  seed: 7,
  devices: [
    { name: "display", profile: "mt8173-display" },
    { name: "camera", profile: "mt8173-camera", params: { width: 1280, height: 720, buffers: 8, remapEachFrame: true } },
    { name: "isp", buffers: [{ name: "stats", api: "alloc", bytes: 65536, count: 2 }, { name: "meta", api: "map-single", bytes: 8192, minBytes: 512, lifetime: "frame", holdFrames: 2, access: "write" }] },
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

/** The built-in scenarios as JSON-shaped objects (what `examples/<name>.json` holds). */
export const BUILTIN_SCENARIO_SOURCES: Readonly<Record<string, unknown>> = {
  [videoPlayback.name]: videoPlayback,
  [cameraPreview.name]: cameraPreview,
  [videoCall.name]: videoCall,
  [pageFragRecycling.name]: pageFragRecycling,
};

export const BUILTIN_SCENARIOS: readonly { readonly name: string; readonly description: string }[] = [videoPlayback, cameraPreview, videoCall, pageFragRecycling].map((s) => ({
  name: s.name,
  description: s.description,
}));

/** A built-in scenario, validated like a file. Throws RangeError naming the known ones for an unknown name. */
export function builtinScenario(name: string): Scenario {
  const src = BUILTIN_SCENARIO_SOURCES[name];
  if (src === undefined) throw new RangeError(`unknown built-in scenario "${name}" (known: ${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")})`);
  return validateScenario(src, `builtin:${name}`);
}
