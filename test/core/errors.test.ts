// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/core/errors.ts";

describe("InputError as data", () => {
  it("survives JSON and structured clone (a worker's postMessage) with the same message", () => {
    for (const e of [new InputError("trace.txt", "line 3041", "unknown tracepoint"), new InputError("scenario.json", "", "is empty")]) {
      for (const data of [JSON.parse(JSON.stringify(e)) as unknown, structuredClone(e.toJSON())]) {
        const back = InputError.fromJSON(data);
        assert.ok(back instanceof InputError);
        assert.equal(back.message, e.message);
        assert.deepEqual([back.input, back.where, back.problem], [e.input, e.where, e.problem]);
      }
    }
  });

  it("refuses data that is not an InputError's", () => {
    for (const data of [null, "x", { name: "RangeError", message: "m" }, { name: "InputError", input: "f", where: 3, problem: "p" }]) {
      assert.equal(InputError.fromJSON(data), null);
    }
  });
});
