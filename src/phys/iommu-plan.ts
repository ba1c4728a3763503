// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a platform's IOMMU instances ask of io-pgtable-arm-v7s, and which domains the driver creates in
 * which order. Pure data for the system builder: it says which domain allocates a v7s table and which
 * reuse one, so several instances and domains can be wired into one running system.
 *
 * mtk_iommu (AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4562a5039c9ad24e11d4212b52645:
 * drivers/iommu/mtk_iommu.c):
 * - mtk_iommu_device_group: one iommu_group per IOVA region (mtk_iommu_get_iova_region_id), kept in the
 *   first instance of the hw_list, so SHARE_PGTABLE instances share the groups too;
 * - mtk_iommu_domain_finalise: the first domain to attach allocates the table (alloc_io_pgtable_ops) and
 *   becomes data->share_dom; every later domain of that hw_list reuses share_dom->iop and only sets its
 *   aperture to its region: "Share pgtable when 2 MM IOMMU share the pgtable or one IOMMU use multiple
 *   iova ranges";
 * - cfg: ias = IOVA_34_EN ? 34 : 32; oas = HAS_4GB_MODE ? (enable_4GB ? 33 : 32) : 35; quirks ARM_NS |
 *   NO_PERMS | ARM_MTK_EXT, plus ARM_MTK_TTBR_EXT with PGTABLE_PA_35_EN.
 * - 4.19 (nojick/test419@37381aa0246ce0dba6cda47bc1e9752a9923072b): ARM_NS | NO_PERMS | TLBI_ON_MAP
 *   (| ARM_MTK_4GB), ias = oas = 32.
 * - 5.10 (Rtoax/linux-5.10.13@9da387e9a3bb:drivers/iommu/mtk_iommu.c:mtk_iommu_domain_finalise): one
 *   fixed cfg for every SoC, ias 32, oas 34, no flag consulted (era.dma.mtkCfgFromFlags false).
 * msm_iommu (same 6.19 tree, drivers/iommu/msm_iommu.c:msm_iommu_domain_config): ias = oas = 32, no
 * quirks, one table per domain.
 *
 * Model choice: masters attach in the order the platform lists them (instances in DT order, then
 * masters), standing in for the device probe order, which depends on driver initcalls.
 */
import type { Era } from "../core/era.ts";
import type { IommuInstance, IovaRegion, Platform } from "./platform.ts";

export interface IoPgtableCfg {
  readonly ias: number;
  readonly oas: number;
  readonly quirks: readonly string[];
  /** IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT: the L1 comes from GFP_KERNEL and may lie below 2^35. */
  readonly ttbrExt: boolean;
  /** Bytes of the L1 table: 4 << (ias - 20) (16 KiB for ias 32, 64 KiB for ias 34). */
  readonly l1Bytes: number;
}

/** The io_pgtable_cfg the instance's driver builds under `era`. */
export function ioPgtableCfgFor(inst: IommuInstance, era: Era, enable4GB: boolean): IoPgtableCfg {
  const d = era.dma;
  if (inst.driver === "msm_iommu") return { ias: 32, oas: 32, quirks: d.msmQuirks, ttbrExt: false, l1Bytes: l1Bytes(32) };
  const has = (f: IommuInstance["flags"][number]): boolean => inst.flags.includes(f);
  if (!d.mtkCfgFromFlags) {
    const quirks = [...d.mtkQuirks, ...(enable4GB ? d.mtkQuirks4gb : [])];
    return { ias: 32, oas: enable4GB ? d.mtkOas.fourGb : d.mtkOas.normal, quirks, ttbrExt: false, l1Bytes: l1Bytes(32) };
  }
  const ttbrExt = inst.ttbrExtEras.includes(era.name);
  const ias = has("IOVA_34_EN") ? 34 : 32;
  const oas = has("HAS_4GB_MODE") ? (enable4GB ? 33 : 32) : 35;
  return { ias, oas, quirks: ["ARM_NS", "NO_PERMS", "ARM_MTK_EXT", ...(ttbrExt ? ["ARM_MTK_TTBR_EXT"] : [])], ttbrExt, l1Bytes: l1Bytes(ias) };
}

function l1Bytes(ias: number): number {
  return 4 * 2 ** (ias - 20);
}

/** A region's IOVA window under `era`: "4g" windows lose the era's gap at the top (SZ_8M from v6.4). */
export function regionWindow(r: IovaRegion, era: Era): { readonly start: number; readonly end: number } {
  const size = r.size === "4g" ? era.mt8173ApertureEnd + 1 : r.size;
  return { start: r.base, end: r.base + size - 1 };
}

export interface PlannedDomain {
  /** "vdo/0-4G": the instance (or share group) holding the group, and the region. */
  readonly id: string;
  /** The instance whose first master's attach creates the domain. */
  readonly instance: string;
  readonly region: number;
  readonly regionName: string;
  /** Aperture (inclusive end), from the region. */
  readonly aperture: { readonly start: number; readonly end: number };
  /** null: this domain allocates the table; else the id of the domain whose table it reuses. */
  readonly sharesTableOf: string | null;
  readonly cfg: IoPgtableCfg;
  /** Masters in this domain, "instance:master". */
  readonly masters: readonly string[];
}

/** The domains the driver creates on `platform` under `era`, in creation order. */
export function domainPlan(p: Platform, era: Era): PlannedDomain[] {
  const out: (PlannedDomain & { masters: string[] })[] = [];
  const tableOwner = new Map<string, string>();
  for (const inst of p.iommus ?? []) {
    const owner = inst.shareGroup ?? inst.name;
    for (const m of inst.masters) {
      const region = inst.regions[m.region];
      if (region === undefined)
        throw new RangeError(`platform ${p.name}: master ${inst.name}:${m.name} names region ${m.region}, which ${inst.name} does not have`);
      // msm_iommu gives every master's domain its own table; mtk_iommu one group per region per hw_list.
      const group = inst.driver === "msm_iommu" ? `${inst.name}/${m.name}` : `${owner}/${region.name}`;
      const existing = out.find((d) => d.id === group);
      if (existing !== undefined) {
        existing.masters.push(`${inst.name}:${m.name}`);
        continue;
      }
      const tableKey = inst.driver === "msm_iommu" ? group : owner;
      const first = tableOwner.get(tableKey);
      if (first === undefined) tableOwner.set(tableKey, group);
      out.push({
        id: group,
        instance: inst.name,
        region: m.region,
        regionName: region.name,
        aperture: regionWindow(region, era),
        sharesTableOf: first ?? null,
        cfg: ioPgtableCfgFor(inst, era, p.iommu4gbMode),
        masters: [`${inst.name}:${m.name}`],
      });
    }
  }
  return out;
}
