// SPDX-License-Identifier: GPL-2.0-only
/** --platform-file JSON: field-by-field validation, and the platform it describes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { era } from "../../src/core/era.ts";
import { InputError } from "../../src/core/errors.ts";
import { parsePlatformFile, platformFromFile, validatePlatformFile } from "../../src/phys/platform-file.ts";
import { zonesFor } from "../../src/phys/zones.ts";

const OK = { schema: "iommu-lab/platform/1", name: "my-board", ram: [{ start: "0x40000000", end: "0x240000000" }], cpus: 8 };

const rejects = (json: unknown, re: RegExp): void => {
  assert.throws(
    () => validatePlatformFile(json, "b.json"),
    (e: unknown) => e instanceof InputError && re.test(e.message),
    `expected ${re}`,
  );
};

test("errors name the file, the field path and the rule", () => {
  rejects({ ...OK, schema: "x" }, /^b\.json: schema: must be "iommu-lab\/platform\/1"/);
  rejects({ ...OK, ram: [] }, /^b\.json: ram: must list at least one RAM bank/);
  rejects({ ...OK, ram: [{ start: "0x40000001", end: "0x80000000" }] }, /^b\.json: ram\[0\]\.start: must be a multiple of 4096/);
  rejects({ ...OK, ram: [{ start: "0x80000000", end: "0x40000000" }] }, /^b\.json: ram\[0\]\.end: end must lie above start/);
  rejects(
    { ...OK, ram: [{ start: "banana", end: "0x40000000" }] },
    /^b\.json: ram\[0\]\.start: must be an address from 0 to 0x800000000 \(35 bits\), not "banana"/,
  );
  rejects({ ...OK, ram: [{ start: 0, end: 2 ** 36 }] }, /ram\[0\]\.end: must be an address from 0 to 0x800000000/);
  rejects(
    {
      ...OK,
      ram: [
        { start: "0x40000000", end: "0x80000000" },
        { start: "0x70000000", end: "0x90000000" },
      ],
    },
    /^b\.json: ram\[1\]: overlaps the bank at 0x40000000-0x80000000/,
  );
  rejects({ ...OK, cpus: 0 }, /^b\.json: cpus: must be from 1 to 256/);
  rejects({ ...OK, cpus: 2.5 }, /^b\.json: cpus: must be an integer/);
  rejects({ ...OK, basedOn: "mt9999" }, /^b\.json: basedOn: must name a preset/);
  rejects({ ...OK, config: { arch: "x86", zoneDma: true, zoneDma32: true } }, /^b\.json: config\.arch: must be "arm64" or "arm"/);
  rejects({ ...OK, colour: "red" }, /^b\.json: unknown field "colour"/);
  rejects({ ...OK, kernel: { release: "6.6", era: "v9" } }, /^b\.json: kernel\.era: must be a kernel era of the model/);
  assert.throws(() => parsePlatformFile("{", "c.json"), /^InputError|c\.json: not valid JSON/);
});

test("a file based on a preset keeps its IOMMUs and releases, with its own RAM", () => {
  const p = platformFromFile(validatePlatformFile({ ...OK, basedOn: "mt8195-cherry-8g", ram: [{ start: "0x40000000", end: "0x140000000" }] }, "b.json"));
  assert.deepEqual(p.ram, [{ start: 0x4000_0000, end: 0x1_4000_0000 }]);
  assert.deepEqual(
    p.iommus?.map((i) => i.name),
    ["vpp", "vdo"],
  );
  assert.equal(p.dmaRangesLimit, 0x4_0000_0000);
  assert.throws(() => zonesFor(p, era("v5.10")), /does not support the MT8195/);
  assert.deepEqual(
    zonesFor(p, era("latest")).map((z) => [z.name, z.endPfn]),
    [
      ["DMA", 0x100000],
      ["DMA32", 0x100000],
      ["NORMAL", 0x140000],
    ],
  );
  // Without basedOn: no SoC, every era, the model's default M4U.
  const plain = platformFromFile(validatePlatformFile(OK, "b.json"));
  assert.equal(plain.iommus, undefined);
  assert.doesNotThrow(() => zonesFor(plain, era("v4.14")));
});
