// SPDX-License-Identifier: GPL-2.0-only
/** The L2 fill histogram: live L2 tables by valid-entry count, taken when teardown begins, else at the end. */
import { tableOwners } from "../domains.ts";
import type { System } from "../system.ts";
import type { Observer } from "./observer.ts";

/** Bucket width in valid entries: bucket 0 is empty tables, then 1-31, 32-63, …, 224-256. */
export const OCCUPANCY_BUCKET_ENTRIES = 32;
/** 256 entries per L2 table / 32, plus the bucket of empty tables. */
export const OCCUPANCY_BUCKETS = 9;

export class OccupancyObserver implements Observer<readonly number[]> {
  private readonly sys: System;
  private atTeardown: number[] | null = null;

  constructor(sys: System) {
    this.sys = sys;
  }

  // The histogram describes the steady state: teardown leaves every L2 table empty.
  phase(name: string): void {
    if (name === "teardown" && this.atTeardown === null) this.atTeardown = this.histogram();
  }

  private histogram(): number[] {
    const buckets = new Array<number>(OCCUPANCY_BUCKETS).fill(0);
    for (const d of tableOwners(this.sys)) {
      d.table.forEachL2Table((_l1, _pa, valid) => {
        const b = valid === 0 ? 0 : Math.min(OCCUPANCY_BUCKETS - 1, Math.floor(valid / OCCUPANCY_BUCKET_ENTRIES) + 1);
        buckets[b] = (buckets[b] ?? 0) + 1;
      });
    }
    return buckets;
  }

  finish(): readonly number[] {
    return this.atTeardown ?? this.histogram();
  }
}
