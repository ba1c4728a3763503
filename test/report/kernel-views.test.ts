// SPDX-License-Identifier: GPL-2.0-only
/** Kernel-format views: the columns of /proc/slabinfo, buddyinfo, zoneinfo, allocinfo, and a ptdump. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allocinfoText, buddyinfoText, ptdumpText, slabinfoText, zoneinfoText, type ZoneView } from "../../src/report/kernel-views.ts";

const ZONE: ZoneView = {
  name: "Normal",
  freePages: 774,
  min: 512,
  low: 774,
  high: 1036,
  spanned: 262144,
  present: 262144,
  managed: 262144,
  protection: [0, 0, 0],
  freeByOrder: [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3],
  boost: null,
  promo: null,
  cma: null,
};

describe("kernel-format views", () => {
  it("slabinfo 2.1 lines with cache_show's widths", () => {
    const text = slabinfoText([
      { name: "io-pgtable_armv7s_l2", activeObjs: 80, numObjs: 80, objSize: 1024, objPerSlab: 16, pagesPerSlab: 4, activeSlabs: 5, numSlabs: 5 },
    ]);
    const lines = text.split("\n");
    assert.equal(lines[0], "slabinfo - version: 2.1");
    assert.equal(lines[2], "io-pgtable_armv7s_l2     80     80   1024   16    4 : tunables    0    0    0 : slabdata      5      5      0");
  });

  it("buddyinfo and the 4.19 zoneinfo layout; 6.x lines only where the view has them", () => {
    assert.equal(buddyinfoText([ZONE]), "Node 0, zone   Normal      1      2      0      0      0      0      0      0      0      0      3 \n");
    const z419 = zoneinfoText([ZONE]).split("\n");
    assert.deepEqual(z419.slice(0, 3), ["Node 0, zone   Normal", "  pages free     774", "        min      512"]);
    assert.ok(!z419.some((l) => l.includes("boost")));
    assert.equal(z419[8], "        protection: (0, 0, 0)");
    const z6 = zoneinfoText([{ ...ZONE, boost: 0, promo: 1298, cma: 0 }]);
    assert.match(z6, /\n {8}boost {4}0\n {8}min/);
    assert.match(z6, /\n {8}promo {4}1298\n {8}spanned/);
  });

  it("allocinfo lines: size, calls, file:line func:name", () => {
    assert.equal(
      allocinfoText([{ bytes: 98304, calls: 5, file: "mm/slub.c", line: 2462, func: "allocate_slab" }]).split("\n")[2],
      "       98304        5 mm/slub.c:2462 func:allocate_slab ",
    );
  });

  it("ptdump merges runs that continue in IOVA and PA with the same kind and attributes", () => {
    const leaf = (iova: number, pa: number) => ({ iova, pa, bytes: 4096, kind: "small", attrs: "S nG" });
    const text = ptdumpText([leaf(0xff001000, 0x5000_1000), leaf(0xff000000, 0x5000_0000), leaf(0xff002000, 0x6000_0000)]);
    assert.deepEqual(text.split("\n").slice(1, 3), [
      "0xff000000-0xff002000       8K  pa 0x050000000  2 x small  S nG",
      "0xff002000-0xff003000       4K  pa 0x060000000  1 x small  S nG",
    ]);
  });
});
