// SPDX-License-Identifier: GPL-2.0-only
/**
 * Each preset's zone spans and IOMMU flags against the numbers in its source comment
 * (src/phys/platforms/<soc>.ts), the era check, and the domain plan.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { era, type Era } from "../../src/core/era.ts";
import { InputError } from "../../src/core/errors.ts";
import { domainPlan, ioPgtableCfgFor } from "../../src/phys/iommu-plan.ts";
import { PLATFORM_NAMES, PlatformEraError, checkPlatformEra, platform, type IommuInstance } from "../../src/phys/platform.ts";
import { zonesFor } from "../../src/phys/zones.ts";

type Span = [string, number, number];
const spans = (name: string, e: Era | string): Span[] =>
  zonesFor(platform(name), typeof e === "string" ? era(e) : e).map((z) => [z.name, z.startPfn, z.endPfn]);
const inst = (p: string, i: string): IommuInstance => {
  const x = platform(p).iommus?.find((y) => y.name === i);
  assert.ok(x, `${p} has instance ${i}`);
  return x;
};

test("the catalogue holds the issue's presets next to the unchanged MT8173 ones", () => {
  for (const n of [
    "mt8173-elm-4g",
    "mt8173-elm-2g",
    "arm64-8g",
    "mt8195-cherry-8g",
    "mt8192-asurada-8g",
    "mt8183-kukui-4g",
    "mt8186-corsola-8g",
    "mt8188-geralt-8g",
    "mt2712-evb",
    "mt6893-phone-12g",
    "apq8064-2g",
  ]) {
    assert.ok(PLATFORM_NAMES.includes(n), n);
  }
  const elm = platform("mt8173-elm-4g");
  assert.deepEqual([elm.ram, elm.cpus, elm.iommu4gbMode, elm.dmaRangesLimit], [[{ start: 0x4000_0000, end: 0x1_4000_0000 }], 4, true, null]);
  const g = platform("arm64-8g");
  assert.deepEqual([g.ram, g.cpus, g.iommu4gbMode, g.iommus], [[{ start: 0x8000_0000, end: 0x2_8000_0000 }], 8, false, undefined]);
});

test("8 GiB Chromebooks at 0x4000_0000 (mt8195, mt8192, mt8186, mt8188): dma-ranges at or above 4 GiB leave ZONE_DMA at 3 GiB, 5 GiB in NORMAL", () => {
  const want: Span[] = [
    ["DMA", 0x40000, 0x100000],
    ["DMA32", 0x100000, 0x100000],
    ["NORMAL", 0x100000, 0x240000],
  ];
  for (const n of ["mt8195-cherry-8g", "mt8192-asurada-8g", "mt8186-corsola-8g", "mt8188-geralt-8g"]) {
    for (const e of ["v6.6", "latest"]) assert.deepEqual(spans(n, e), want, `${n} ${e}`);
  }
  assert.equal(platform("mt8195-cherry-8g").dmaRangesLimit, 0x4_0000_0000);
  // mt8186's vdec dma-ranges end at CPU 0x1_3fef_ffff: fls64 33 bits (6.6) or the limit itself (6.13+), both capped at 4 GiB.
  assert.equal(platform("mt8186-corsola-8g").dmaRangesLimit, 0x1_3ff0_0000);
});

test("mt8183-kukui-4g: the elm memory map, so elm's zones in every era that has the SoC", () => {
  assert.deepEqual(spans("mt8183-kukui-4g", "latest"), [
    ["DMA", 0x40000, 0x100000],
    ["DMA32", 0x100000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
  assert.deepEqual(spans("mt8183-kukui-4g", { ...era("v5.10"), zones: "dma30-dma32" }), [
    ["DMA", 0x40000, 0x80000],
    ["DMA32", 0x80000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
  assert.deepEqual(spans("mt8183-kukui-4g", { ...era("v5.10"), zones: "dma-bits-from-ranges" }), [
    ["DMA", 0x40000, 0x100000],
    ["DMA32", 0x100000, 0x100000],
    ["NORMAL", 0x100000, 0x140000],
  ]);
});

test("the unchanged presets keep their spans: elm-2g and the generic arm64-8g", () => {
  assert.deepEqual(spans("mt8173-elm-2g", "latest"), [
    ["DMA", 0x40000, 0xc0000],
    ["DMA32", 0xc0000, 0xc0000],
    ["NORMAL", 0xc0000, 0xc0000],
  ]);
  assert.deepEqual(spans("arm64-8g", "v4.19"), [
    ["DMA32", 0x80000, 0x100000],
    ["NORMAL", 0x100000, 0x280000],
  ]);
  assert.deepEqual(spans("arm64-8g", "latest"), [
    ["DMA", 0x80000, 0x100000],
    ["DMA32", 0x100000, 0x100000],
    ["NORMAL", 0x100000, 0x280000],
  ]);
});

test("mt2712-evb: 2 GiB all below 4 GiB", () => {
  assert.deepEqual(spans("mt2712-evb", "v4.19"), [
    ["DMA32", 0x40000, 0xc0000],
    ["NORMAL", 0xc0000, 0xc0000],
  ]);
  assert.deepEqual(spans("mt2712-evb", "latest"), [
    ["DMA", 0x40000, 0xc0000],
    ["DMA32", 0xc0000, 0xc0000],
    ["NORMAL", 0xc0000, 0xc0000],
  ]);
});

test("mt6893-phone-12g: a single memory zone, 12 GiB of ZONE_NORMAL", () => {
  assert.deepEqual(spans("mt6893-phone-12g", "latest"), [["NORMAL", 0x40000, 0x340000]]);
});

test("apq8064-2g: 32-bit ARM without ZONE_DMA: lowmem is ZONE_NORMAL in every era", () => {
  for (const e of ["v4.19", "v5.10", "v6.6", "latest"]) assert.deepEqual(spans("apq8064-2g", e), [["NORMAL", 0x80000, 0xb0000]], e);
});

test("a preset used before its SoC's release is an InputError naming the release", () => {
  const cases: [string, string, RegExp][] = [
    [
      "mt8195-cherry-8g",
      "v5.10",
      /does not support the MT8195 \(absent in 5\.17; first supported in Linux 5\.19 among the trees read; eras with it: v6\.6, latest\)/,
    ],
    ["mt8192-asurada-8g", "v5.10", /absent in 5\.10; first supported in Linux 5\.15/],
    ["mt8183-kukui-4g", "v4.19", /absent in 4\.19; first supported in Linux 5\.10/],
    ["mt8188-geralt-8g", "v5.10", /first supported in Linux 6\.6/],
    ["mt6893-phone-12g", "v6.6", /absent in 6\.13; first supported in Linux 6\.18/],
    ["mt2712-evb", "v4.14", /MT2712 support in Linux v4\.14 is not verified/],
  ];
  for (const [p, e, re] of cases) {
    assert.throws(
      () => zonesFor(platform(p), era(e)),
      (err: unknown) => err instanceof PlatformEraError && err instanceof InputError && err.code === "PLATFORM_ERA_UNSUPPORTED" && re.test(err.message),
      `${p} ${e}`,
    );
  }
  for (const [p, e] of [
    ["mt8195-cherry-8g", "v6.6"],
    ["mt8183-kukui-4g", "v5.10"],
    ["mt6893-phone-12g", "latest"],
    ["mt2712-evb", "v4.19"],
    ["mt8173-elm-4g", "v4.14"],
  ] as const) {
    assert.doesNotThrow(() => checkPlatformEra(platform(p), era(e)));
  }
});

test("io_pgtable_cfg per instance and era, as mtk_iommu_domain_finalise and msm_iommu build it", () => {
  const latest = era("latest");
  const c = (p: string, i: string, e: Era) => {
    const x = ioPgtableCfgFor(inst(p, i), e, platform(p).iommu4gbMode);
    return [x.ias, x.oas, x.ttbrExt, x.l1Bytes];
  };
  assert.deepEqual(c("mt8195-cherry-8g", "vdo", latest), [34, 35, false, 65536]);
  assert.deepEqual(c("mt8195-cherry-8g", "vpp", latest), [34, 35, false, 65536]);
  assert.deepEqual(c("mt8192-asurada-8g", "m4u", latest), [34, 35, false, 65536]);
  assert.deepEqual(c("mt6893-phone-12g", "mm", latest), [34, 35, false, 65536]);
  assert.deepEqual(c("mt8183-kukui-4g", "m4u", latest), [32, 35, false, 16384]);
  assert.deepEqual(c("mt8173-elm-4g", "m4u", latest), [32, 33, false, 16384]);
  assert.deepEqual(c("mt8186-corsola-8g", "mm", era("v6.6")), [34, 35, false, 65536]);
  assert.deepEqual(c("mt8186-corsola-8g", "mm", latest), [34, 35, true, 65536]);
  assert.deepEqual(c("mt8188-geralt-8g", "infra", latest), [32, 35, true, 16384]);
  assert.deepEqual(c("mt8188-geralt-8g", "vdo", era("v6.6")), [34, 35, true, 65536]);
  assert.deepEqual(c("mt2712-evb", "m4u0", latest), [32, 32, false, 16384]);
  // 5.10 built one fixed cfg, oas 34 with or without 4GB mode (Rtoax/linux-5.10.13 mtk_iommu_domain_finalise).
  assert.deepEqual(c("mt8173-elm-4g", "m4u", era("v5.10")), [32, 34, false, 16384]);
  assert.deepEqual(c("mt8173-elm-2g", "m4u", era("v5.10")), [32, 34, false, 16384]);
  assert.deepEqual(c("mt8173-elm-4g", "m4u", era("v4.19")), [32, 32, false, 16384]);
  assert.deepEqual(ioPgtableCfgFor(inst("mt8173-elm-4g", "m4u"), era("v4.19"), true).quirks, ["ARM_NS", "NO_PERMS", "TLBI_ON_MAP", "ARM_MTK_4GB"]);
  assert.deepEqual(ioPgtableCfgFor(inst("mt8173-elm-4g", "m4u"), era("v5.10"), true).quirks, ["ARM_NS", "NO_PERMS", "ARM_MTK_EXT"]);
  assert.deepEqual(ioPgtableCfgFor(inst("mt2712-evb", "m4u0"), era("v4.19"), false).quirks, ["ARM_NS", "NO_PERMS", "TLBI_ON_MAP"]);
  assert.deepEqual(ioPgtableCfgFor(inst("apq8064-2g", "mdp_port0"), latest, false).quirks, []);
  assert.deepEqual(ioPgtableCfgFor(inst("apq8064-2g", "mdp_port0"), era("v4.19"), false).quirks, ["TLBI_ON_MAP"]);
  assert.deepEqual(inst("mt8195-cherry-8g", "vdo").flags, ["IOVA_34_EN", "SHARE_PGTABLE"]);
  assert.deepEqual(inst("mt8173-elm-4g", "m4u").flags, ["HAS_4GB_MODE"]);
});

test("mt8195: vpp and vdo share one table; one domain per IOVA region their masters use, in attach order", () => {
  const plan = domainPlan(platform("mt8195-cherry-8g"), era("latest"));
  assert.deepEqual(
    plan.map((d) => [d.id, d.aperture.start, d.aperture.end, d.sharesTableOf]),
    [
      ["m4ulist/0-4G", 0, 0xff7f_ffff, null],
      ["m4ulist/8-12G", 0x2_0000_0000, 0x2_ff7f_ffff, "m4ulist/0-4G"],
      ["m4ulist/4-8G", 0x1_0000_0000, 0x1_ff7f_ffff, "m4ulist/0-4G"],
      ["m4ulist/CCU0", 0x2_4000_0000, 0x2_43ff_ffff, "m4ulist/0-4G"],
      ["m4ulist/CCU1", 0x2_4400_0000, 0x2_47ff_ffff, "m4ulist/0-4G"],
    ],
  );
  assert.deepEqual(plan[0]?.masters, ["vpp:vdo1-rdma-odd", "vdo:display", "vdo:vdo1-rdma-even"]);
  // 6.6 predates the 8 MiB gap only where the era's single_domain does: the window follows the era profile.
  const v66 = domainPlan(platform("mt8195-cherry-8g"), era("v6.6"));
  assert.equal(v66[0]?.aperture.end, era("v6.6").mt8173ApertureEnd);
});

test("mt8188: the infra IOMMU has no masters here, vpp/vdo share; apq8064: one table per msm_iommu domain", () => {
  const g = domainPlan(platform("mt8188-geralt-8g"), era("latest"));
  assert.equal(g.filter((d) => d.sharesTableOf === null).length, 1);
  assert.ok(g.every((d) => d.cfg.ttbrExt));
  const a = domainPlan(platform("apq8064-2g"), era("latest"));
  assert.deepEqual(
    a.map((d) => [d.id, d.sharesTableOf]),
    [
      ["mdp_port0/display", null],
      ["mdp_port1/display1", null],
    ],
  );
});

test("m4uConfigForInstance: the walker follows each instance's io_pgtable_cfg", async () => {
  const { m4uConfigForInstance } = await import("../../src/iommu/m4u.ts");
  const { checkWalkConfig } = await import("../../src/iommu/walker.ts");
  const vdo = m4uConfigForInstance(inst("mt8195-cherry-8g", "vdo"), era("latest"), false);
  assert.deepEqual([vdo.ias, vdo.mtkExt, vdo.mtkTtbrExt, vdo.fourGbMode, vdo.noPerms], [34, true, false, false, true]);
  const geralt = m4uConfigForInstance(inst("mt8188-geralt-8g", "vdo"), era("latest"), false);
  assert.equal(geralt.mtkTtbrExt, true);
  const elm = m4uConfigForInstance(inst("mt8173-elm-4g", "m4u"), era("v4.19"), true);
  assert.deepEqual([elm.ias, elm.mtkExt, elm.fourGbMode], [32, true, true]);
  const msm = m4uConfigForInstance(inst("apq8064-2g", "mdp_port0"), era("latest"), false);
  assert.deepEqual([msm.ias, msm.mtkExt, msm.noPerms], [32, false, false]);
  for (const c of [vdo, geralt, elm, msm]) assert.doesNotThrow(() => checkWalkConfig(c));
});
