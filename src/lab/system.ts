// SPDX-License-Identifier: GPL-2.0-only
/**
 * The system builder: boots one simulated machine for one variant, step by step, and returns it as a
 * value the executor takes. The steps are explicit so a run can choose their order
 * (`Variant.domainTiming`) and a boot timeline can be plugged in between them:
 *
 *   kernel-memory    PhysMemory, zones, the buddy allocator (bootKernelMemory with no load)
 *   background-load  the rest of the kernel's allocations (applyBackgroundLoad)
 *   device-probe     the strategy behind the observing wrapper, the M4Us, the IOMMU domains (each
 *                    table's L1 is allocated here) and their iommu-dma layers; or refusals, as values
 *
 * Several instances and domains: a platform listing more than one IOMMU instance or domain gets one M4U
 * per instance (its walker config from the instance's io_pgtable_cfg) and the domains
 * src/phys/iommu-plan.ts domainPlan says the driver creates, in that order. A domain that shares
 * another's table (SHARE_PGTABLE, or one instance's further IOVA regions) reuses that io-pgtable with
 * its own aperture and IOVA allocator; its TLB maintenance reaches every M4U of the share group
 * (mtk_iommu's flush loops over the hw_list). Devices reach their domain by master name (`route`).
 * One instance with one domain (MT8173, MT8183) keeps the single-domain probe with its per-master retry.
 *
 * Model choices: every table of a system takes its memory from one strategy instance (the kernel makes
 * one L2 slab cache per io-pgtable); all of an instance's masters attach when its domain is created, so
 * every instance's PT_BASE is written then; on a multi-domain system a failed table allocation is
 * retried by the next domain of its group (share_dom is set only on success), not once per master.
 *
 * Cloning: a booted System is not deep-copyable (PhysMemory, the buddy, every strategy, the M4U's TLB,
 * the domain and its IOVA allocator would each need a clone()). Boot is deterministic in its spec, so
 * `bootSystem(system.spec)` gives an identical system. Nor is part of a boot shared between strategies:
 * at-probe (the default) the probe allocates the strategy's L1 (or genalloc pool) before the background
 * load, so all state after the buddy's set-up depends on the strategy, and that set-up (~0.4 ms) is
 * cheaper than copying its 10 MiB of per-page arrays (~0.7 ms); only `after-background` could share the
 * filled kernel, saving ~25 ms CPU of fill per system, too little for a clone() in every mm layer.
 */
import type { Era } from "../core/era.ts";
import type { TraceSink } from "../dma/trace.ts";
import { IommuDma } from "../dma/dma-api.ts";
import { IommuDomain } from "../dma/iommu-core.ts";
import { M4u, m4uConfigFor, m4uConfigForInstance } from "../iommu/m4u.ts";
import type { IommuHardware } from "../iommu/types.ts";
import { SZ_4G } from "../core/u32.ts";
import { domainPlan, ioPgtableCfgFor, type IoPgtableCfg, type PlannedDomain } from "../phys/iommu-plan.ts";
import type { IommuInstance } from "../phys/platform.ts";
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

export type DomainState = { readonly ok: true; readonly domain: IommuDomain; readonly dma: IommuDma } | { readonly ok: false; readonly refusal: DomainRefusal };

/** One IOMMU instance of the system and its M4U. */
export interface InstanceEntry {
  readonly name: string;
  readonly compatible: string;
  readonly m4u: M4u;
}

/** One IOMMU domain (one iommu_group: an instance or share group, and an IOVA region). */
export interface DomainEntry {
  /** "m4ulist/0-4G": the instance or share group, and the region. */
  readonly id: string;
  /** The instance whose master's attach created it. */
  readonly instance: string;
  /** Instances whose M4Us its TLB maintenance reaches (the share group's, in DT order). */
  readonly instances: readonly string[];
  readonly region: string;
  readonly aperture: { readonly start: number; readonly end: number };
  /** null: this domain allocated its table; else the id of the domain whose table it reuses. */
  readonly sharesTableOf: string | null;
  readonly ias: number;
  readonly oas: number;
  readonly l1Bytes: number;
  readonly ttbrExt: boolean;
  /** "instance:master" names of the platform attached to it. */
  readonly masters: readonly string[];
  readonly state: DomainState;
}

/** Where a device's DMA goes: its domain, the M4U its master sits behind, its DMA mask. */
export interface Route {
  readonly domain: DomainEntry;
  readonly m4u: M4u;
  readonly dmaMask: number;
}

export interface System {
  readonly spec: RunSpec;
  readonly platform: Platform;
  readonly era: Era;
  readonly cpus: number;
  readonly strategy: StrategyInfo;
  readonly km: KernelMemory;
  readonly mem: InstrumentedTableMemory;
  /** The first instance's M4U (the only one on a single-M4U platform). */
  readonly m4u: M4u;
  /** The first domain's state (the only domain on a single-domain platform). */
  readonly domain: DomainState;
  readonly instances: readonly InstanceEntry[];
  /** Domains in creation order. */
  readonly domains: readonly DomainEntry[];
  /** Some domain's io_pgtable quirks include ARM_MTK_TTBR_EXT (its tables may lie below 2^35). */
  readonly ttbrExt: boolean;
  /** The route of a device by master name ("vdec" or "vdo:vdec"); other names go to the first domain. */
  readonly route: (device: string) => Route;
  /** IOVAs the widest M4U translates: [0, 2 ** ias). */
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
  let probed: Probed | null = null;
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
    instances: p.instances,
    domains: p.domains,
    ttbrExt: p.ttbrExt,
    route: p.route,
    iovaLimit: 2 ** Math.max(...p.instances.map((i) => i.m4u.config.ias)),
    boot: boot.steps,
    domainProbe: p.domainProbe,
    domainProbeText: p.domainProbe === null ? null : describeDomainProbe(p.domainProbe),
  };
}

/** The IOVAs the variant's widest M4U will translate, [0, limit), known before boot. */
export function iovaLimitFor(spec: RunSpec): number {
  const m = resolveMachine(spec.machine);
  const plan = domainPlan(m.platform, m.era);
  if (plan.length > 0) return 2 ** Math.max(...plan.map((d) => d.cfg.ias));
  return 2 ** m4uConfigFor(m.platform, { mtkTtbrExt: strategyByName(spec.variant.strategy).capabilities.needsTtbrExt }).ias;
}

function required<T>(x: T | null, step: string): T {
  if (x === null) throw new TypeError(`bootSystem: ${step} ran before the kernel memory it needs`);
  return x;
}

type Probed = Pick<System, "mem" | "m4u" | "domain" | "instances" | "domains" | "ttbrExt" | "route" | "domainProbe">;

/** mtk_iommu's (or msm_iommu's) probe: one instance with one domain, or several. */
function probe(spec: RunSpec, km: KernelMemory, info: StrategyInfo, cpus: number, trace: TraceSink | null): Probed {
  const plan = domainPlan(km.platform, km.era);
  const insts = km.platform.iommus ?? [];
  if (plan.length <= 1 && insts.length <= 1) return singleProbe(spec, km, info, cpus, trace, plan[0] ?? null, insts[0] ?? null);
  return multiProbe(spec, km, info, cpus, trace, plan, insts);
}

/**
 * The cfg a domain's table is built with: the instance's (ias, oas, quirks), except that instances with
 * MT8173's 4GB mode take the era's audited MT8173 facts (DmaEraFeatures.mtkOas/mtkQuirks), which the
 * single-domain model has always used.
 */
function driverCfg(inst: IommuInstance, plan: PlannedDomain): IoPgtableCfg | null {
  return inst.driver === "mtk_iommu" && inst.flags.includes("HAS_4GB_MODE") && plan.cfg.ias === 32 ? null : plan.cfg;
}

function multiProbe(
  spec: RunSpec,
  km: KernelMemory,
  info: StrategyInfo,
  cpus: number,
  trace: TraceSink | null,
  plan: readonly PlannedDomain[],
  insts: readonly IommuInstance[],
): Probed {
  const buddy = km.buddy;
  const mem = new InstrumentedTableMemory(info.create({ buddy, era: km.era, cpus }), (pa) => buddy.zoneOf(pa));
  const tlb = spec.machine.tlbEntries;
  const overrides = tlb === undefined ? {} : { tlbEntries: tlb };
  const needs = info.capabilities.needsTtbrExt;
  // The driver's own TTBR_EXT (PGTABLE_PA_35_EN in this era) or the strategy's: either makes an MTK M4U follow 35-bit pointers.
  const instances: InstanceEntry[] = insts.map((inst) => {
    const own = ioPgtableCfgFor(inst, km.era, km.platform.iommu4gbMode).ttbrExt;
    const cfg = m4uConfigForInstance(inst, km.era, km.platform.iommu4gbMode, { ...overrides, mtkTtbrExt: own || (needs && inst.driver === "mtk_iommu") });
    return { name: inst.name, compatible: inst.compatible, m4u: new M4u(km.phys, cfg) };
  });
  const m4uOf = (name: string): M4u => {
    const e = instances.find((i) => i.name === name);
    if (e === undefined) throw new TypeError(`bootSystem: the plan names instance ${name}, which the platform does not list`);
    return e.m4u;
  };
  const instOf = (name: string): IommuInstance => {
    const i = insts.find((x) => x.name === name);
    if (i === undefined) throw new TypeError(`bootSystem: the plan names instance ${name}, which the platform does not list`);
    return i;
  };
  const shareGroupOf = (name: string): readonly string[] => {
    const inst = instOf(name);
    if (inst.shareGroup === null || inst.driver !== "mtk_iommu") return [name];
    return insts.filter((i) => i.shareGroup === inst.shareGroup).map((i) => i.name);
  };
  const domains: DomainEntry[] = [];
  // The io-pgtable of each table group, once a domain of the group allocated it.
  const tables = new Map<string, { id: string; domain: IommuDomain }>();
  for (const d of plan) {
    const group = shareGroupOf(d.instance);
    const hw = group.length === 1 ? m4uOf(d.instance) : fanOut(group.map(m4uOf));
    const tableKey = d.sharesTableOf ?? d.id;
    const owner = tables.get(tableKey);
    const ttbrExt = d.cfg.ttbrExt || needs;
    let state: DomainState;
    if (owner !== undefined) {
      const shared = IommuDomain.sharing(owner.domain, {
        era: km.era,
        mem,
        hw,
        enable4GB: km.platform.iommu4gbMode,
        apertureStart: d.aperture.start,
        apertureEnd: d.aperture.end,
        trace,
      });
      state = { ok: true, domain: shared, dma: new IommuDma({ domain: shared, pages: buddy, cpus }) };
    } else {
      state = createDomain(spec, km, mem, hw, ttbrExt && !d.cfg.ttbrExt, cpus, trace, driverCfg(instOf(d.instance), d), d.aperture);
      if (state.ok) tables.set(tableKey, { id: d.id, domain: state.domain });
    }
    domains.push({
      id: d.id,
      instance: d.instance,
      instances: group,
      region: d.regionName,
      aperture: d.aperture,
      sharesTableOf: owner?.id ?? null,
      ias: d.cfg.ias,
      oas: d.cfg.oas,
      l1Bytes: d.cfg.l1Bytes,
      ttbrExt,
      masters: d.masters,
      state,
    });
  }
  const first = required(domains[0] ?? null, "device-probe");
  const routes = new Map<string, Route>();
  for (const d of domains) {
    for (const full of d.masters) {
      const [inst = "", master = ""] = full.split(":");
      const r: Route = { domain: d, m4u: m4uOf(inst), dmaMask: d.aperture.end >= SZ_4G ? dmaBitMask(d.ias) : dmaBitMask(32) };
      routes.set(full, r);
      if (!routes.has(master)) routes.set(master, r);
    }
  }
  const fallback: Route = { domain: first, m4u: m4uOf(first.instance), dmaMask: dmaBitMask(32) };
  const lead = required(instances[0] ?? null, "device-probe").m4u;
  return {
    mem,
    m4u: lead,
    domain: first.state,
    domainProbe: null,
    instances,
    domains,
    ttbrExt: domains.some((d) => d.ttbrExt),
    route: (dev) => routes.get(dev) ?? fallback,
  };
}

/** A share group's hw_list: PT_BASE and every flush reach each M4U; translation is each master's own M4U. */
function fanOut(m4us: readonly M4u[]): IommuHardware {
  const lead = required(m4us[0] ?? null, "device-probe");
  return {
    writePtBase: (ttbr) => {
      for (const m of m4us) m.writePtBase(ttbr);
    },
    flushRange: (start, end) => {
      for (const m of m4us) m.flushRange(start, end);
    },
    flushAll: () => {
      for (const m of m4us) m.flushAll();
    },
    translate: (iova, access) => lead.translate(iova, access),
    probe: (iova) => lead.probe(iova),
    get faults() {
      return lead.faults;
    },
  };
}

/**
 * DMA_BIT_MASK(n). Model choice: a master whose region lies above 4 GiB has a mask as wide as the IOVA
 * (its driver sets DMA_BIT_MASK(34)); others keep 32 bits.
 */
function dmaBitMask(n: number): number {
  return 2 ** n - 1;
}

/**
 * mtk_iommu's probe: the M4U, then one domain allocation per added master until one succeeds (4.19
 * mtk_iommu_add_device → iommu_group_get_for_dev; dma/domain-probe.ts). Each attempt gets fresh table
 * memory; a refused attempt destroys it, as arm_v7s_alloc_pgtable's error path does. A quirk the era
 * lacks is refused once, before any master is added.
 */
function singleProbe(
  spec: RunSpec,
  km: KernelMemory,
  info: StrategyInfo,
  cpus: number,
  trace: TraceSink | null,
  plan: PlannedDomain | null,
  inst: IommuInstance | null,
): Probed {
  const buddy = km.buddy;
  const tlb = spec.machine.tlbEntries;
  const overrides = tlb === undefined ? {} : { tlbEntries: tlb };
  const drv = inst === null || plan === null ? null : ioPgtableCfgFor(inst, km.era, km.platform.iommu4gbMode);
  const ttbrExt = (drv?.ttbrExt ?? false) || info.capabilities.needsTtbrExt;
  const m4u = new M4u(
    km.phys,
    inst === null
      ? m4uConfigFor(km.platform, { mtkTtbrExt: ttbrExt, ...overrides })
      : m4uConfigForInstance(inst, km.era, km.platform.iommu4gbMode, { ...overrides, mtkTtbrExt: ttbrExt }),
  );
  const cfg = inst === null || plan === null ? null : driverCfg(inst, plan);
  const aperture = plan?.aperture ?? null;
  const extraTtbrExt = ttbrExt && !(drv?.ttbrExt ?? false);
  const fresh = (): InstrumentedTableMemory => new InstrumentedTableMemory(info.create({ buddy, era: km.era, cpus }), (pa) => buddy.zoneOf(pa));
  let mem = fresh();
  let domain = createDomain(spec, km, mem, m4u, extraTtbrExt, cpus, trace, cfg, aperture);
  const entry = (): DomainEntry => ({
    id: plan?.id ?? "m4u/0-4G",
    instance: plan?.instance ?? "m4u",
    instances: [plan?.instance ?? "m4u"],
    region: plan?.regionName ?? "0-4G",
    aperture: aperture ?? { start: 0, end: km.era.mt8173ApertureEnd },
    sharesTableOf: null,
    ias: m4u.config.ias,
    oas: plan?.cfg.oas ?? (km.platform.iommu4gbMode ? km.era.dma.mtkOas.fourGb : km.era.dma.mtkOas.normal),
    l1Bytes: plan?.cfg.l1Bytes ?? 4 * 2 ** (m4u.config.ias - 20),
    ttbrExt,
    masters: plan?.masters ?? [],
    state: domain,
  });
  const done = (domainProbe: DomainProbeResult<IommuDomain> | null): Probed => {
    const e = entry();
    const route: Route = { domain: e, m4u, dmaMask: dmaBitMask(32) };
    const instances = [{ name: inst?.name ?? "m4u", compatible: inst?.compatible ?? "mediatek,mt8173-m4u", m4u }];
    return { mem, m4u, domain, domainProbe, instances, domains: [e], ttbrExt, route: () => route };
  };
  if (!domain.ok && domain.refusal.code === "quirk-not-in-era") return done(null);
  let first = true;
  const domainProbe = probeMtkMasters(MT8173_M4U_MASTERS, () => {
    if (!first) {
      mem = fresh();
      domain = createDomain(spec, km, mem, m4u, extraTtbrExt, cpus, trace, cfg, aperture);
    }
    first = false;
    if (domain.ok) return { ok: true, domain: domain.domain };
    mem.destroy();
    return { ok: false, reason: domain.refusal.text };
  });
  return done(domainProbe);
}

function createDomain(
  spec: RunSpec,
  km: KernelMemory,
  mem: InstrumentedTableMemory,
  hw: IommuHardware,
  ttbrExt: boolean,
  cpus: number,
  trace: TraceSink | null,
  cfg: IoPgtableCfg | null,
  aperture: { readonly start: number; readonly end: number } | null,
): DomainState {
  // The era's text numbers the quirk, or refuses it where it does not exist (bit 16 meant NO_DMA in 4.19).
  const extra = quirkBits(km.era, ttbrExt ? ["ARM_MTK_TTBR_EXT"] : []);
  if (!extra.ok) return { ok: false, refusal: { code: extra.refusal.code, text: extra.refusal.message } };
  const created = IommuDomain.create({
    era: km.era,
    mem,
    hw,
    enable4GB: km.platform.iommu4gbMode,
    fitCheck: spec.variant.fitCheck,
    trace,
    extraQuirks: extra.bits,
    ...(cfg === null ? {} : { pgtableCfg: cfg }),
    ...(aperture === null ? {} : { apertureStart: aperture.start, apertureEnd: aperture.end }),
  });
  if (!created.ok) return { ok: false, refusal: { code: "pgtable-refused", text: created.reason } };
  return { ok: true, domain: created.domain, dma: new IommuDma({ domain: created.domain, pages: km.buddy, cpus }) };
}
