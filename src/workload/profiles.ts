// SPDX-License-Identifier: GPL-2.0-only
/**
 * Built-in device profiles: seeded generators of DMA-API events shaped like MT8173 multimedia masters
 * (all behind the one M4U, so on 4.19 they share one domain and one page table,
 * docs/kernel-facts.md#mtk-iommu), and the same generators with other SoCs' resolutions as defaults
 * (`mt8195-display`, ...).
 *
 * Buffer sizes follow the pixel formats (ARGB8888 scanout, NV12 frames); the split between
 * dma_alloc_attrs, dma_map_single and dma_map_sg, the bitstream size distribution, the motion-vector
 * buffer size and the hold times are this model's choices, not measurements of the mediatek drivers.
 */
import { z } from "zod";
import { alignUp, getOrder, PAGE_SIZE } from "../core/bits.ts";
import type { Rng } from "../core/rng.ts";
import { SZ_4K } from "../core/u32.ts";
import { DMA_DIRECTIONS, type DmaDirection } from "../dma/dma-api.ts";
import { DMA_ATTRS } from "./events.ts";
import type { AllocGfp, DmaAttr, SgSegment, WorkloadEvent } from "./events.ts";

/** Largest sampled window of one `access` event. */
export const ACCESS_WINDOW = 64 * 1024;
/** Largest block a workload asks the page allocator for: order 10 (4 MiB), valid in every era. */
export const MAX_BLOCK_ORDER = 10;

/** NV12: a full-size luma plane plus a half-size interleaved chroma plane. */
export function nv12Bytes(width: number, height: number): number {
  return alignUp((width * height * 3) / 2, PAGE_SIZE);
}

// ---------------------------------------------------------------------------------------------------
// Per-device event emission with handle bookkeeping

interface LiveBuffer {
  readonly handle: number;
  readonly release: "free" | "unmap";
  readonly bytes: number;
  /** Frame at whose start it is released; Infinity: at teardown. */
  readonly releaseAt: number;
}

/** Allocates handles for the whole run, so every handle is unique across devices. */
export class HandleCounter {
  private next = 1;
  take(): number {
    return this.next++;
  }
}

/** Emits one device's events and remembers its live buffers. */
export class DeviceEmitter {
  readonly device: string;
  readonly rng: Rng;
  private readonly handles: HandleCounter;
  private live: LiveBuffer[] = [];
  /** Identical scatterlist entries share one frozen object: a 1 MiB buffer of single pages is 256 of them. */
  private readonly segmentCache = new Map<number, SgSegment>();

  constructor(device: string, rng: Rng, handles: HandleCounter) {
    this.device = device;
    this.rng = rng;
    this.handles = handles;
  }

  get liveCount(): number {
    return this.live.length;
  }

  alloc(out: WorkloadEvent[], bytes: number, tag: string, attrs: readonly DmaAttr[], gfp: AllocGfp = "GFP_KERNEL", releaseAt = Infinity): number {
    const handle = this.handles.take();
    out.push({ type: "alloc", device: this.device, bytes, handle, gfp, attrs, tag });
    this.live.push({ handle, release: "free", bytes, releaseAt });
    return handle;
  }

  mapSingle(out: WorkloadEvent[], bytes: number, offset: number, dir: DmaDirection, owner: string, releaseAt = Infinity): number {
    const handle = this.handles.take();
    out.push({ type: "mapSingle", device: this.device, paddrSource: { order: getOrder(offset + bytes), offset, owner }, bytes, dir, handle });
    this.live.push({ handle, release: "unmap", bytes, releaseAt });
    return handle;
  }

  /** Page-rounded `bytes` as scattered blocks whose orders are drawn from `orders` (largest useful first). */
  mapSg(out: WorkloadEvent[], bytes: number, orders: readonly number[], dir: DmaDirection, owner: string, releaseAt = Infinity): number {
    const handle = this.handles.take();
    const segments: SgSegment[] = [];
    let left = alignUp(bytes, PAGE_SIZE);
    while (left > 0) {
      let order = this.rng.pick(orders);
      while (order > 0 && SZ_4K * 2 ** (order - 1) >= left) order--;
      const seg = Math.min(left, SZ_4K * 2 ** order);
      const key = seg * 16 + order;
      let entry = this.segmentCache.get(key);
      if (entry === undefined) {
        entry = Object.freeze({ order, bytes: seg });
        this.segmentCache.set(key, entry);
      }
      segments.push(entry);
      left -= seg;
    }
    out.push({ type: "mapSg", device: this.device, segments, dir, handle, owner });
    this.live.push({ handle, release: "unmap", bytes: alignUp(bytes, PAGE_SIZE), releaseAt });
    return handle;
  }

  /** The device touches a page-aligned window of at most ACCESS_WINDOW bytes of the buffer. */
  access(out: WorkloadEvent[], handle: number, bufferBytes: number, write: boolean): void {
    const pages = Math.ceil(bufferBytes / SZ_4K);
    const offset = this.rng.int(pages) * SZ_4K;
    const bytes = Math.min(ACCESS_WINDOW, bufferBytes - offset);
    out.push({ type: "access", device: this.device, handle, offset, bytes, write });
  }

  release(out: WorkloadEvent[], handle: number): void {
    const i = this.live.findIndex((b) => b.handle === handle);
    const b = this.live[i];
    if (b === undefined) throw new RangeError(`DeviceEmitter(${this.device}): handle ${handle} is not live`);
    this.live.splice(i, 1);
    out.push(b.release === "free" ? { type: "free", handle } : { type: "unmap", handle });
  }

  /** Releases, oldest first, the buffers due at the start of `frame`. */
  releaseDue(out: WorkloadEvent[], frame: number): void {
    if (!this.live.some((b) => b.releaseAt <= frame)) return;
    const keep: LiveBuffer[] = [];
    for (const b of this.live) {
      if (b.releaseAt <= frame) out.push(b.release === "free" ? { type: "free", handle: b.handle } : { type: "unmap", handle: b.handle });
      else keep.push(b);
    }
    this.live = keep;
  }

  /** Releases everything, newest first, as drivers tear down in reverse. */
  releaseAll(out: WorkloadEvent[]): void {
    for (let i = this.live.length - 1; i >= 0; i--) {
      const b = this.live[i] as LiveBuffer;
      out.push(b.release === "free" ? { type: "free", handle: b.handle } : { type: "unmap", handle: b.handle });
    }
    this.live = [];
  }
}

/** What a device does in each phase. `frame` counts steady-state iterations from 0 over the whole run. */
export interface DeviceModel {
  boot(out: WorkloadEvent[]): void;
  frame(frame: number, out: WorkloadEvent[]): void;
  teardown(out: WorkloadEvent[]): void;
}

export interface DeviceProfile {
  readonly name: string;
  readonly description: string;
  /** Validates the profile's `params` and fills defaults. */
  readonly params: z.ZodType<Record<string, unknown>>;
  create(em: DeviceEmitter, params: Record<string, unknown>): DeviceModel;
}

function defineProfile<S extends z.ZodType<Record<string, unknown>>>(p: {
  name: string;
  description: string;
  params: S;
  create(em: DeviceEmitter, params: z.output<S>): DeviceModel;
}): DeviceProfile {
  return {
    name: p.name,
    description: p.description,
    params: p.params,
    create: (em, params) => p.create(em, params as z.output<S>),
  };
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const dimension = int(16, 8192);
const direction = z.enum(DMA_DIRECTIONS as [DmaDirection, ...DmaDirection[]]);
const orders = z.array(int(0, MAX_BLOCK_ORDER)).min(1);

// ---------------------------------------------------------------------------------------------------

const displayParams = z.strictObject({
  width: dimension.default(1920),
  height: dimension.default(1080),
  bytesPerPixel: int(1, 8).default(4),
  framebuffers: int(1, 8).default(2),
  /** A 64x64 ARGB hardware cursor. */
  cursor: z.boolean().default(true),
  /** Page flip every N frames; the scanout engine reads the front buffer each frame. */
  flipEvery: int(1, 1000).default(1),
});

const display = defineProfile({
  name: "mt8173-display",
  description: "display scanout (OVL/RDMA): ARGB framebuffers from dma_alloc_attrs(WRITE_COMBINE), page flips read the front buffer",
  params: displayParams,
  create(em, p) {
    const fbBytes = alignUp(p.width * p.height * p.bytesPerPixel, PAGE_SIZE);
    const fbs: number[] = [];
    let front = 0;
    const attrs: DmaAttr[] = ["DMA_ATTR_WRITE_COMBINE", "DMA_ATTR_NO_KERNEL_MAPPING"];
    return {
      boot(out) {
        for (let i = 0; i < p.framebuffers; i++) fbs.push(em.alloc(out, fbBytes, `${em.device}:fb${i}`, attrs));
        if (p.cursor) em.alloc(out, alignUp(64 * 64 * 4, PAGE_SIZE), `${em.device}:cursor`, attrs);
      },
      frame(frame, out) {
        if (fbs.length === 0) return;
        if (frame % p.flipEvery === 0) front = (front + 1) % fbs.length;
        em.access(out, fbs[front] as number, fbBytes, false);
      },
      teardown(out) {
        em.releaseAll(out);
        fbs.length = 0;
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------------

const vdecParams = z.strictObject({
  width: dimension.default(1920),
  height: dimension.default(1088),
  /** Decoded-picture-buffer frames, each NV12 plus a motion-vector buffer, from dma_alloc_attrs. */
  refFrames: int(1, 32).default(6),
  /** Bitstream bytes of a non-key frame: uniform in [min, max]. */
  bitstreamMinBytes: int(1, 16 << 20).default(8 * 1024),
  bitstreamMaxBytes: int(1, 16 << 20).default(96 * 1024),
  /** Key frames: every N frames, uniform in [keyframeMinBytes, keyframeMaxBytes]. */
  keyframeEvery: int(1, 10000).default(30),
  keyframeMinBytes: int(1, 16 << 20).default(192 * 1024),
  keyframeMaxBytes: int(1, 16 << 20).default(640 * 1024),
  /** Frames a bitstream buffer stays mapped (the decode pipeline depth). */
  holdFrames: int(1, 64).default(2),
  /** Free and reallocate the picture buffers every N frames (a seek or resolution change); 0: never. */
  reallocEvery: int(0, 1_000_000).default(0),
  /** On reallocation, alternate with this resolution (adaptive streaming); null keeps the size. */
  altResolution: z.tuple([dimension, dimension]).nullable().default(null),
});

function vdecChecks<S extends z.ZodType<z.output<typeof vdecParams>>>(s: S) {
  return s
    .refine((p) => p.bitstreamMinBytes <= p.bitstreamMaxBytes, { message: "bitstreamMinBytes must not exceed bitstreamMaxBytes", path: ["bitstreamMinBytes"] })
    .refine((p) => p.keyframeMinBytes <= p.keyframeMaxBytes, { message: "keyframeMinBytes must not exceed keyframeMaxBytes", path: ["keyframeMinBytes"] });
}

const vdec = defineProfile({
  name: "mt8173-vdec",
  description: "video decoder: NV12 reference frames and MV buffers from dma_alloc_attrs, one bitstream buffer per frame via dma_map_single",
  params: vdecChecks(vdecParams),
  create(em, p) {
    let width = p.width;
    let height = p.height;
    let refs: { frame: number; bytes: number }[] = [];
    const dpb: number[] = [];
    const allocDpb = (out: WorkloadEvent[]): void => {
      const frameBytes = nv12Bytes(width, height);
      // One 16x16 macroblock's motion vectors in 64 bytes: the model's guess at an H.264 colocated buffer.
      const mvBytes = alignUp(Math.ceil(width / 16) * Math.ceil(height / 16) * 64, PAGE_SIZE);
      refs = [];
      for (let i = 0; i < p.refFrames; i++) {
        const f = em.alloc(out, frameBytes, `${em.device}:ref${i}`, ["DMA_ATTR_NO_KERNEL_MAPPING"]);
        const mv = em.alloc(out, mvBytes, `${em.device}:mv${i}`, ["DMA_ATTR_NO_KERNEL_MAPPING"]);
        refs.push({ frame: f, bytes: frameBytes });
        dpb.push(f, mv);
      }
    };
    return {
      boot(out) {
        em.alloc(out, 64 * 1024, `${em.device}:working`, []);
        allocDpb(out);
      },
      frame(frame, out) {
        em.releaseDue(out, frame);
        if (p.reallocEvery > 0 && frame > 0 && frame % p.reallocEvery === 0) {
          for (const h of dpb) em.release(out, h);
          dpb.length = 0;
          if (p.altResolution !== null) {
            const [w, h] = width === p.width && height === p.height ? p.altResolution : [p.width, p.height];
            width = w;
            height = h;
          }
          allocDpb(out);
        }
        const key = frame % p.keyframeEvery === 0;
        const bytes = key ? em.rng.range(p.keyframeMinBytes, p.keyframeMaxBytes) : em.rng.range(p.bitstreamMinBytes, p.bitstreamMaxBytes);
        const bs = em.mapSingle(out, bytes, 0, "DMA_TO_DEVICE", `${em.device}:bitstream`, frame + p.holdFrames);
        em.access(out, bs, bytes, false);
        const target = refs[frame % refs.length];
        if (target !== undefined) em.access(out, target.frame, target.bytes, true);
      },
      teardown(out) {
        em.releaseAll(out);
        dpb.length = 0;
        refs = [];
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------------

const vencParams = z.strictObject({
  width: dimension.default(1280),
  height: dimension.default(720),
  /** Reconstructed reference frames, from dma_alloc_attrs. */
  refFrames: int(1, 8).default(2),
  /** Capacity of each output bitstream buffer (dma_map_single, DMA_FROM_DEVICE). */
  bitstreamBytes: int(4096, 16 << 20).default(512 * 1024),
  /** Orders of the scattered pages of each imported input frame (dma_map_sg). */
  inputSegmentOrders: orders.default([0]),
  holdFrames: int(1, 64).default(1),
});

const venc = defineProfile({
  name: "mt8173-venc",
  description: "video encoder: reference frames from dma_alloc_attrs; per frame an imported NV12 input (dma_map_sg) and a bitstream buffer (dma_map_single)",
  params: vencParams,
  create(em, p) {
    const frameBytes = nv12Bytes(p.width, p.height);
    return {
      boot(out) {
        for (let i = 0; i < p.refFrames; i++) em.alloc(out, frameBytes, `${em.device}:recon${i}`, ["DMA_ATTR_NO_KERNEL_MAPPING"]);
      },
      frame(frame, out) {
        em.releaseDue(out, frame);
        const input = em.mapSg(out, frameBytes, p.inputSegmentOrders, "DMA_TO_DEVICE", `${em.device}:input`, frame + p.holdFrames);
        const bs = em.mapSingle(out, p.bitstreamBytes, 0, "DMA_FROM_DEVICE", `${em.device}:bitstream`, frame + p.holdFrames);
        em.access(out, input, frameBytes, false);
        em.access(out, bs, p.bitstreamBytes, true);
      },
      teardown(out) {
        em.releaseAll(out);
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------------

const ringParams = (w: number, h: number, bpp: number, ring: number, remap: boolean, segOrders: number[]) =>
  z.strictObject({
    width: dimension.default(w),
    height: dimension.default(h),
    /** Bytes per pixel times two (NV12 is 3, ARGB 8): integer arithmetic for 1.5 bytes per pixel. */
    halfBytesPerPixel: int(1, 16).default(bpp),
    /** Buffers in the ring. */
    buffers: int(1, 64).default(ring),
    /** USERPTR / dma-buf import style: map each buffer when it is queued and unmap it when it is reused. */
    remapEachFrame: z.boolean().default(remap),
    /** Orders of the scattered blocks behind each buffer (vb2-dma-sg style). */
    segmentOrders: orders.default(segOrders),
    dir: direction.default("DMA_FROM_DEVICE"),
  });

function ringModel(em: DeviceEmitter, p: z.output<ReturnType<typeof ringParams>>, label: string): DeviceModel {
  const bytes = alignUp(Math.ceil((p.width * p.height * p.halfBytesPerPixel) / 2), PAGE_SIZE);
  const slots: (number | null)[] = new Array<number | null>(p.buffers).fill(null);
  return {
    boot(out) {
      if (p.remapEachFrame) return;
      for (let i = 0; i < p.buffers; i++) slots[i] = em.mapSg(out, bytes, p.segmentOrders, p.dir, `${em.device}:${label}${i}`);
    },
    frame(frame, out) {
      const i = frame % p.buffers;
      if (p.remapEachFrame) {
        const old = slots[i];
        if (old !== null && old !== undefined) em.release(out, old);
        slots[i] = em.mapSg(out, bytes, p.segmentOrders, p.dir, `${em.device}:${label}${i}`);
      }
      const h = slots[i];
      if (h !== null && h !== undefined) em.access(out, h, bytes, p.dir !== "DMA_TO_DEVICE");
    },
    teardown(out) {
      em.releaseAll(out);
      slots.fill(null);
    },
  };
}

const cameraParams = ringParams(1280, 720, 3, 8, true, [0, 0, 0, 1, 2]);
const mdpParams = ringParams(720, 480, 8, 3, true, [0]);

const camera = defineProfile({
  name: "mt8173-camera",
  description: "camera preview: a ring of NV12 capture buffers of scattered pages via dma_map_sg (remapped per frame, USERPTR style, by default)",
  params: cameraParams,
  create: (em, p) => ringModel(em, p, "capture"),
});

const mdp = defineProfile({
  name: "mt8173-mdp",
  description: "MDP scaler/rotator: per frame an imported ARGB output of scattered pages via dma_map_sg, held for the ring depth",
  params: mdpParams,
  create: (em, p) => ringModel(em, p, "out"),
});

// ---------------------------------------------------------------------------------------------------
// The same masters on other SoCs: the MT8173 generators with the SoC's resolutions as defaults.

/** Width and height of one master's buffers on a SoC. */
type Size = readonly [number, number];

/**
 * Per-SoC default resolutions. These are the model's choices for a typical use of each board, not
 * driver limits: scanout at the panel or external display the board class ships with, decode at the
 * largest size the SoC's codec is marketed for (4K as 3840x2176, the 2160 lines padded to the decoder's
 * 64-line alignment; 1080p as 1920x1088), encode at the camera's video mode. Panels and camera sensors
 * are [unverified] vendor figures; the SoC's own DT has no such numbers.
 */
interface SocMasters {
  readonly display?: Size;
  readonly vdec?: Size;
  readonly venc?: Size;
  readonly camera?: Size;
  readonly mdp?: Size;
}

export const SOC_MASTER_SIZES: Readonly<Record<string, SocMasters>> = {
  /** 4K60 external display and 4K decode on cherry; encode at 1080p; MDP scales to 1080p. */
  mt8195: { display: [3840, 2160], vdec: [3840, 2176], venc: [1920, 1080], mdp: [1920, 1080] },
  /** asurada 11.6-13.3" 1080p panels; 4K decode; 5 MP camera in video mode (2592x1944). */
  mt8192: { display: [1920, 1080], vdec: [3840, 2176], venc: [1920, 1080], camera: [2592, 1944], mdp: [1920, 1080] },
  /** kukui (Lenovo Duet) 1920x1200 panel; 1080p codec. */
  mt8183: { display: [1920, 1200], vdec: [1920, 1088], venc: [1920, 1080], camera: [1920, 1080], mdp: [1280, 720] },
  mt8186: { display: [1920, 1080], vdec: [1920, 1088], venc: [1920, 1080], camera: [1920, 1080], mdp: [1280, 720] },
  mt8188: { display: [1920, 1200], vdec: [3840, 2176], venc: [1920, 1080], mdp: [1920, 1080] },
  /** Automotive: a 1920x720 cluster display, 1080p decode, a 720p rear camera encoded at 720p. */
  mt2712: { display: [1920, 720], vdec: [1920, 1088], venc: [1280, 720], camera: [1280, 720], mdp: [1280, 720] },
  /** Phone: 2400x1080 panel, 4K decode and encode, 12 MP (4000x3000) preview buffers. */
  mt6893: { display: [2400, 1080], vdec: [3840, 2176], venc: [3840, 2160], camera: [4000, 3000], mdp: [2400, 1080] },
  /** Nexus 7 (2013): 1920x1200 panel on the MDP's IOMMU ports. */
  apq8064: { display: [1920, 1200] },
};

/** The schema with other width/height defaults: the same keys and types, so the cast keeps its shape. */
function sized<S extends z.ZodObject>(schema: S, [w, h]: Size): S {
  return schema.extend({ width: dimension.default(w), height: dimension.default(h) }) as unknown as S;
}

function socProfiles(soc: string, m: SocMasters): DeviceProfile[] {
  const out: DeviceProfile[] = [];
  const alias = (kind: string, base: DeviceProfile, params: z.ZodType<Record<string, unknown>>, size: Size): void => {
    out.push({ name: `${soc}-${kind}`, description: `${soc.toUpperCase()} ${base.description} (default ${size[0]}x${size[1]})`, params, create: base.create });
  };
  if (m.display) alias("display", display, sized(displayParams, m.display), m.display);
  if (m.vdec) alias("vdec", vdec, vdecChecks(sized(vdecParams, m.vdec)), m.vdec);
  if (m.venc) alias("venc", venc, sized(vencParams, m.venc), m.venc);
  if (m.camera) alias("camera", camera, sized(cameraParams, m.camera), m.camera);
  if (m.mdp) alias("mdp", mdp, sized(mdpParams, m.mdp), m.mdp);
  return out;
}

// ---------------------------------------------------------------------------------------------------

export const churnParams = z
  .strictObject({
    /** Name of the device the churn is attributed to (must not clash with a declared device). */
    device: z.string().min(1).max(64).default("background"),
    /** Expected new mappings per frame; the fractional part is a probability. */
    mapsPerFrame: z.number().min(0).max(64).default(1),
    /** Mapping size: uniform in [minBytes, maxBytes]. */
    minBytes: int(1, 64 << 20).default(4096),
    maxBytes: int(1, 64 << 20).default(64 * 1024),
    /** Lifetime in frames: uniform in [min, max]. */
    holdFrames: z.tuple([int(1, 1_000_000), int(1, 1_000_000)]).default([1, 60]),
    api: z.enum(["map-single", "map-sg"]).default("map-single"),
    /** Orders of the scattered blocks for map-sg. */
    segmentOrders: orders.default([0]),
    /** Each new mapping is read by the device once. */
    access: z.boolean().default(false),
  })
  .refine((c) => c.minBytes <= c.maxBytes, { message: "must not exceed maxBytes", path: ["minBytes"] })
  .refine((c) => c.holdFrames[0] <= c.holdFrames[1], { message: "minimum must not exceed maximum", path: ["holdFrames"] });

export type ChurnParams = z.output<typeof churnParams>;

/** Short-lived mappings of random sizes and lifetimes: they scatter small mappings over the IOVA space. */
export function churnModel(em: DeviceEmitter, c: ChurnParams): DeviceModel {
  return {
    boot() {},
    frame(frame, out) {
      em.releaseDue(out, frame);
      let n = Math.floor(c.mapsPerFrame);
      if (em.rng.chance(c.mapsPerFrame - n)) n++;
      for (let k = 0; k < n; k++) {
        const bytes = em.rng.range(c.minBytes, c.maxBytes);
        const until = frame + em.rng.range(c.holdFrames[0], c.holdFrames[1]);
        const h =
          c.api === "map-single"
            ? em.mapSingle(out, bytes, 0, "DMA_BIDIRECTIONAL", `${em.device}:churn`, until)
            : em.mapSg(out, bytes, c.segmentOrders, "DMA_BIDIRECTIONAL", `${em.device}:churn`, until);
        if (c.access) em.access(out, h, c.api === "map-sg" ? alignUp(bytes, PAGE_SIZE) : bytes, false);
      }
    },
    teardown(out) {
      em.releaseAll(out);
    },
  };
}

// ---------------------------------------------------------------------------------------------------

export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  display,
  vdec,
  venc,
  camera,
  mdp,
  ...Object.entries(SOC_MASTER_SIZES).flatMap(([soc, m]) => socProfiles(soc, m)),
];

export const PROFILE_NAMES: readonly string[] = DEVICE_PROFILES.map((p) => p.name);

/** Throws RangeError naming the known profiles when `name` is not one. */
export function deviceProfile(name: string): DeviceProfile {
  const p = DEVICE_PROFILES.find((x) => x.name === name);
  if (p === undefined) throw new RangeError(`unknown device profile "${name}" (known: ${PROFILE_NAMES.join(", ")})`);
  return p;
}

// ---------------------------------------------------------------------------------------------------
// Custom buffers: a device described in the scenario file itself

const pageMultiple = z.number().refine((v) => Number.isSafeInteger(v) && v > 0 && v % SZ_4K === 0 && v <= 256 << 20, {
  message: "must be a positive multiple of 4096 (at most 256 MiB)",
});

export const bufferSpec = z
  .strictObject({
    name: z.string().min(1).max(64),
    api: z.enum(["alloc", "map-single", "map-sg"]),
    /** Size of each instance; with minBytes, the largest size. */
    bytes: pageMultiple,
    /** map-single / map-sg: each instance's size is uniform in [minBytes, bytes]. */
    minBytes: int(1, 256 << 20).optional(),
    count: int(1, 256).default(1),
    /** persistent: created at boot, released at teardown; frame: created during steady state. */
    lifetime: z.enum(["persistent", "frame"]).default("persistent"),
    /** frame: create the instances every N frames. */
    every: int(1, 1_000_000).optional(),
    /** frame: frames an instance lives. */
    holdFrames: int(1, 1_000_000).optional(),
    dir: direction.optional(),
    /** alloc only. */
    attrs: z.array(z.enum(DMA_ATTRS as [DmaAttr, ...DmaAttr[]])).optional(),
    /** alloc only. */
    gfp: z.enum(["GFP_KERNEL", "GFP_ATOMIC"]).optional(),
    /** map-single only: the buffer starts this many bytes into its first page. */
    offset: int(0, SZ_4K - 1).optional(),
    /** map-sg only. */
    segmentOrders: orders.optional(),
    /** The device reads or writes a window of an instance every frame (persistent) or once (frame). */
    access: z.enum(["none", "read", "write"]).default("none"),
  })
  .superRefine((b, ctx) => {
    const only = (field: keyof typeof b, apis: readonly string[]): void => {
      if (b[field] !== undefined && !apis.includes(b.api)) {
        ctx.addIssue({ code: "custom", path: [field], message: `applies only to api ${apis.map((a) => `"${a}"`).join(" or ")}` });
      }
    };
    only("minBytes", ["map-single", "map-sg"]);
    only("attrs", ["alloc"]);
    only("gfp", ["alloc"]);
    only("offset", ["map-single"]);
    only("segmentOrders", ["map-sg"]);
    if (b.lifetime !== "frame") {
      for (const f of ["every", "holdFrames"] as const) {
        if (b[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: 'applies only to lifetime "frame"' });
      }
    }
    if (b.minBytes !== undefined && b.minBytes > b.bytes) ctx.addIssue({ code: "custom", path: ["minBytes"], message: "must not exceed bytes" });
  });

export type BufferSpec = z.output<typeof bufferSpec>;

export function customModel(em: DeviceEmitter, buffers: readonly BufferSpec[]): DeviceModel {
  const persistent: { handle: number; bytes: number; spec: BufferSpec }[] = [];
  const create = (out: WorkloadEvent[], b: BufferSpec, i: number, releaseAt: number): { handle: number; bytes: number } => {
    const tag = `${em.device}:${b.name}${b.count > 1 ? i : ""}`;
    const dir = b.dir ?? "DMA_BIDIRECTIONAL";
    const bytes = b.minBytes !== undefined ? em.rng.range(b.minBytes, b.bytes) : b.bytes;
    switch (b.api) {
      case "alloc":
        return { handle: em.alloc(out, b.bytes, tag, b.attrs ?? [], b.gfp ?? "GFP_KERNEL", releaseAt), bytes: b.bytes };
      case "map-single":
        return { handle: em.mapSingle(out, bytes, b.offset ?? 0, dir, tag, releaseAt), bytes };
      case "map-sg":
        return { handle: em.mapSg(out, bytes, b.segmentOrders ?? [0], dir, tag, releaseAt), bytes: alignUp(bytes, PAGE_SIZE) };
    }
  };
  return {
    boot(out) {
      for (const b of buffers) {
        if (b.lifetime !== "persistent") continue;
        for (let i = 0; i < b.count; i++) persistent.push({ ...create(out, b, i, Infinity), spec: b });
      }
    },
    frame(frame, out) {
      em.releaseDue(out, frame);
      for (const b of buffers) {
        if (b.lifetime === "frame") {
          if (frame % (b.every ?? 1) !== 0) continue;
          for (let i = 0; i < b.count; i++) {
            const c = create(out, b, i, frame + (b.holdFrames ?? 1));
            if (b.access !== "none") em.access(out, c.handle, c.bytes, b.access === "write");
          }
        }
      }
      for (const p of persistent) {
        if (p.spec.access !== "none") em.access(out, p.handle, p.bytes, p.spec.access === "write");
      }
    },
    teardown(out) {
      em.releaseAll(out);
      persistent.length = 0;
    },
  };
}
