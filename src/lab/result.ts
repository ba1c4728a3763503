// SPDX-License-Identifier: GPL-2.0-only
/** A run's StrategyResult, assembled from what the observers saw; the message order is fixed here. */
import type { MessageLog } from "./observers/messages.ts";
import type { StrayDmaOut } from "./observers/stray-dma.ts";
import type { TablesOut } from "./observers/tables.ts";
import type { VerifyOut } from "./observers/verify.ts";
import type { System } from "./system.ts";
import type { DomainProbeOut, Sample, StrategyResult } from "./types.ts";

export interface ObservedParts {
  readonly messages: MessageLog;
  readonly verify: VerifyOut;
  readonly stray: StrayDmaOut;
  readonly samples: readonly Sample[];
  readonly occupancy: readonly number[];
  readonly tables: TablesOut;
  readonly bufferFailures: number;
  readonly runTimeMs: number | null;
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
  const counters = d.ok ? d.domain.counters : null;
  const info = sys.strategy;
  const t = p.tables;
  return {
    strategy: sys.spec.variant.label,
    description: info.description,
    capabilities: { canShrink: info.capabilities.canShrink, allocatesInAtomicContext: info.capabilities.allocatesInAtomicContext, preallocates: info.capabilities.preallocates, tablesAbove4GiBAddressable: info.capabilities.needsTtbrExt },
    domainCreated: d.ok,
    mapCalls: counters?.mapCalls ?? 0,
    mapFailures: counters?.mapFailures ?? 0,
    unmapCalls: counters?.unmapCalls ?? 0,
    // With the fit check on and no TTBR extension, every table placed at or above 4 GiB was refused by
    // the engine (v4.19 refuses silently, later kernels log "Page table does not fit in PTE").
    allocFailures: t.allocFailures + (sys.spec.variant.fitCheck && !info.capabilities.needsTtbrExt ? t.tablesAbove4GiB : 0),
    l2Tables: d.ok ? d.domain.table.l2TablesLive() : 0,
    l2TablesAllocated: t.l2TablesAllocated,
    l2TablesFreed: t.l2TablesFreed,
    tablesAbove4GiB: t.tablesAbove4GiB,
    peakHeldBytes: t.peakHeldBytes,
    finalHeldBytes: t.finalHeldBytes,
    peakInUseBytes: t.peakInUseBytes,
    finalInUseBytes: t.finalInUseBytes,
    peakDma32Bytes: t.peakDma32Bytes,
    faults: Object.values(sys.m4u.counters().faults).reduce((a, b) => a + b, 0),
    translationMismatches: p.verify.translationMismatches,
    strayDmaWrites: p.stray.strayDmaWrites,
    dirtyTables: t.dirtyTables,
    strayDmaVictims: p.stray.strayDmaVictims,
    messages: log.list(),
    kernelCounters: t.kernelCounters,
    samples: p.samples,
    tables: t.tables,
    l2Occupancy: p.occupancy,
    runTimeMs: p.runTimeMs,
    boot: sys.boot,
    domainProbe: domainProbeOut(sys),
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
