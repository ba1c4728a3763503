// SPDX-License-Identifier: GPL-2.0-only
/** Scenario files as users save them: a UTF-8 BOM is accepted, a "__proto__" key anywhere is refused. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/core/errors.ts";
import { parseScenario } from "../../src/workload/scenario.ts";

const SCEN = { name: "s", devices: [{ name: "d", buffers: [{ name: "b", api: "alloc", bytes: 4096 }] }], phases: [{ kind: "boot" }] };

describe("scenario text", () => {
  it("a leading UTF-8 byte order mark is accepted", () => {
    assert.deepEqual(parseScenario("\ufeff" + JSON.stringify(SCEN), "s.json"), parseScenario(JSON.stringify(SCEN), "s.json"));
  });

  it('a "__proto__" key in a profile\'s params (or anywhere) is an InputError naming the field', () => {
    const text = '{"name":"s","devices":[{"name":"cam","profile":"mt8173-camera","params":{"__proto__":{"buffers":6}}}],"phases":[{"kind":"boot"}]}';
    assert.throws(
      () => parseScenario(text, "p.json"),
      (e: unknown) => e instanceof InputError && e.message.startsWith('p.json: devices[0].params.__proto__: a "__proto__" key is refused'),
    );
    assert.throws(
      () => parseScenario('{"__proto__":1}', "q.json"),
      (e: unknown) => e instanceof InputError && e.where === "__proto__",
    );
  });
});
