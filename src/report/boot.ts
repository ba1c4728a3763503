// SPDX-License-Identifier: GPL-2.0-only
/**
 * The boot timeline of a comparison, short: the memblock reservations (the same for every strategy),
 * where device probe fell, the analysis's sentence on what that meant for the L1s, and mtk_iommu's
 * domain allocation attempts per strategy. Empty for a report without boot steps.
 */
import type { Answer } from "../analysis/index.ts";
import { bytes, hexGrouped } from "../core/u32.ts";
import type { BootStepOut, ComparisonReport, StrategyResult } from "../lab/types.ts";
import { esc } from "./escape.ts";
import { wrap } from "./format.ts";

function memblockLine(step: BootStepOut): string {
  const regions = step.allocated.map(
    (a) => `${a.what} ${bytes(a.bytes)} at ${a.where === null ? "?" : hexGrouped(a.where)}${a.zone === null ? "" : ` (${a.zone})`}`,
  );
  return regions.length === 0 ? "no reservations modelled" : regions.join("; ");
}

function attemptsText(r: StrategyResult): string {
  const d = r.domainProbe;
  if (d === null) return "refused before any master was added (its kernel messages say why)";
  if (!d.succeeded) return `${d.failures} of ${d.attempts} attempts failed: no domain, ${d.masters} masters on platform DMA ops`;
  if (d.failures === 0) return `attempt 1 created the domain (${d.createdBy}); all ${d.masters} masters attached`;
  return `${d.failures} attempt(s) failed, attempt ${d.createdAtAttempt} (${d.createdBy}) created the domain; ${d.withoutIommu.length} masters on platform DMA ops`;
}

function stepOrder(steps: readonly BootStepOut[]): string {
  return steps.map((s) => `${s.timeIndex} ${s.step}`).join(", ");
}

/** Terminal lines (no trailing blank line); [] when the report has no boot steps. */
export function renderBootText(report: ComparisonReport, answer: Answer, width: number): string[] {
  const first = report.results.find((r) => r.boot.length > 0);
  if (first === undefined) return [];
  const out: string[] = ["Boot"];
  const memblock = first.boot.find((s) => s.step === "memblock");
  if (memblock !== undefined) {
    out.push(...wrap(memblockLine(memblock), width, "  memblock    ", " ".repeat(14)));
    for (const m of memblock.messages) out.push(...wrap(m, width, " ".repeat(14), " ".repeat(16)));
  }
  const orders = [...new Set(report.results.filter((r) => r.boot.length > 0).map((r) => stepOrder(r.boot)))];
  for (const o of orders) out.push(...wrap(o, width, "  steps       ", " ".repeat(14)));
  for (const t of answer.boot.timing) out.push(...wrap(t, width, "  ", "  "));
  const name = Math.max(...report.results.map((r) => r.strategy.length));
  out.push("  mtk_iommu domain allocation while the masters are added:");
  for (const r of report.results) out.push(...wrap(attemptsText(r), width, `    ${r.strategy.padEnd(name)}  `, " ".repeat(name + 6)));
  for (const d of answer.boot.devices) out.push(...wrap(`${d.strategy}: ${d.outcome}`, width, "  - ", "    "));
  return out;
}

/** The HTML section; "" when the report has no boot steps. */
export function renderBootHtml(report: ComparisonReport, answer: Answer): string {
  const first = report.results.find((r) => r.boot.length > 0);
  if (first === undefined) return "";
  const out: string[] = [`<section id="boot"><h2>Boot</h2>`];
  const memblock = first.boot.find((s) => s.step === "memblock");
  if (memblock !== undefined) out.push(`<p class="memblock"><strong>memblock</strong>: ${esc(memblockLine(memblock))}</p>`);
  for (const t of answer.boot.timing) out.push(`<p class="timing">${esc(t)}</p>`);
  out.push(
    `<div class="table-wrap"><table class="boot"><thead><tr><th scope="col">strategy</th><th scope="col">steps</th><th scope="col">domain allocation</th></tr></thead><tbody>`,
  );
  for (const r of report.results) {
    const d = r.domainProbe;
    const data = d === null ? "" : ` data-attempts="${d.attempts}" data-failures="${d.failures}" data-succeeded="${d.succeeded}"`;
    out.push(
      `<tr data-strategy="${esc(r.strategy)}"${data}><th scope="row">${esc(r.strategy)}</th><td>${esc(stepOrder(r.boot))}</td><td>${esc(attemptsText(r))}</td></tr>`,
    );
  }
  out.push(`</tbody></table></div>`);
  if (answer.boot.devices.length > 0) {
    out.push(`<ul class="devices">`);
    for (const d of answer.boot.devices) out.push(`<li data-strategy="${esc(d.strategy)}"><strong>${esc(d.strategy)}</strong>: ${esc(d.outcome)}</li>`);
    out.push(`</ul>`);
  }
  out.push(`</section>`);
  return out.join("\n");
}
