// SPDX-License-Identifier: GPL-2.0-only
/** The executor's record of live core mappings answers as the Map<iova, mapping> it replaced. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CoreMapping, CoreMappings } from "../../src/lab/core-mappings.ts";

// Page-aligned IOVAs of a 32-bit and a 34-bit space (sharing pages so keys collide), unaligned ones,
// and some past the chunked range or negative: every one must behave as a Map key.
const iova = fc.oneof(
  fc.integer({ min: 0xfff00, max: 0xfffff }).map((p) => p * 4096),
  fc.integer({ min: 0, max: 64 }).map((p) => p * 4096),
  fc.integer({ min: 0x3_ffff0, max: 0x3_fffff }).map((p) => p * 4096),
  fc.integer({ min: 0, max: 0x10_0000 }),
  fc.constantFrom(2 ** 34, 2 ** 34 + 4096, 2 ** 40, -4096, 0.5, -0),
);

describe("CoreMappings", () => {
  it("matches a Map on random sets, lookups and deletes, including its iteration order", () => {
    const op = fc.record({ kind: fc.constantFrom("set", "set", "get", "delete"), iova, bytes: fc.integer({ min: 1, max: 16 }).map((n) => n * 4096) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const ref = new Map<number, CoreMapping>();
        const set = new CoreMappings();
        for (const o of ops) {
          if (o.kind === "set") {
            const m = new CoreMapping("trace", o.iova, 0x4000_0000, o.bytes);
            ref.set(o.iova, m);
            set.set(m);
          } else if (o.kind === "get") assert.equal(set.get(o.iova), ref.get(o.iova));
          else {
            const m = ref.get(o.iova);
            assert.equal(set.get(o.iova), m);
            if (m !== undefined) {
              ref.delete(o.iova);
              set.delete(m);
            }
          }
          assert.equal(set.size, ref.size);
        }
        assert.deepEqual([...set.values()], [...ref.values()]);
      }),
      { numRuns: 500 },
    );
  });

  it("lets the iteration delete the mapping it is at", () => {
    const set = new CoreMappings();
    for (let i = 0; i < 10; i++) set.set(new CoreMapping("trace", 0xff00_0000 + i * 0x1000, 0, 0x1000));
    for (const m of set.values()) if ((m.iova / 0x1000) % 2 === 0) set.delete(m);
    assert.deepEqual(
      [...set.values()].map((m) => m.iova),
      [1, 3, 5, 7, 9].map((i) => 0xff00_0000 + i * 0x1000),
    );
  });
});
