// SPDX-License-Identifier: GPL-2.0-only
/**
 * Device faults as the report shows them: each fault once, with the traced map and unmap that covered
 * its IOVA (the same for every strategy: they come from the trace), then each strategy's verdict.
 * Terminal text (ASCII) and an HTML section whose cells carry data-field / data-value like the rest.
 */
import { bytes, hex } from "../core/u32.ts";
import type { FaultAttribution, StrategyResult, TraceCallRef } from "../lab/types.ts";
import { esc } from "./escape.ts";
import { wrap } from "./format.ts";

interface FaultRow {
  readonly first: FaultAttribution;
  readonly verdicts: { readonly strategy: string; readonly f: FaultAttribution }[];
}

/** Faults keyed by their input and line, in the order the first strategy judged them. */
function faultRows(results: readonly StrategyResult[]): FaultRow[] {
  const rows = new Map<string, { first: FaultAttribution; verdicts: { strategy: string; f: FaultAttribution }[] }>();
  for (const r of results) {
    for (const f of r.deviceFaults ?? []) {
      const key = `${f.origin}:${f.line}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = { first: f, verdicts: [] };
        rows.set(key, row);
      }
      row.verdicts.push({ strategy: r.strategy, f });
    }
  }
  return [...rows.values()];
}

function seconds(ts: number | null): string {
  return ts === null ? "" : ` at ${ts.toFixed(6)} s`;
}

function call(c: TraceCallRef | null): string {
  if (c === null) return "none";
  const to = c.paddr === null ? "" : ` -> ${hex(c.paddr)}`;
  return `line ${c.line}${seconds(c.ts)}: ${hex(c.iova)} + ${bytes(c.size)}${to}`;
}

function faultTitle(f: FaultAttribution): string {
  const input = f.origin === "trace" ? "trace io_page_fault" : "pasted fault";
  const dev = f.device === "" ? "" : ` by ${f.device}`;
  return `${input} line ${f.line}${seconds(f.timestamp)}: ${f.write ? "write" : "read"} of ${hex(f.iova)}${dev}`;
}

/** The terminal section (empty when no result has device faults); `limit` faults shown. */
export function renderFaultsText(results: readonly StrategyResult[], width: number, limit = 5): string[] {
  const rows = faultRows(results);
  if (rows.length === 0) return [];
  const out = ["Device faults"];
  for (const row of rows.slice(0, limit)) {
    const f = row.first;
    out.push(...wrap(faultTitle(f), width, "  ", "    "));
    out.push(...wrap(`last map    ${call(f.lastMap)}`, width, "    ", "      "));
    out.push(...wrap(`last unmap  ${call(f.lastUnmap)}`, width, "    ", "      "));
    for (const v of row.verdicts) {
      out.push(
        ...wrap(`${v.strategy}: ${v.f.verdict}${v.f.modelFaults ? "" : " (the model's device does not fault)"}; ${v.f.reason}`, width, "    ", "      "),
      );
    }
  }
  if (rows.length > limit) out.push(`  ... ${rows.length - limit} more faults (all in the JSON)`);
  out.push("");
  return out;
}

/** The HTML section's lines (none when no result has device faults). */
export function renderFaultsHtml(results: readonly StrategyResult[]): string[] {
  const rows = faultRows(results);
  if (rows.length === 0) return [];
  const cell = (field: string, value: string | number | boolean | null, text: string): string =>
    `<td data-field="${esc(field)}" data-value="${esc(value === null ? "null" : String(value))}">${esc(text)}</td>`;
  const body: string[] = [];
  for (const row of rows) {
    const f = row.first;
    row.verdicts.forEach((v, i) => {
      const lead =
        i === 0
          ? [
              `<th scope="row" rowspan="${row.verdicts.length}">${esc(faultTitle(f))}</th>`,
              `<td rowspan="${row.verdicts.length}" data-field="lastMap.line" data-value="${esc(String(f.lastMap?.line ?? "null"))}">${esc(call(f.lastMap))}</td>`,
              `<td rowspan="${row.verdicts.length}" data-field="lastUnmap.line" data-value="${esc(String(f.lastUnmap?.line ?? "null"))}">${esc(call(f.lastUnmap))}</td>`,
            ].join("")
          : "";
      body.push(
        `<tr data-fault="${esc(`${f.origin}:${f.line}`)}" data-strategy="${esc(v.strategy)}">${lead}<td>${esc(v.strategy)}</td>${cell("verdict", v.f.verdict, v.f.verdict)}${cell("modelFaults", v.f.modelFaults, v.f.modelFaults ? "yes" : "no")}<td>${esc(v.f.reason)}</td></tr>`,
      );
    });
  }
  return [
    `<section id="faults"><h2>Device faults</h2>`,
    `<p>Each fault with the last traced map and unmap that covered its IOVA, and what each strategy's simulated M4U (TLB, then the walk of its tables) says at that moment.</p>`,
    `<table class="faults"><thead><tr><th scope="col">Fault</th><th scope="col">Last map</th><th scope="col">Last unmap</th><th scope="col">Strategy</th><th scope="col">Verdict</th><th scope="col">Model faults</th><th scope="col">Why</th></tr></thead>`,
    `<tbody>${body.join("\n")}</tbody></table>`,
    `</section>`,
  ];
}
