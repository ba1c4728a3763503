// SPDX-License-Identifier: GPL-2.0-only
/** Every golden-vector file of every era, bit for bit, through the same path as `ops --check`. */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkOracle, describeDifference, parseOracle, runOracle } from "../../src/pgtable/oracle.ts";
import { VECTORS_DIR } from "../helpers/paths.ts";

for (const eraDir of ["latest", "v6.6", "v4.19"]) {
  describe(`golden vectors ${eraDir}`, () => {
    const dir = join(VECTORS_DIR, eraDir);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
    it("has vector files", () => assert.ok(files.length >= 10, `${dir} holds ${files.length} files`));
    for (const f of files) {
      it(f, () => {
        const path = join(dir, f);
        const text = readFileSync(path, "utf8");
        const doc = parseOracle(JSON.parse(text), path);
        const report = checkOracle(doc);
        assert.deepEqual(report.failures.map(describeDifference), []);
        assert.equal(report.passed, report.total);
        assert.ok(report.total > 0);
        // `ops FILE` regenerates the recorded file byte for byte (expectations, logs, dumps, key order).
        assert.ok(JSON.stringify(runOracle(doc).doc) === text.trim(), `${f}: regenerated results differ from the file`);
      });
    }
  });
}
