// SPDX-License-Identifier: GPL-2.0-only
/**
 * The per-IOMMU-instance, per-domain and per-device breakdown of a comparison (StrategyResult.breakdown,
 * present on systems with several M4Us or domains): its JSON schema, a terminal section and an HTML
 * section. Renders only; the figures come from src/lab/domains.ts.
 */
import { z } from "zod";
import { bytes, hex } from "../core/u32.ts";
import type { Breakdown, ComparisonReport, StrategyResult } from "../lab/types.ts";
import { esc } from "./escape.ts";

const count = z.number().int().nonnegative();
const addr = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 40);

export const BreakdownSchema = z.strictObject({
  instances: z.array(
    z.strictObject({ name: z.string(), compatible: z.string(), ptBase: count, l1Pa: addr, translations: count, tlbMisses: count, faults: count }),
  ),
  domains: z.array(
    z.strictObject({
      id: z.string(),
      instance: z.string(),
      instances: z.array(z.string()),
      region: z.string(),
      apertureStart: addr,
      apertureEnd: addr,
      ias: z.number().int().min(32).max(34),
      oas: z.number().int().min(32).max(35),
      l1Bytes: count,
      ttbrExt: z.boolean(),
      sharesTableOf: z.string().nullable(),
      created: z.boolean(),
      refusal: z.string().nullable(),
      l1Pa: addr.nullable(),
      l1Zone: z.string().nullable(),
      l2Tables: count,
      mapCalls: count,
      mapFailures: count,
      unmapCalls: count,
      bytesMapped: count,
      masters: z.array(z.string()),
    }),
  ),
  devices: z.array(
    z.strictObject({ device: z.string(), domain: z.string(), instance: z.string(), routed: z.boolean(), maps: count, mapErrors: count, bufferFailures: count }),
  ),
});

export const WhereFailedSchema = z.array(
  z.strictObject({
    strategy: z.string(),
    domains: z.array(z.strictObject({ id: z.string(), instances: z.array(z.string()), refused: z.boolean(), mapFailures: count })),
    instances: z.array(z.strictObject({ name: z.string(), faults: count })),
  }),
);

type WithBreakdown = StrategyResult & { readonly breakdown: Breakdown };

function withBreakdown(results: readonly StrategyResult[]): WithBreakdown[] {
  return results.filter((r): r is WithBreakdown => r.breakdown !== undefined);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)];
}

function tableOf(d: Breakdown["domains"][number]): string {
  if (!d.created) return "not created";
  return d.sharesTableOf === null ? "own" : `shares ${d.sharesTableOf}`;
}

/** The layout rows: what every strategy's run has in common (instances, regions, table sharing). */
function layoutRows(b: Breakdown): string[][] {
  return b.domains.map((d) => [
    d.id,
    d.instances.join("+"),
    `${hex(d.apertureStart)}-${hex(d.apertureEnd)}`,
    String(d.ias),
    bytes(d.l1Bytes),
    d.ttbrExt ? "yes" : "no",
    tableOf(d),
  ]);
}

/** Terminal lines for the breakdown; empty when no result has one. */
export function renderBreakdownText(report: ComparisonReport): string[] {
  const rs = withBreakdown(report.results);
  const first = rs[0];
  if (first === undefined) return [];
  const out: string[] = ["IOMMU instances and domains"];
  const b = first.breakdown;
  out.push(...table(["domain", "M4Us", "IOVA aperture", "ias", "L1", "TTBR_EXT", "table"], layoutRows(b)));
  const owners = b.domains.filter((d) => d.sharesTableOf === null).length;
  out.push(
    `${b.instances.length} M4U${b.instances.length === 1 ? "" : "s"} (${b.instances.map((i) => `${i.name} ${i.compatible}`).join(", ")}), ${b.domains.length} domains, ${owners} v7s table${owners === 1 ? "" : "s"} per strategy`,
    "",
  );
  out.push("Per domain: map calls / failures, and where the first table's L1 landed");
  const ids = b.domains.map((d) => d.id);
  out.push(
    ...table(
      ["strategy", "L1", ...ids],
      rs.map((r) => {
        const own = r.breakdown.domains.find((d) => d.created && d.sharesTableOf === null);
        const l1 = own === undefined || own.l1Pa === null ? "none" : `${hex(own.l1Pa)} ${own.l1Zone ?? ""}`.trimEnd();
        return [r.strategy, l1, ...ids.map((id) => cell(r.breakdown.domains.find((d) => d.id === id)))];
      }),
    ),
    "",
  );
  const devices = [...new Set(rs.flatMap((r) => r.breakdown.devices.map((d) => d.device)))];
  if (devices.length > 0) {
    out.push("Per device: DMA mappings / errors (device → domain via M4U)");
    out.push(`  ${devices.map((n) => routeOf(first, n)).join(", ")}`);
    out.push(
      ...table(
        ["strategy", ...devices],
        rs.map((r) => [r.strategy, ...devices.map((n) => deviceCell(r.breakdown.devices.find((d) => d.device === n)))]),
      ),
      "",
    );
  }
  return out;
}

function cell(d: Breakdown["domains"][number] | undefined): string {
  if (d === undefined) return "–";
  if (!d.created) return "refused";
  return `${d.mapCalls}/${d.mapFailures}`;
}

function deviceCell(d: Breakdown["devices"][number] | undefined): string {
  return d === undefined ? "–" : `${d.maps}/${d.mapErrors + d.bufferFailures}`;
}

function routeOf(r: WithBreakdown, device: string): string {
  const d = r.breakdown.devices.find((x) => x.device === device);
  if (d === undefined) return device;
  return `${device} → ${d.domain} via ${d.instance}${d.routed ? "" : " (not a master of the platform: the first domain)"}`;
}

/** The HTML section for the breakdown; "" when no result has one. */
export function renderBreakdownHtml(report: ComparisonReport): string {
  const rs = withBreakdown(report.results);
  const first = rs[0];
  if (first === undefined) return "";
  const row = (cells: readonly string[], tag = "td"): string => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join("")}</tr>`;
  const b = first.breakdown;
  const ids = b.domains.map((d) => d.id);
  const devices = [...new Set(rs.flatMap((r) => r.breakdown.devices.map((d) => d.device)))];
  return [
    `<section id="domains"><h2>IOMMU instances and domains</h2>`,
    `<table>`,
    row(["domain", "M4Us", "IOVA aperture", "ias", "L1", "TTBR_EXT", "table"], "th"),
    ...layoutRows(b).map((r) => row(r)),
    `</table>`,
    `<p>${esc(b.instances.map((i) => `${i.name}: ${i.compatible}`).join("; "))}</p>`,
    `<h3>Map calls / failures per domain</h3><table>`,
    row(["strategy", ...ids], "th"),
    ...rs.map((r) => row([r.strategy, ...ids.map((id) => cell(r.breakdown.domains.find((d) => d.id === id)))])),
    `</table>`,
    ...(devices.length === 0
      ? []
      : [
          `<h3>DMA mappings / errors per device</h3><p>${esc(devices.map((n) => routeOf(first, n)).join(", "))}</p><table>`,
          row(["strategy", ...devices], "th"),
          ...rs.map((r) => row([r.strategy, ...devices.map((n) => deviceCell(r.breakdown.devices.find((d) => d.device === n)))])),
          `</table>`,
        ]),
    `</section>`,
  ].join("\n");
}
