// SPDX-License-Identifier: GPL-2.0-only
/** A generic arm64 board (no SoC behind it): the model's MT8173-like M4U on an 8 GiB map. */
import type { Platform } from "../platform.ts";

export const GENERIC: readonly Platform[] = [
  {
    name: "arm64-8g",
    description: "Generic arm64 board with 8 GiB at 0x8000_0000-0x2_8000_0000 (2 GiB below 4 GiB), 8 CPUs",
    ram: [{ start: 0x8000_0000, end: 0x2_8000_0000 }],
    cpus: 8,
    iommu4gbMode: false,
    dmaRangesLimit: null,
  },
];
