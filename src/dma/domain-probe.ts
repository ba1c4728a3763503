// SPDX-License-Identifier: GPL-2.0-only
/**
 * How 4.19 mtk_iommu gets its one DMA domain while the M4U's masters are added at boot, and what a
 * failure means for each master (nojick/test419 968c1392):
 * - drivers/of/device.c of_dma_configure → of_iommu_configure → mtk_iommu_add_device (of_iommu.c calls
 *   ops->add_device) → iommu_group_get_for_dev (drivers/iommu/iommu.c). mtk_iommu_device_group puts
 *   every master in the one m4u_group. While group->default_domain is NULL, each call allocates it:
 *   __iommu_domain_alloc → mtk_iommu_domain_alloc → mtk_iommu_domain_finalise → alloc_io_pgtable_ops,
 *   which allocates the L1. On failure finalise prints "Failed to alloc io pgtable" (dev_err on the M4U
 *   device) and domain_alloc returns NULL, so default_domain stays NULL and the NEXT master's add tries
 *   again: one attempt per master until one succeeds.
 * - iommu_group_add_device attaches the device only when group->domain is set (mtk_iommu_attach_device:
 *   the first attach writes PT_BASE, mtk_iommu_config enables the master's larb port). A domain created
 *   later sets group->domain but attaches only the master being added; earlier masters stay unattached.
 * - Then arch_setup_dma_ops → __iommu_setup_dma_ops (arch/arm64/mm/dma-mapping.c) finds no domain for an
 *   unattached master and prints "Failed to set up IOMMU for device %s; retaining platform DMA ops": that
 *   master keeps the platform DMA ops (swiotlb / direct physical addressing with its 32-bit mask), and,
 *   its larb port never enabled, its DMA does not go through the M4U (inferred from the code, not run).
 * Simplification: the order of `masters` is the order their drivers probe, which the kernel decides by
 * initcall order and deferred probing; MT8173_M4U_MASTERS lists them in mt8173.dtsi order instead.
 */

/** The M4U's platform device as dev_err names it: driver "mtk-iommu", node iommu@10205000. */
export const MT8173_M4U_DEVICE = "mtk-iommu 10205000.iommu";

/**
 * The masters with an `iommus = <&iommu …>` property in 4.19 arch/arm64/boot/dts/mediatek/mt8173.dtsi,
 * as platform device names (unit address + node name), in devicetree order.
 */
export const MT8173_M4U_MASTERS: readonly string[] = [
  "14001000.rdma",
  "14002000.rdma",
  "14006000.wdma",
  "14007000.wrot",
  "14008000.wrot",
  "1400c000.ovl",
  "1400d000.ovl",
  "1400e000.rdma",
  "1400f000.rdma",
  "14010000.rdma",
  "14011000.wdma",
  "14012000.wdma",
  "16000000.vcodec",
  "18002000.vcodec",
];

export type DomainAttempt<D> = { readonly ok: true; readonly domain: D } | { readonly ok: false; readonly reason: string };

export interface MasterAdded {
  readonly master: string;
  /** 1-based number of the domain allocation this master's add made, or null when a domain existed. */
  readonly attempt: number | null;
  /** `iommu`: attached to the default domain, iommu_dma_ops; `platform`: no IOMMU for this master. */
  readonly dma: "iommu" | "platform";
  /** The kernel lines this add printed. */
  readonly messages: readonly string[];
  /** Why the model's alloc_io_pgtable_ops refused, when this master's attempt failed. */
  readonly refusal: string | null;
}

export interface DomainProbeResult<D> {
  readonly masters: readonly MasterAdded[];
  readonly attempts: number;
  readonly failures: number;
  readonly domain: D | null;
  /** The master whose add created the domain, and which attempt that was (1-based). */
  readonly createdBy: string | null;
  readonly createdAtAttempt: number | null;
  /** Masters left on the platform DMA ops. */
  readonly withoutIommu: readonly string[];
}

/**
 * Adds `masters` one after another; `allocDomain(master, attempt)` is mtk_iommu_domain_alloc for the
 * attempt that master's add makes (the caller allocates the L1 there, and undoes a refused one as
 * arm_v7s_alloc_pgtable does).
 */
export function probeMtkMasters<D>(
  masters: readonly string[],
  allocDomain: (master: string, attempt: number) => DomainAttempt<D>,
  m4uDevice: string = MT8173_M4U_DEVICE,
): DomainProbeResult<D> {
  if (masters.length === 0) throw new RangeError("probeMtkMasters: no masters to add");
  const added: MasterAdded[] = [];
  let domain: D | null = null;
  let attempts = 0;
  let createdBy: string | null = null;
  let createdAtAttempt: number | null = null;
  for (const master of masters) {
    const messages: string[] = [];
    let attempt: number | null = null;
    let refusal: string | null = null;
    if (domain === null) {
      attempt = ++attempts;
      const r = allocDomain(master, attempt);
      if (r.ok) {
        domain = r.domain;
        createdBy = master;
        createdAtAttempt = attempt;
      } else {
        refusal = r.reason;
        messages.push(`${m4uDevice}: Failed to alloc io pgtable`);
      }
    }
    // Attached only when this add found or made the domain.
    const dma = domain !== null ? "iommu" : "platform";
    if (dma === "platform") messages.push(`Failed to set up IOMMU for device ${master}; retaining platform DMA ops`);
    added.push({ master, attempt, dma, messages, refusal });
  }
  return {
    masters: added,
    attempts,
    failures: attempts - (domain === null ? 0 : 1),
    domain,
    createdBy,
    createdAtAttempt,
    withoutIommu: added.filter((m) => m.dma === "platform").map((m) => m.master),
  };
}

/** One sentence per outcome, for reports: what the attempts mean for the devices, in the kernel's words. */
export function describeDomainProbe(r: DomainProbeResult<unknown>, m4uDevice: string = MT8173_M4U_DEVICE): string {
  const n = r.masters.length;
  const kept = (who: string): string =>
    `"Failed to set up IOMMU for device ${who}; retaining platform DMA ops": they DMA untranslated, without the M4U (the platform's swiotlb ops with the device's own DMA mask)`;
  if (r.domain === null) {
    return `all ${r.attempts} domain allocations failed ("${m4uDevice}: Failed to alloc io pgtable", once per master added): no master gets an IOMMU domain; each of the ${n} prints ${kept("<master>")}`;
  }
  if (r.failures === 0) return `the first master's add created the domain; all ${n} masters are attached to it`;
  return `${r.failures} domain allocation(s) failed before attempt ${r.createdAtAttempt} (${r.createdBy}) succeeded: the ${r.withoutIommu.length} master(s) added before it (${r.withoutIommu.join(", ")}) print ${kept("<master>")}; the ${n - r.withoutIommu.length} from ${r.createdBy} on are attached to the domain`;
}
