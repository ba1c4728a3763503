// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a run uses where neither its scenario nor the user says otherwise: MT8173 elm with 4 GiB, Linux
 * v4.19 (the 2018 regression's machine), a typical background load, seed 1, and the fix that was merged
 * (strategies/slab-dma32.ts). Plain data with no imports, so the CLI's --help can show the defaults
 * without loading the model; lab/spec.ts gives them their types.
 */
export const RUN_DEFAULTS = {
  platform: "mt8173-elm-4g",
  era: "v4.19",
  seed: 1,
  background: "typical",
  backgroundChurn: 0,
  strategy: "slab-dma32",
  /** The kernel's: the L1 is allocated while the masters are added at boot (lab/spec.ts DomainTiming). */
  domainTiming: "at-probe",
} as const;

/** When a run allocates the IOMMU domain (lab/spec.ts DomainTiming), in --help's order. */
export const DOMAIN_TIMING_CHOICES = ["at-probe", "after-background"] as const;

/**
 * The 2018 MT8173 regression as an experiment (lab/compare.ts reproVariants): Linux v4.19, where arm64
 * GFP_DMA falls to ZONE_NORMAL, every strategy, and the regressed allocator once more with the fit check
 * off, to show what the hardware would do with the tables the kernel refuses.
 */
export const REGRESSION_2018 = {
  era: "v4.19",
  extra: { strategy: "legacy-gfp-dma", switches: { fitCheck: false } },
} as const;
