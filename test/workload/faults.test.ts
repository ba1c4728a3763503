// SPDX-License-Identifier: GPL-2.0-only
/** Fault lines in the kernel's own formats: mtk-iommu's dmesg line (4.19 and 6.x) and iommu:io_page_fault. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/core/errors.ts";
import { mtkFaultIova, parseFaults } from "../../src/workload/faults.ts";

describe("fault lines", () => {
  it("reads mtk-iommu's 4.19 line, timestamp and log level included; bits 0-1 are layer and write", () => {
    const [f] = parseFaults("<3>[  612.104857] mtk-iommu 10205000.iommu: fault type=0x5 iova=0xff1fec01 pa=0x0 larb=0 port=3 layer=1 read\n", "dmesg.txt");
    assert.deepEqual(f, {
      iova: 0xff1fe000,
      write: false,
      origin: "dmesg",
      line: 1,
      timestamp: 612.104857,
      device: "10205000.iommu",
      mtk: { type: 5, larb: 0, port: 3, layer: 1, raw: 0xff1fec01, pa: 0 },
    });
  });

  it("reads the 6.x line with master=(larb port) and decodes IOVA bits 34:32 on IOVA_34_EN parts", () => {
    const text = "noise\n[ 1.5] mtk-iommu 14018000.iommu: fault type=0x2 iova=0xfe000602 pa=0x80000000 master=0x00000123(larb=2 port=8) layer=0 write\n";
    const [plain] = parseFaults(text, "d");
    assert.equal(plain?.iova, 0xfe000000);
    assert.equal(plain?.write, true);
    assert.equal(plain?.line, 2);
    assert.deepEqual([plain?.mtk?.larb, plain?.mtk?.port], [2, 8]);
    const [wide] = parseFaults(text, "d", { iova34: true });
    assert.equal(wide?.iova, 3 * 2 ** 32 + 0xfe000000);
    assert.equal(mtkFaultIova(0x0000_0e00, true), 7 * 2 ** 32);
  });

  it("reads iommu:io_page_fault in cat-trace and trace-cmd layouts", () => {
    const text = [
      "  kworker/0:1-42    [000] d.h1  1234.500001: io_page_fault: IOMMU:mtk-iommu 10205000.iommu iova=0x00000000ff1fe000 flags=0x0001",
      "  vdec-7 [001]  1234.600000: iommu:io_page_fault: IOMMU:mtk-iommu 10205000.iommu iova=0x00000000fe001000 flags=0x0000",
    ].join("\n");
    const fs = parseFaults(text, "t");
    assert.deepEqual(
      fs.map((f) => [f.iova, f.write, f.timestamp, f.origin, f.device]),
      [
        [0xff1fe000, true, 1234.500001, "trace", "10205000.iommu"],
        [0xfe001000, false, 1234.6, "trace", "10205000.iommu"],
      ],
    );
  });

  it("a fault line it cannot read is one error naming the line", () => {
    assert.throws(
      () => parseFaults("ok\nmtk-iommu x: fault type=0x5 iova=zz\n", "f.txt"),
      (e: unknown) => e instanceof InputError && /^f\.txt: line 2: names an IOMMU fault but is not in the kernel's format/.test(e.message),
    );
  });
});
