// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DmaMaster, findStrayDma } from "../../src/iommu/dma-master.ts";
import { M4u, mt8173Config } from "../../src/iommu/m4u.ts";
import { arm64_8g, elm4g, mtkSmall, setL1, setL2, tableDesc } from "./fixtures.ts";

const L1 = 0x4000_4000;
const L2 = 0x4010_0400;

/** elm 4 GiB, 4GB mode: IOVA 0x1000_0000 + i*4K -> CPU `pas[i]` (driver-style PTEs with bit 32 ORed in). */
function rig(pas: readonly (number | null)[]) {
  const phys = elm4g();
  const m4u = new M4u(phys, mt8173Config(true));
  m4u.writePtBase(L1);
  setL1(phys, L1, 0x1000_0000, tableDesc(L2));
  pas.forEach((p, i) => {
    if (p !== null) setL2(phys, L2, 0x1000_0000 + i * 0x1000, mtkSmall(p >= 0x1_0000_0000 ? p : p + 0x1_0000_0000));
  });
  return { phys, m4u, dev: new DmaMaster("vdec", m4u, phys) };
}

describe("DmaMaster", () => {
  it("writes page by page through translate and reports bytes, ranges and chunks", () => {
    const { phys, dev } = rig([0x5000_0000, 0x5000_1000, 0x1_2000_0000]);
    const r = dev.write(0x1000_0800, 0x2000, 0xa5a5_0001);
    assert.equal(r.bytesTransferred, 0x2000);
    assert.deepEqual(r.faults, []);
    assert.deepEqual(r.ranges, [
      { pa: 0x5000_0800, bytes: 0x1800 },
      { pa: 0x1_2000_0000, bytes: 0x800 },
    ]);
    assert.deepEqual(
      r.chunks.map((c) => [c.iova, c.bytes, c.pa]),
      [
        [0x1000_0800, 0x800, 0x5000_0800],
        [0x1000_1000, 0x1000, 0x5000_1000],
        [0x1000_2000, 0x800, 0x1_2000_0000],
      ],
    );
    assert.equal(phys.read32(0x5000_0800), 0xa5a5_0001);
    assert.equal(phys.read32(0x1_2000_07fc), 0xa5a5_0001);
    assert.equal(phys.read32(0x1_2000_0800), 0);
    assert.equal(phys.read32(0x5000_07fc), 0);
  });

  it("a faulting page moves no data, is reported, and the transfer goes on", () => {
    const { phys, m4u, dev } = rig([0x5000_0000, null, 0x5000_2000]);
    const r = dev.write(0x1000_0000, 0x3000, (off) => off);
    assert.equal(r.bytesTransferred, 0x2000);
    assert.equal(r.faults.length, 1);
    assert.deepEqual([r.faults[0]?.type, r.faults[0]?.iova, r.faults[0]?.access], ["translation", 0x1000_1000, "write"]);
    assert.equal(r.chunks[1]?.pa, null);
    assert.equal(phys.read32(0x5000_2004), 0x2004);
    assert.equal(m4u.counters().faults.translation, 1);
  });

  it("reads back what was written, zeros where it faulted", () => {
    const { dev } = rig([0x5000_0000, null]);
    dev.write(0x1000_0000, 0x1000, (off) => 0x1000_0000 + off);
    const r = dev.read(0x1000_0ff8, 16);
    assert.deepEqual([...r.words], [0x1000_0ff8, 0x1000_0ffc, 0, 0]);
    assert.equal(r.bytesTransferred, 8);
    assert.equal(r.faults.length, 1);
  });

  it("a translated PA that is not RAM is a bus error, counted per word", () => {
    const phys = arm64_8g();
    const m4u = new M4u(phys, mt8173Config(false));
    m4u.writePtBase(0x8000_4000);
    setL1(phys, 0x8000_4000, 0, tableDesc(0x8010_0000));
    setL2(phys, 0x8010_0000, 0, mtkSmall(0x4000_0000)); // below arm64-8g's DRAM
    const r = new DmaMaster("cam", m4u, phys).write(0, 64, 1);
    assert.equal(r.busErrors, 16);
    assert.equal(r.bytesTransferred, 0);
    assert.equal(phys.busErrorCount, 16);
  });

  it("stray-DMA detection: a stale TLB entry sends the write into memory someone else now owns", () => {
    const { phys, m4u, dev } = rig([0x5000_0000, 0x5000_1000]);
    dev.write(0x1000_0000, 0x2000, 0x1111_1111);
    // The buffer is unmapped and page 1 remapped to a new PA without iotlb_sync; the old page went to "slab".
    setL2(phys, L2, 0x1000_1000, mtkSmall(0x1_6000_0000)); // CPU 0x6000_0000 | BIT(32)
    const intended = (iova: number) => (iova < 0x1000_1000 ? 0x5000_0000 + (iova - 0x1000_0000) : 0x6000_0000 + (iova - 0x1000_1000));
    const owners = (pa: number) => (pa >= 0x5000_1000 && pa < 0x5000_2000 ? "slab:kmalloc-1k" : null);
    const r = dev.write(0x1000_0000, 0x2000, 0xdead_beef);
    const stray = findStrayDma(r, intended, owners);
    assert.deepEqual(stray, [{ iova: 0x1000_1000, bytes: 0x1000, intendedPa: 0x6000_0000, actualPa: 0x5000_1000, owner: "slab:kmalloc-1k" }]);
    assert.equal(phys.read32(0x5000_1000), 0xdead_beef);
    m4u.flushRange(0x1000_0000, 0x1000_1fff);
    assert.deepEqual(findStrayDma(dev.write(0x1000_0000, 0x2000, 0), intended, owners), []);
  });

  it("rejects unaligned or empty transfers", () => {
    const { dev } = rig([0x5000_0000]);
    assert.throws(() => dev.write(0x1000_0002, 4, 0), RangeError);
    assert.throws(() => dev.read(0x1000_0000, 0), RangeError);
    assert.throws(() => dev.read(0x1000_0000, 6), RangeError);
  });
});
