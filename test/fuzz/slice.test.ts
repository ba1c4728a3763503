// SPDX-License-Identifier: GPL-2.0-only
/**
 * A short, seeded slice of `npm run fuzz` (which drives every command for as long as it is given): one
 * generated input each for the commands that read traces and write files, the same inputs every run.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { fuzz, type FuzzCommand } from "./harness.ts";

it("replay, compare and trace-gen survive their generated inputs: exit 0/1/2, no stack trace, nothing left or changed", () => {
  const commands: FuzzCommand[] = ["replay", "compare", "trace-gen"];
  const res = fuzz({ seed: 20261201, perCommand: 1, commands });
  for (const c of commands) assert.equal(res.tried[c], 1, c);
  assert.deepEqual(
    res.findings.map((f) => `${f.command}: ${f.problem} (iommu-lab ${f.args.join(" ")})`),
    [],
  );
});
