// SPDX-License-Identifier: GPL-2.0-only
/**
 * The boot timeline, the domain timing and the era facts as the command line shows them (runs the
 * compiled CLI: `npm run build` first).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-boot-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mm shows the zone spans the kernel formulas give, and the memblock reservations", () => {
  it("v5.10 (5.10.0-5.10.21) on elm: ZONE_DMA the 30-bit window, ZONE_DMA32 the rest below 4 GiB; swiotlb below ZONE_DMA's end", () => {
    const r = lab("mm", "--era", "v5.10", "--background", "none");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^DMA +0x4000_0000-0x8000_0000 +1 GiB +960 MiB /m);
    assert.match(r.stdout, /^DMA32 +0x8000_0000-0x1_0000_0000 +2 GiB +2 GiB /m);
    assert.match(r.stdout, /^NORMAL +0x1_0000_0000-0x1_4000_0000 +1 GiB +960 MiB /m);
    assert.match(r.stdout, /^ {2}memmap +0x1_3c00_0000-0x1_4000_0000 +64 MiB +NORMAL$/m);
    assert.match(r.stdout, /^ {2}swiotlb +0x7c00_0000-0x8000_0000 +64 MiB +DMA$/m);
  });

  it("v6.6 on elm: ZONE_DMA covers the 3 GiB below 4 GiB, ZONE_DMA32 is empty", () => {
    const r = lab("mm", "--era", "v6.6", "--background", "none");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^DMA +0x4000_0000-0x1_0000_0000 +3 GiB +2\.94 GiB /m);
    assert.match(r.stdout, /^DMA32 +empty /m);
    assert.match(r.stdout, /^ {2}swiotlb +0xfc00_0000-0x1_0000_0000 +64 MiB +DMA$/m);
  });
});

describe("compare --era v5.10 refuses mtk-ttbr-ext", () => {
  it("names the release that added the quirk", () => {
    const r = lab("compare", "--era", "v5.10", "--strategies", "mtk-ttbr-ext", "--jobs", "1", "--no-html", "--json", "r.json", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout.replace(/\n\s+/g, " "),
      /model: alloc_io_pgtable_ops refused: IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT does not exist in Linux v5\.10 \(added about v6\.0\)/,
    );
    const res = (JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { results: { domainCreated: boolean; domainProbe: unknown }[] }).results[0];
    assert.deepEqual([res?.domainCreated, res?.domainProbe], [false, null]);
  });
});

describe("run --trace-out formats with the era", () => {
  // One 4 KiB dma_alloc_attrs: the IOVA allocator hands out the top page of the aperture first.
  const onePage = join(dir, "one-page.json");
  writeFileSync(
    onePage,
    JSON.stringify({
      name: "one-page",
      devices: [{ name: "isp", buffers: [{ name: "stats", api: "alloc", bytes: 4096 }] }],
      phases: [{ kind: "boot" }, { kind: "steady", frames: 1 }],
    }),
  );

  it("v5.10: 5.10's columns (7-wide pid, 4 flag characters), first 4 KiB IOVA 0xffff_f000 (the full 4 GiB aperture)", () => {
    const r = lab("run", onePage, "--era", "v5.10", "--trace-out", "t510.txt", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    const first = readFileSync(join(dir, "t510.txt"), "utf8").split("\n")[0] ?? "";
    assert.match(first, /^ +kworker\/0:1-42 {6}\[000\] \.{4} +100\.000000: map: IOMMU: iova=0x00000000fffff000 paddr=0x[0-9a-f]{16} size=4096$/);
  });

  it("v4.19: 4.19's columns (5-wide pid); the default scenario's first map is its 8 MiB framebuffer, size-aligned below 4 GiB", () => {
    const r = lab("run", "--trace-out", "t419.txt", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    const first = readFileSync(join(dir, "t419.txt"), "utf8").split("\n")[0] ?? "";
    assert.match(first, /^ +kworker\/0:1-42 {4}\[000\] \.{4} +100\.000000: map: IOMMU: iova=0x00000000ff800000 /);
  });
});

describe("--domain-timing", () => {
  it("after-background: the legacy L1 lands in DMA32 at 0x7154_8000; the report says why and names the timing", () => {
    const r = lab("run", "--strategy", "legacy-gfp-dma", "--domain-timing", "after-background", "--json", "late.json", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout.replace(/\n\s+/g, " ");
    assert.match(text, /^domain +after-background \(L1 allocated after the background load\)/m);
    assert.match(text, /Domain created after the background load .*ZONE_NORMAL had 2\.86 MiB free, at its low watermark/);
    assert.match(text, /legacy-gfp-dma's L1 asked for ZONE_NORMAL and fell back to ZONE_DMA32 \(0x7154_8000, below 4 GiB\)/);
    const rep = JSON.parse(readFileSync(join(dir, "late.json"), "utf8")) as {
      params: { domainTiming: string };
      results: { boot: { step: string }[]; domainProbe: { attempts: number; failures: number } }[];
    };
    assert.equal(rep.params.domainTiming, "after-background");
    assert.deepEqual(
      rep.results[0]?.boot.map((s) => s.step),
      ["memblock", "buddy", "background", "device-probe", "workload"],
    );
    assert.deepEqual([rep.results[0]?.domainProbe.attempts, rep.results[0]?.domainProbe.failures], [1, 0]);
  });

  it("default at-probe: 14 failed attempts and every master on platform DMA ops, in the kernel's words", () => {
    const r = lab("run", "--strategy", "legacy-gfp-dma", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout.replace(/\n\s+/g, " ");
    assert.match(text, /^domain +at-probe \(L1 allocated as the masters are added at boot\)/m);
    assert.match(text, /\(14x\) mtk-iommu 10205000\.iommu: Failed to alloc io pgtable/);
    assert.match(text, /legacy-gfp-dma +14 of 14 attempts failed: no domain, 14 masters on platform DMA ops/);
  });

  it("an unknown value is one line, exit 2", () => {
    const r = lab("run", "--domain-timing", "later");
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'iommu-lab: --domain-timing: unknown domain timing "later" (known: at-probe, after-background)');
  });
});

describe("--help", () => {
  it("lists the eras with the releases each stands for", () => {
    const r = lab("compare", "--help");
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout.replace(/\n\s+/g, " ");
    assert.match(text, /v4\.19 \(4\.19\.0\), v5\.10 \(5\.10\.0-5\.10\.21\)/);
    assert.match(text, /--domain-timing <when>/);
  });
});
