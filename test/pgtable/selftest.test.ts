// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { it } from "node:test";
import { runSelftest } from "../../src/pgtable/selftest.ts";

for (const era of ["latest", "v6.6", "v4.19"] as const) {
  it(`arm_v7s_do_selftests passes on ${era}, with no dummy-TLB warnings`, () => {
    assert.deepEqual(runSelftest(era), { ok: true, warnings: [] });
  });
}
