// SPDX-License-Identifier: GPL-2.0-only
/** `iommu-lab platforms` (declared in commands/index.ts): one summary line per preset. */
import { allPlatforms } from "../../phys/platform.ts";
import { platformSummary } from "../../phys/summary.ts";

export function action(): void {
  process.stdout.write(allPlatforms().map((p) => `${platformSummary(p)}\n`).join(""));
}
