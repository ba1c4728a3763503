// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the boot timeline of a run means, in sentences computed from the report: when the IOMMU domain
 * was created (device probe before or after the background load), the zones the L1 allocation saw then,
 * and where each strategy's L1 went (its requested zone, or a fallback); and, per strategy, what
 * mtk_iommu's retry left the devices with.
 */
import { bytes, hexGrouped } from "../core/u32.ts";
import type { BootStepOut, ComparisonReport, StrategyResult } from "../lab/types.ts";

const PAGE = 4096;

export interface BootAnalysis {
  /** One sentence per domain timing present in the run (the device-probe step's place in the boot). */
  readonly timing: readonly string[];
  /** Per strategy whose retry mattered (a failed attempt, or no domain): what it means for the devices. */
  readonly devices: readonly { readonly strategy: string; readonly outcome: string }[];
}

/** The L1 this run's domain started from: the live one, else the last refused attempt. */
function l1Of(step: BootStepOut): BootStepOut["allocated"][number] | null {
  const l1s = step.allocated.filter((a) => a.what.endsWith(":l1") && a.where !== null);
  return l1s.find((a) => !a.freed) ?? l1s.at(-1) ?? null;
}

function watermarkPhrase(z: BootStepOut["zonesAtStart"][number]): string {
  const where =
    z.freePages <= z.low
      ? "at its low watermark"
      : z.freePages <= z.high
        ? "between its low and high watermarks"
        : z.freePages > 16 * z.high
          ? "far above its watermarks"
          : "above its high watermark";
  return `ZONE_${z.zone} had ${bytes(z.freePages * PAGE)} free, ${where} (low ${bytes(z.low * PAGE)})`;
}

function timingSentence(step: BootStepOut, steps: readonly BootStepOut[], results: readonly StrategyResult[]): string {
  const bgIndex = steps.find((s) => s.step === "background")?.timeIndex ?? null;
  const when = bgIndex !== null && step.timeIndex > bgIndex ? "after the background load" : "at device probe, before the background load";
  const zones = step.zonesAtStart.filter((z) => z.freePages > 0 || z.high > 0);
  const head = `Domain created ${when} (boot step ${step.timeIndex} of ${steps.length}, memblock being 0): ${zones.map(watermarkPhrase).join(", ")}.`;
  // Where each strategy's L1 went, grouped: those that fell back to a lower zone, those that got the zone they asked for.
  const placed = results
    .map((r) => ({ r, l1: l1Of(r.boot.find((s) => s.step === "device-probe") as BootStepOut) }))
    .filter((x): x is { r: StrategyResult; l1: NonNullable<typeof x.l1> } => x.l1 !== null);
  const parts: { name: string; rest: string }[] = [];
  for (const { r, l1 } of placed) {
    const at = `${hexGrouped(l1.where as number)}, ${(l1.where as number) >= 2 ** 32 ? "above" : "below"} 4 GiB${l1.freed ? ", refused" : ""}`;
    if (l1.requestedZone !== null && l1.zone !== null && l1.requestedZone !== l1.zone) {
      parts.push({ name: r.strategy, rest: `asked for ZONE_${l1.requestedZone} and fell back to ZONE_${l1.zone} (${at})` });
    } else if (l1.requestedZone !== null) {
      parts.push({ name: r.strategy, rest: `got ZONE_${l1.requestedZone}, the zone it asked for (${at})` });
    }
  }
  return parts.length === 0 ? head : `${head} ${collapse(parts)}.`;
}

/** Joins per-strategy clauses, folding those that differ only in the strategy name. */
function collapse(parts: readonly { name: string; rest: string }[]): string {
  const groups = new Map<string, string[]>();
  for (const p of parts) groups.set(p.rest, [...(groups.get(p.rest) ?? []), p.name]);
  return [...groups].map(([rest, names]) => (names.length === 1 ? `${names[0]}'s L1 ${rest}` : `the L1 of ${names.join(", ")} ${rest}`)).join("; ");
}

export function analyseBoot(report: ComparisonReport): BootAnalysis {
  const withBoot = report.results.filter((r) => r.boot.some((s) => s.step === "device-probe"));
  // One sentence per device-probe position (a comparison may mix domain timings across its variants).
  const byIndex = new Map<number, StrategyResult[]>();
  for (const r of withBoot) {
    const i = (r.boot.find((s) => s.step === "device-probe") as BootStepOut).timeIndex;
    byIndex.set(i, [...(byIndex.get(i) ?? []), r]);
  }
  const timing = [...byIndex]
    .sort((a, b) => a[0] - b[0])
    .map(([, rs]) => {
      const first = rs[0] as StrategyResult;
      return timingSentence(first.boot.find((s) => s.step === "device-probe") as BootStepOut, first.boot, rs);
    });
  const devices = report.results
    .filter((r) => r.domainProbe !== null && (r.domainProbe.failures > 0 || !r.domainProbe.succeeded))
    .map((r) => ({ strategy: r.strategy, outcome: r.domainProbe?.outcome ?? "" }));
  return { timing, devices };
}
