// SPDX-License-Identifier: GPL-2.0-only
/**
 * The system builder: boots one simulated MT8173-style machine for one variant, step by step, and
 * returns it as a value the executor takes. The steps are explicit so a run can choose their order
 * (`Variant.domainTiming`) and a boot timeline can be plugged in between them:
 *
 *   kernel-memory    PhysMemory, zones, the buddy allocator (bootKernelMemory with no load)
 *   background-load  the rest of the kernel's allocations (applyBackgroundLoad)
 *   device-probe     the strategy behind the observing wrapper, the M4U, the IOMMU domain (its L1
 *                    table is allocated here) and the iommu-dma layer; or a refusal, as a value
 *
 * Cloning: a booted System is not deep-copyable today (PhysMemory, the buddy, every strategy, the M4U's
 * TLB, the domain and its IOVA allocator would each need a clone()). Boot is deterministic in its spec,
 * so `bootSystem(system.spec)` gives an identical system; a snapshot/restore can replace that call.
 */
import type { Era } from "../core/era.ts";
import type { TraceSink } from "../dma/trace.ts";
import { IommuDma } from "../dma/dma-api.ts";
import { IommuDomain } from "../dma/iommu-core.ts";
import { M4u, m4uConfigFor } from "../iommu/m4u.ts";
import { describeDomainProbe, MT8173_M4U_MASTERS, probeMtkMasters, type DomainProbeResult } from "../dma/domain-probe.ts";
import { KernelBoot, type BootStep as KernelBootStep } from "../mm/boot.ts";
import type { KernelMemory } from "../mm/kernel.ts";
import type { Platform } from "../phys/platform.ts";
import { quirkBits } from "../pgtable/config.ts";
import type { V7sRefusalCode } from "../pgtable/text.ts";
import { strategy as strategyByName, type StrategyInfo } from "../strategies/index.ts";
import { InstrumentedTableMemory } from "./instrumented-memory.ts";
import { resolveMachine, type DomainTiming, type RunSpec } from "./spec.ts";

export type BootStep = "kernel-memory" | "background-load" | "device-probe";

/** The boot order a domain timing means. */
export function bootSteps(timing: DomainTiming): readonly BootStep[] {
  return timing === "at-probe" ? ["kernel-memory", "device-probe", "background-load"] : ["kernel-memory", "background-load", "device-probe"];
}

/**
 * Why a domain does not exist: a literal code, and the text the model reports. The engine's codes
 * (V7sRefusalCode, e.g. "quirk-not-in-era": the variant needs an io-pgtable quirk this kernel does not
 * have), or "pgtable-refused": alloc_io_pgtable_ops failed (L1 allocation, fit check, DMA translation).
 */
export interface DomainRefusal {
  readonly code: V7sRefusalCode | "pgtable-refused";
  readonly text: string;
}

export type DomainState =
  | { readonly ok: true; readonly domain: IommuDomain; readonly dma: IommuDma }
  | { readonly ok: false; readonly refusal: DomainRefusal };

export interface System {
  readonly spec: RunSpec;
  readonly platform: Platform;
  readonly era: Era;
  readonly cpus: number;
  readonly strategy: StrategyInfo;
  readonly km: KernelMemory;
  readonly mem: InstrumentedTableMemory;
  readonly m4u: M4u;
  readonly domain: DomainState;
  /** IOVAs the M4U translates: [0, 2 ** ias). */
  readonly iovaLimit: number;
  /** The kernel's boot timeline: memblock, buddy, device-probe and background in this run's order, workload. */
  readonly boot: readonly KernelBootStep[];
  /** mtk_iommu's domain allocation per added master (4.19: a retry per master after a failure); null when refused before any attempt. */
  readonly domainProbe: DomainProbeResult<IommuDomain> | null;
  /** What the probe outcome means for the devices, one sentence. */
  readonly domainProbeText: string | null;
}

export interface BootOptions {
  /** Receives the iommu:map/unmap tracepoints the run emits. */
  readonly trace?: TraceSink | null;
}

/** Boots the machine and probes the device in the variant's order. Unknown names throw RangeError. */
export function bootSystem(spec: RunSpec, options: BootOptions = {}): System {
  const m = resolveMachine(spec.machine);
  const info = strategyByName(spec.variant.strategy);
  const boot = new KernelBoot({ platform: m.platform, era: m.era, seed: spec.machine.seed });
  let probed: ReturnType<typeof probe> | null = null;
  for (const step of bootSteps(spec.variant.domainTiming)) {
    switch (step) {
      case "kernel-memory":
        boot.reserveMemblock();
        boot.initBuddy();
        break;
      case "background-load":
        boot.loadBackground(spec.machine.background);
        break;
      case "device-probe":
        probed = boot.probeDevices(
          () => probe(spec, boot.kernelMemory(), info, m.cpus, options.trace ?? null),
          (p) => p.domainProbe?.masters.flatMap((x) => x.messages) ?? [],
        ).result;
        break;
    }
  }
  boot.startWorkload();
  const p = required(probed, "boot");
  return {
    spec,
    platform: m.platform,
    era: m.era,
    cpus: m.cpus,
    strategy: info,
    km: boot.kernelMemory(),
    mem: p.mem,
    m4u: p.m4u,
    domain: p.domain,
    iovaLimit: 2 ** p.m4u.config.ias,
    boot: boot.steps,
    domainProbe: p.domainProbe,
    domainProbeText: p.domainProbe === null ? null : describeDomainProbe(p.domainProbe),
  };
}

/** The IOVAs the variant's M4U will translate, [0, limit), known before boot. */
export function iovaLimitFor(spec: RunSpec): number {
  const m = resolveMachine(spec.machine);
  return 2 ** m4uConfigFor(m.platform, { mtkTtbrExt: strategyByName(spec.variant.strategy).capabilities.needsTtbrExt }).ias;
}

function required<T>(x: T | null, step: string): T {
  if (x === null) throw new TypeError(`bootSystem: ${step} ran before the kernel memory it needs`);
  return x;
}

/**
 * mtk_iommu's probe: the M4U, then one domain allocation per added master until one succeeds (4.19
 * mtk_iommu_add_device → iommu_group_get_for_dev; dma/domain-probe.ts). Each attempt gets fresh table
 * memory; a refused attempt destroys it, as arm_v7s_alloc_pgtable's error path does. A quirk the era
 * lacks is refused once, before any master is added.
 */
function probe(spec: RunSpec, km: KernelMemory, info: StrategyInfo, cpus: number, trace: TraceSink | null) {
  const buddy = km.buddy;
  const ttbrExt = info.capabilities.needsTtbrExt;
  const tlb = spec.machine.tlbEntries;
  const m4u = new M4u(km.phys, m4uConfigFor(km.platform, { mtkTtbrExt: ttbrExt, ...(tlb === undefined ? {} : { tlbEntries: tlb }) }));
  const fresh = (): InstrumentedTableMemory => new InstrumentedTableMemory(info.create({ buddy, era: km.era, cpus }), (pa) => buddy.zoneOf(pa));
  let mem = fresh();
  let domain = createDomain(spec, km, mem, m4u, ttbrExt, cpus, trace);
  if (!domain.ok && domain.refusal.code === "quirk-not-in-era") return { mem, m4u, domain, domainProbe: null };
  let first = true;
  const domainProbe = probeMtkMasters(MT8173_M4U_MASTERS, () => {
    if (!first) {
      mem = fresh();
      domain = createDomain(spec, km, mem, m4u, ttbrExt, cpus, trace);
    }
    first = false;
    if (domain.ok) return { ok: true, domain: domain.domain };
    mem.destroy();
    return { ok: false, reason: domain.refusal.text };
  });
  return { mem, m4u, domain, domainProbe };
}

function createDomain(spec: RunSpec, km: KernelMemory, mem: InstrumentedTableMemory, m4u: M4u, ttbrExt: boolean, cpus: number, trace: TraceSink | null): DomainState {
  // The era's text numbers the quirk, or refuses it where it does not exist (bit 16 meant NO_DMA in 4.19).
  const extra = quirkBits(km.era, ttbrExt ? ["ARM_MTK_TTBR_EXT"] : []);
  if (!extra.ok) return { ok: false, refusal: { code: extra.refusal.code, text: extra.refusal.message } };
  const created = IommuDomain.create({
    era: km.era,
    mem,
    hw: m4u,
    enable4GB: km.platform.iommu4gbMode,
    fitCheck: spec.variant.fitCheck,
    trace,
    extraQuirks: extra.bits,
  });
  if (!created.ok) return { ok: false, refusal: { code: "pgtable-refused", text: created.reason } };
  return { ok: true, domain: created.domain, dma: new IommuDma({ domain: created.domain, pages: km.buddy, cpus }) };
}
