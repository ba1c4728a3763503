// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel messages of a run, deduplicated in order of first appearance with how often each was
 * logged: the domain's and the table memory's, drained after every event, plus notes added by the
 * experiment (a refused domain, the replay's findings).
 */
import { MT8173_M4U_DEVICE } from "../../dma/domain-probe.ts";
import type { System } from "../system.ts";
import type { Observer } from "./observer.ts";

export interface Message {
  readonly text: string;
  readonly count: number;
}

export class MessageLog {
  private readonly counts = new Map<string, number>();

  add(text: string): void {
    this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
  }

  list(): Message[] {
    return [...this.counts].map(([text, count]) => ({ text, count }));
  }
}

export class MessagesObserver implements Observer<MessageLog> {
  readonly log = new MessageLog();
  private readonly sys: System;

  constructor(sys: System) {
    this.sys = sys;
    const probe = sys.domainProbe;
    if (probe !== null) {
      // The kernel's lines as each master's add printed them (mtk_iommu_domain_finalise's dev_err once
      // per failed attempt, arm64's pr_warn per master left on the platform DMA ops), then the model's
      // account of why each refused attempt failed.
      for (const m of probe.masters) for (const line of m.messages) this.log.add(line);
      for (const m of probe.masters) if (m.refusal !== null) this.log.add(`model: alloc_io_pgtable_ops refused: ${m.refusal}`);
    } else {
      // No per-master probe (a quirk this era's io-pgtable lacks, or a multi-instance system): each
      // refused domain gets mtk_iommu_domain_finalise's line, then the model's account of why.
      for (const { state: dd } of sys.domains) {
        if (dd.ok) continue;
        this.log.add(`${MT8173_M4U_DEVICE}: Failed to alloc io pgtable`);
        this.log.add(`model: alloc_io_pgtable_ops refused: ${dd.refusal.text}`);
      }
    }
  }

  settled(): void {
    // Drained after every event to keep the order the lines were logged in; most events log nothing,
    // so look before draining (a drain allocates).
    for (const { state: d } of this.sys.domains) if (d.ok && d.domain.messages.length > 0) for (const m of d.domain.drainMessages()) this.log.add(m.text);
    const mem = this.sys.mem;
    if (mem.mayHaveMessages) for (const m of mem.drainMessages()) this.log.add(m);
  }

  finish(): MessageLog {
    return this.log;
  }
}
