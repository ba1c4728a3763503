// SPDX-License-Identifier: GPL-2.0-only
/** `iommu-lab platforms` (declared in commands/index.ts): one summary per preset. */
import { allPlatforms } from "../../phys/platform.ts";
import { platformSummary } from "../../phys/summary.ts";
import { ascii, fitWidth } from "../../report/ascii.ts";
import { wrap } from "../../report/format.ts";
import { textFormat } from "../output.ts";

/** platformSummary pads the name to 18 columns and a space: the rest is the description. */
const NAME_COLUMNS = 19;

export function action(flags: { format?: string } = {}): void {
  const format = textFormat(flags);
  const all = allPlatforms().map((p) => ({ name: p.name, rest: platformSummary(p).slice(NAME_COLUMNS) }));
  if (format === "markdown") {
    process.stdout.write(all.map((p) => `- \`${p.name}\`: ${p.rest}\n`).join(""));
    return;
  }
  // Terminal 100 columns, mail text 72: the description wraps under itself.
  const width = format === "text" ? 72 : 100;
  const lines = all.flatMap((p) => wrap(format === "text" ? ascii(p.rest) : p.rest, width, p.name.padEnd(NAME_COLUMNS - 1) + " ", " ".repeat(NAME_COLUMNS)));
  process.stdout.write(fitWidth(lines.join("\n"), width) + "\n");
}
