// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel messages of a run, deduplicated in order of first appearance with how often each was
 * logged: the domain's and the table memory's, drained after every event, plus notes added by the
 * experiment (a refused domain, the replay's findings).
 */
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
    for (const { state: d } of sys.domains) {
      if (d.ok) continue;
      // The kernel's own line (mtk_iommu_domain_finalise), then the model's account of why.
      this.log.add("mtk-iommu: Failed to alloc io pgtable");
      this.log.add(`model: alloc_io_pgtable_ops refused: ${d.refusal.text}`);
    }
  }

  settled(): void {
    for (const { state: d } of this.sys.domains) if (d.ok) for (const m of d.domain.drainMessages()) this.log.add(m.text);
    for (const m of this.sys.mem.drainMessages()) this.log.add(m);
  }

  finish(): MessageLog {
    return this.log;
  }
}
