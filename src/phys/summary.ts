// SPDX-License-Identifier: GPL-2.0-only
/** One-line summaries of platforms, for `iommu-lab platforms`. */
import { SZ_4G, bytes } from "../core/u32.ts";
import { ERA_NAMES, era } from "../core/era.ts";
import { domainPlan } from "./iommu-plan.ts";
import { PlatformEraError, checkPlatformEra, releaseName, type Platform } from "./platform.ts";

const ramBytes = (p: Platform): number => p.ram.reduce((n, b) => n + (b.end - b.start), 0);
const ramAbove4G = (p: Platform): number => p.ram.reduce((n, b) => n + Math.max(0, b.end - Math.max(b.start, SZ_4G)), 0);

/** The eras of the model in which the platform's SoC is supported. */
export function erasFor(p: Platform): string[] {
  return ERA_NAMES.filter((n) => {
    try {
      checkPlatformEra(p, era(n));
      return true;
    } catch (e) {
      if (e instanceof PlatformEraError) return false;
      throw e;
    }
  });
}

/**
 * "mt8195-cherry-8g  8 GiB (5 GiB above 4 GiB), 8 CPUs; 2 IOMMUs (vpp, vdo), 5 domains, 1 table, ias 34,
 * tables < 4 GiB; since 5.19; eras v6.6, latest".
 */
export function platformSummary(p: Platform): string {
  const ram = `${bytes(ramBytes(p))} (${bytes(ramAbove4G(p))} above 4 GiB), ${p.cpus} CPU${p.cpus === 1 ? "" : "s"}`;
  const eras = erasFor(p);
  const inst = p.iommus ?? [];
  let iommu = "MT8173-like M4U (the model's default)";
  const newest = eras.at(-1);
  if (inst.length > 0 && newest !== undefined) {
    const plan = domainPlan(p, era(newest));
    const tables = plan.filter((d) => d.sharesTableOf === null).length;
    const ias = [...new Set(plan.map((d) => d.cfg.ias))].join("/");
    const placement = plan.every((d) => d.cfg.ttbrExt)
      ? "TTBR_EXT, tables anywhere < 32 GiB"
      : plan.some((d) => d.cfg.ttbrExt)
        ? "TTBR_EXT on some"
        : "no TTBR_EXT, tables must lie < 4 GiB";
    iommu = `${inst.length} ${inst[0]?.driver ?? ""} (${inst.map((i) => i.name).join(", ")}), ${plan.length} domain${plan.length === 1 ? "" : "s"}, ${tables} table${tables === 1 ? "" : "s"}, ias ${ias}, ${placement} in ${newest}`;
  }
  const arch = p.config?.arch ?? "arm64";
  const zones = p.config !== undefined && !p.config.zoneDma && !p.config.zoneDma32 ? ", single zone" : "";
  const since = p.support === undefined ? "" : `; since ${releaseName(p.support.present)}`;
  return `${p.name.padEnd(18)} ${arch}${zones}, ${ram}; ${iommu}${since}; eras ${eras.join(", ") || "none"}`;
}
