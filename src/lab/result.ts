// SPDX-License-Identifier: GPL-2.0-only
/** A run's StrategyResult, assembled from what the observers saw; the message order is fixed here. */
import { collectSomeKernelViews, type KernelViewName } from "./kernel-views.ts";
import type { IommuDomain } from "../dma/iommu-core.ts";
import type { MessageLog } from "./observers/messages.ts";
import type { StrayDmaOut } from "./observers/stray-dma.ts";
import type { TablesOut } from "./observers/tables.ts";
import type { VerifyOut } from "./observers/verify.ts";
import { breakdown, isMulti, liveDomains, tableOwners, type DeviceStats } from "./domains.ts";
import type { System } from "./system.ts";
import type { DeviceAttribution, DomainProbeOut, FaultAttribution, Sample, StrategyResult } from "./types.ts";

export interface ObservedParts {
  readonly messages: MessageLog;
  readonly verify: VerifyOut;
  readonly stray: StrayDmaOut;
  readonly samples: readonly Sample[];
  readonly occupancy: readonly number[];
  readonly tables: TablesOut;
  readonly bufferFailures: number;
  readonly runTimeMs: number | null;
  /** Per-device breakdown (observers/attribution.ts); absent for callers that do not observe it. */
  readonly attribution?: readonly DeviceAttribution[];
  /** Per workload device (the executor's counts), for the per-device breakdown. */
  readonly devices?: ReadonlyMap<string, DeviceStats>;
  /** Attributed device faults (replay runs); the result carries them only when there are some. */
  readonly deviceFaults?: readonly FaultAttribution[];
  /** The kernel views to collect at the end (all when absent). */
  readonly views?: readonly KernelViewName[] | undefined;
}

export function assembleResult(sys: System, p: ObservedParts): StrategyResult {
  const log = p.messages;
  for (const m of p.verify.mismatchNotes) log.add(m);
  for (const m of p.tables.notes) log.add(m);
  if (p.bufferFailures > 0) {
    log.add(`workload: ${p.bufferFailures} buffers got no memory (page allocation or dma_alloc_attrs returned NULL); their events were skipped`);
  }
  for (const m of p.verify.zeroNotes) log.add(m);
  const d = sys.domain;
  // Summed over every domain (one on a single-M4U system); tables once per io-pgtable, however many domains share it.
  const live = liveDomains(sys);
  const sum = (f: (c: IommuDomain["counters"]) => number): number => live.reduce((a, x) => a + f(x.counters), 0);
  const info = sys.strategy;
  const t = p.tables;
  return {
    strategy: sys.spec.variant.label,
    description: info.description,
    capabilities: {
      canShrink: info.capabilities.canShrink,
      allocatesInAtomicContext: info.capabilities.allocatesInAtomicContext,
      preallocates: info.capabilities.preallocates,
      tablesAbove4GiBAddressable: info.capabilities.needsTtbrExt,
    },
    domainCreated: d.ok,
    mapCalls: sum((c) => c.mapCalls),
    mapFailures: sum((c) => c.mapFailures),
    unmapCalls: sum((c) => c.unmapCalls),
    // With the fit check on and no TTBR extension, every table placed at or above 4 GiB was refused by
    // the engine (v4.19 refuses silently, later kernels log "Page table does not fit in PTE").
    allocFailures: t.allocFailures + (sys.spec.variant.fitCheck && !sys.ttbrExt ? t.tablesAbove4GiB : 0),
    l2Tables: tableOwners(sys).reduce((a, x) => a + x.table.l2TablesLive(), 0),
    l2TablesAllocated: t.l2TablesAllocated,
    l2TablesFreed: t.l2TablesFreed,
    tablesAbove4GiB: t.tablesAbove4GiB,
    peakHeldBytes: t.peakHeldBytes,
    finalHeldBytes: t.finalHeldBytes,
    peakInUseBytes: t.peakInUseBytes,
    finalInUseBytes: t.finalInUseBytes,
    peakDma32Bytes: t.peakDma32Bytes,
    faults: sys.instances.reduce((a, i) => a + Object.values(i.m4u.counters().faults).reduce((x, y) => x + y, 0), 0),
    translationMismatches: p.verify.translationMismatches,
    strayDmaWrites: p.stray.strayDmaWrites,
    dirtyTables: t.dirtyTables,
    strayDmaVictims: p.stray.strayDmaVictims,
    messages: log.list(),
    kernelCounters: t.kernelCounters,
    samples: p.samples,
    tables: t.tables,
    freedTables: t.freedTables,
    l2Occupancy: p.occupancy,
    runTimeMs: p.runTimeMs,
    boot: sys.boot,
    domainProbe: domainProbeOut(sys),
    kernelViews: collectSomeKernelViews(sys, p.views),
    ...(p.attribution === undefined ? {} : { attribution: p.attribution }),
    ...(isMulti(sys) ? { breakdown: breakdown(sys, p.devices ?? new Map()) } : {}),
    ...(p.deviceFaults !== undefined && p.deviceFaults.length > 0 ? { deviceFaults: p.deviceFaults } : {}),
  };
}

function domainProbeOut(sys: System): DomainProbeOut | null {
  const d = sys.domainProbe;
  if (d === null) return null;
  return {
    masters: d.masters.length,
    attempts: d.attempts,
    failures: d.failures,
    succeeded: d.domain !== null,
    createdBy: d.createdBy,
    createdAtAttempt: d.createdAtAttempt,
    withoutIommu: d.withoutIommu,
    outcome: sys.domainProbeText ?? "",
  };
}
