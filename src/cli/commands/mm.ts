// SPDX-License-Identifier: GPL-2.0-only
import { bytes, hexGrouped } from "../../core/u32.ts";
import { KernelBoot } from "../../mm/boot.ts";
import { ascii, fitWidth } from "../../report/ascii.ts";
import { wrap } from "../../report/format.ts";
import { resolveMachine } from "../../lab/spec.ts";
import { machineFlags } from "../options.ts";
import { textFormat } from "../output.ts";

interface MmFlags {
  era?: string;
  platform?: string;
  platformFile?: string;
  background?: string;
  seed?: string;
  format?: string;
}

const PAGE = 4096;

/**
 * `mm`: the kernel memory a run starts from, booted in the kernel's order (mm/boot.ts): the memblock
 * reservations and where they sit, then the zones, watermarks and free lists after the background load.
 */
/** Rows of cells as left-aligned columns two spaces apart. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** `mm`: the zones, watermarks and free lists a run starts from. */
export function action(flags: MmFlags): void {
  const format = textFormat(flags);
  const p = machineFlags(flags);
  // Booted in the kernel's order (mm/boot.ts): memblock reservations first, so managed = present - reserved.
  const boot = new KernelBoot({ platform: resolveMachine(p).platform, era: p.era, seed: p.seed });
  const memblock = boot.reserveMemblock();
  boot.initBuddy();
  boot.loadBackground(p.background);
  const km = boot.kernelMemory();
  const title = `${km.platform.name}, Linux ${km.era.name} (${km.era.zones}), background "${p.background}", seed ${p.seed}`;
  const zones = km.buddy.zoneStates();
  const head = ["zone", "span", "present", "managed", "free", "min/low/high", "lowmem_reserve"];
  const rows = zones.map((z) => [
    z.name,
    z.endPfn > z.startPfn ? `${hexGrouped(z.startPfn * PAGE)}-${hexGrouped(z.endPfn * PAGE)}` : "empty",
    bytes((z.endPfn - z.startPfn) * PAGE),
    bytes(z.managedPages * PAGE),
    bytes(z.freePages * PAGE),
    `${z.min}/${z.low}/${z.high}`,
    `[${z.lowmemReserve.join(", ")}]`,
  ]);
  const reserved = [
    "memblock reservations (top-down, before the buddy; not managed by it):",
    ...(memblock.allocated.length === 0 ? ["  none modelled"] : []),
    ...columns(
      memblock.allocated.map((r) => [
        `  ${r.what}`,
        r.where === null ? "?" : `${hexGrouped(r.where)}-${hexGrouped(r.where + r.bytes)}`,
        bytes(r.bytes),
        r.zone ?? "outside every zone",
      ]),
    ),
    ...memblock.messages.map((m) => `  ${m}`),
    "",
  ];
  const buddyinfo = km.buddy.buddyinfo().trimEnd();
  if (format === "markdown") {
    const out = [
      `## ${title}`,
      "",
      ...reserved.map((l) => l.trimEnd()),
      `| ${head.join(" | ")} |`,
      `|${head.map(() => "---").join("|")}|`,
      ...rows.map((r) => `| ${r.join(" | ")} |`),
    ];
    out.push("", "```", buddyinfo, "```");
    process.stdout.write(out.join("\n") + "\n");
    return;
  }
  if (format === "text") {
    // 72 columns: the zone table in two halves, and free blocks per order as wrapped lists, since a
    // buddyinfo line (eleven 7-column orders) is wider than a mail line.
    const out = [...wrap(ascii(title), 72, "", "  "), "", ...reserved];
    out.push(...columns([head.slice(0, 4), ...rows.map((r) => r.slice(0, 4))]), "");
    out.push(...columns([[head[0] ?? "", ...head.slice(4)], ...rows.map((r) => [r[0] ?? "", ...r.slice(4)])]), "");
    out.push("free blocks per order (/proc/buddyinfo, orders 0 up)");
    for (const z of zones.filter((s) => s.managedPages > 0))
      out.push(...wrap(km.buddy.freeCounts(z.name).join(" "), 72, `  ${z.name.padEnd(8)}`, " ".repeat(10)));
    process.stdout.write(fitWidth(out.map(ascii).join("\n"), 72) + "\n");
    return;
  }
  process.stdout.write([title, "", ...reserved, ...columns([head, ...rows]), "", buddyinfo].join("\n") + "\n");
}
