// SPDX-License-Identifier: GPL-2.0-only
/**
 * One call that boots the kernel memory model: physical memory, zones, the buddy allocator, background
 * load. Kept for existing callers; it skips the memblock reservations and the device-probe step of the
 * kernel's order (boot.ts: KernelBoot / bootKernel), so its managed pages equal present pages and any
 * IOMMU domain its caller creates afterwards is created after the background load.
 */
import { era as eraByName, type Era } from "../core/era.ts";
import { Rng } from "../core/rng.ts";
import { PhysMemory } from "../phys/memory.ts";
import { platform as platformByName, type Platform } from "../phys/platform.ts";
import { zonesFor, type Zone } from "../phys/zones.ts";
import { applyBackgroundLoad, type BackgroundLoad, type BackgroundPreset } from "./background.ts";
import { BuddyAllocator } from "./buddy.ts";

export interface KernelMemoryOptions {
  /** A Platform or a preset name ("mt8173-elm-4g"). */
  readonly platform: Platform | string;
  /** An Era or its name ("v4.19"). */
  readonly era: Era | string;
  /** Background load preset; "none" by default. */
  readonly background?: BackgroundPreset;
  /** Seed for the background load (default 1). */
  readonly seed?: number;
  /** Overrides min_free_kbytes. */
  readonly minFreeKbytes?: number;
}

export interface KernelMemory {
  readonly platform: Platform;
  readonly era: Era;
  readonly phys: PhysMemory;
  readonly zones: readonly Zone[];
  readonly buddy: BuddyAllocator;
  readonly background: BackgroundLoad;
  /** The background's own random stream, for `background.step(rng)` during a run. */
  readonly backgroundRng: Rng;
}

export function bootKernelMemory(opts: KernelMemoryOptions): KernelMemory {
  const platform = typeof opts.platform === "string" ? platformByName(opts.platform) : opts.platform;
  const era = typeof opts.era === "string" ? eraByName(opts.era) : opts.era;
  const phys = new PhysMemory(platform);
  const zones = zonesFor(platform, era);
  const buddy = new BuddyAllocator(phys, zones, era, opts.minFreeKbytes === undefined ? {} : { minFreeKbytes: opts.minFreeKbytes });
  const backgroundRng = new Rng(opts.seed ?? 1).fork(0x6b6d);
  const background = applyBackgroundLoad(buddy, opts.background ?? "none", backgroundRng);
  return { platform, era, phys, zones, buddy, background, backgroundRng };
}
