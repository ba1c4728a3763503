// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { allPlatforms } from "../../phys/platform.ts";
import { platformSummary } from "../../phys/summary.ts";

export const DESCRIPTION = "List the platform presets with RAM, CPUs, IOMMU instances, domains and the eras that support each SoC";

/** The command's action: one summary line per preset. */
export function action(): void {
  process.stdout.write(allPlatforms().map((p) => `${platformSummary(p)}\n`).join(""));
}

export function register(program: Command): void {
  program.command("platforms").description(DESCRIPTION).action(action);
}
