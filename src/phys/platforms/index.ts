// SPDX-License-Identifier: GPL-2.0-only
/** The preset catalogue, in `iommu-lab platforms` order: the MT8173 boards first (the model's default). */
import type { Platform } from "../platform.ts";
import { APQ8064 } from "./apq8064.ts";
import { GENERIC } from "./generic.ts";
import { MT2712 } from "./mt2712.ts";
import { MT6893 } from "./mt6893.ts";
import { MT8173 } from "./mt8173.ts";
import { MT8183 } from "./mt8183.ts";
import { MT8186 } from "./mt8186.ts";
import { MT8188 } from "./mt8188.ts";
import { MT8192 } from "./mt8192.ts";
import { MT8195 } from "./mt8195.ts";

export const PRESETS: readonly Platform[] = [...MT8173, ...GENERIC, ...MT8195, ...MT8192, ...MT8183, ...MT8186, ...MT8188, ...MT2712, ...MT6893, ...APQ8064];
