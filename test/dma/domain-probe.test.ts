// SPDX-License-Identifier: GPL-2.0-only
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SZ_4G } from "../../src/core/u32.ts";
import { describeDomainProbe, MT8173_M4U_MASTERS, probeMtkMasters, type DomainAttempt } from "../../src/dma/domain-probe.ts";
import { IommuDomain } from "../../src/dma/iommu-core.ts";
import { KernelBoot } from "../../src/mm/boot.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { GFP_KERNEL } from "../../src/mm/gfp.ts";
import { strategy } from "../../src/strategies/index.ts";

/** mtk_iommu_domain_alloc for one attempt: a fresh v7s table over `name`'s table memory. */
function mtkDomainAlloc(boot: KernelBoot, name: string): (master: string) => DomainAttempt<IommuDomain> {
  return () => {
    const mem = strategy(name).create({ buddy: boot.buddy, era: boot.era, cpus: boot.platform.cpus });
    const r = IommuDomain.create({ era: boot.era, mem, enable4GB: boot.platform.iommu4gbMode });
    if (!r.ok) mem.destroy(); // arm_v7s_alloc_pgtable's out_free_data: the L2 cache goes too
    return r;
  };
}

function boot419(): KernelBoot {
  const boot = new KernelBoot({ platform: "mt8173-elm-4g", era: "v4.19", seed: 1 });
  boot.reserveMemblock();
  boot.initBuddy();
  return boot;
}

describe("mtk_iommu domain creation while the masters are added (4.19)", () => {
  it("scripted: each master after a failure retries; masters before the success keep platform DMA ops", () => {
    const r = probeMtkMasters(["a", "b", "c", "d"], (_m, n) => (n < 3 ? { ok: false, reason: `no ${n}` } : { ok: true, domain: "dom" }));
    assert.deepEqual([r.attempts, r.failures, r.domain, r.createdBy, r.createdAtAttempt], [3, 2, "dom", "c", 3]);
    assert.deepEqual(r.withoutIommu, ["a", "b"]);
    assert.deepEqual(
      r.masters.map((m) => [m.master, m.attempt, m.dma]),
      [
        ["a", 1, "platform"],
        ["b", 2, "platform"],
        ["c", 3, "iommu"],
        ["d", null, "iommu"],
      ],
    );
    assert.deepEqual(r.masters[0]?.messages, [
      "mtk-iommu 10205000.iommu: Failed to alloc io pgtable",
      "Failed to set up IOMMU for device a; retaining platform DMA ops",
    ]);
    assert.deepEqual(r.masters[2]?.messages, []);
    assert.match(describeDomainProbe(r), /^2 domain allocation\(s\) failed before attempt 3 \(c\) succeeded/);
  });

  it("elm 4.19 at boot: the legacy L1 lands above 4 GiB at every attempt, so all 14 masters fail and keep platform DMA", () => {
    const boot = boot419();
    const { result } = boot.probeDevices(() => probeMtkMasters(MT8173_M4U_MASTERS, mtkDomainAlloc(boot, "legacy-gfp-dma")));
    assert.equal(result.attempts, 14);
    assert.equal(result.failures, 14);
    assert.equal(result.domain, null);
    assert.equal(result.withoutIommu.length, 14);
    // The refused L1 is freed and the next attempt gets the same block back from the head of the list.
    assert.ok(result.masters.every((m) => m.refusal !== null));
    // Each attempt's L1 is listed, at the same address, freed again.
    const l1 = { what: "io-pgtable-arm-v7s:l1", where: 0x1_3bc0_0000, bytes: 16384, zone: "NORMAL", freed: true, requestedZone: "NORMAL" };
    assert.deepEqual(
      boot.steps.at(-1)?.allocated,
      Array.from({ length: 14 }, () => l1),
    );
    boot.buddy.checkInvariants();
  });

  it("a retry succeeds once NORMAL has fallen to its low watermark between two adds", () => {
    const boot = boot419();
    const b: BuddyAllocator = boot.buddy;
    const alloc = mtkDomainAlloc(boot, "legacy-gfp-dma");
    const { result } = boot.probeDevices(() =>
      probeMtkMasters(MT8173_M4U_MASTERS, (master, n) => {
        // Other drivers probing between the 3rd and 4th master take NORMAL down to its low watermark.
        if (n === 4) while (b.freePagesIn("NORMAL") > b.zoneState("NORMAL").low) b.allocPages(GFP_KERNEL, 0, "other-driver");
        return alloc(master);
      }),
    );
    assert.deepEqual([result.attempts, result.failures, result.createdAtAttempt, result.createdBy], [4, 3, 4, "14007000.wrot"]);
    assert.deepEqual(result.withoutIommu, ["14001000.rdma", "14002000.rdma", "14006000.wdma"]);
    const l1 = boot.steps.at(-1)?.allocated.find((a) => a.what === "io-pgtable-arm-v7s:l1" && !a.freed);
    assert.ok(l1?.where !== null && l1 !== undefined && (l1.where as number) < SZ_4G && l1.zone === "DMA32");
  });

  it("the merged fix (slab-dma32) succeeds at the first master", () => {
    const boot = boot419();
    const { result } = boot.probeDevices(() => probeMtkMasters(MT8173_M4U_MASTERS, mtkDomainAlloc(boot, "slab-dma32")));
    assert.deepEqual([result.attempts, result.failures, result.createdBy], [1, 0, "14001000.rdma"]);
    assert.equal(describeDomainProbe(result), "the first master's add created the domain; all 14 masters are attached to it");
  });
});
