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
import { applyBackgroundLoad } from "../mm/background.ts";
import { bootKernelMemory, type KernelMemory } from "../mm/kernel.ts";
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
}

export interface BootOptions {
  /** Receives the iommu:map/unmap tracepoints the run emits. */
  readonly trace?: TraceSink | null;
}

/** Boots the machine and probes the device in the variant's order. Unknown names throw RangeError. */
export function bootSystem(spec: RunSpec, options: BootOptions = {}): System {
  const m = resolveMachine(spec.machine);
  const info = strategyByName(spec.variant.strategy);
  let km: KernelMemory | null = null;
  let probed: Omit<System, "spec" | "platform" | "era" | "cpus" | "strategy" | "km" | "iovaLimit"> | null = null;
  for (const step of bootSteps(spec.variant.domainTiming)) {
    switch (step) {
      case "kernel-memory":
        km = bootKernelMemory({ platform: m.platform, era: m.era, background: "none", seed: spec.machine.seed });
        break;
      case "background-load": {
        const k: KernelMemory = required(km, step);
        km = { ...k, background: applyBackgroundLoad(k.buddy, spec.machine.background, k.backgroundRng) };
        break;
      }
      case "device-probe":
        probed = probe(spec, required(km, step), info, m.cpus, options.trace ?? null);
        break;
    }
  }
  const k = required(km, "boot");
  const p = required(probed, "boot");
  return { spec, platform: m.platform, era: m.era, cpus: m.cpus, strategy: info, km: k, ...p, iovaLimit: 2 ** p.m4u.config.ias };
}

/** The IOVAs the variant's M4U will translate, [0, limit), known before boot. */
export function iovaLimitFor(spec: RunSpec): number {
  const m = resolveMachine(spec.machine);
  return 2 ** m4uConfigFor(m.platform, { mtkTtbrExt: strategyByName(spec.variant.strategy).needsTtbrExt }).ias;
}

function required<T>(x: T | null, step: string): T {
  if (x === null) throw new TypeError(`bootSystem: ${step} ran before the kernel memory it needs`);
  return x;
}

/** mtk_iommu's probe and first attach: table memory, the M4U, the domain and its DMA layer. */
function probe(spec: RunSpec, km: KernelMemory, info: StrategyInfo, cpus: number, trace: TraceSink | null) {
  const buddy = km.buddy;
  const mem = new InstrumentedTableMemory(info.create({ buddy, era: km.era, cpus }), (pa) => buddy.zoneOf(pa));
  const ttbrExt = info.needsTtbrExt;
  const tlb = spec.machine.tlbEntries;
  const m4u = new M4u(km.phys, m4uConfigFor(km.platform, { mtkTtbrExt: ttbrExt, ...(tlb === undefined ? {} : { tlbEntries: tlb }) }));
  return { mem, m4u, domain: createDomain(spec, km, mem, m4u, ttbrExt, cpus, trace) };
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
