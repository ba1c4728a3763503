// SPDX-License-Identifier: GPL-2.0-only
/**
 * board-import on boot logs written in the format of 4.19, 5.10 and 6.x (constructed, see
 * test/phys/boot-logs/README.md): the imported platform reproduces the zones and RAM of the log.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { era, type Era } from "../../src/core/era.ts";
import { InputError } from "../../src/core/errors.ts";
import { bootKernelMemory } from "../../src/mm/kernel.ts";
import { parseBootLog, printkText } from "../../src/phys/board-import/boot-log.ts";
import { importBoard } from "../../src/phys/board-import/build.ts";
import { parseBuddyinfo, parseIomem, parseSlabinfo, parseZoneinfo } from "../../src/phys/board-import/procfs.ts";
import { platformFromFile, validatePlatformFile } from "../../src/phys/platform-file.ts";
import { zonesFor } from "../../src/phys/zones.ts";
import { REPO_ROOT } from "../helpers/paths.ts";

const log = (name: string) => ({ name, text: readFileSync(resolve(REPO_ROOT, "test/phys/boot-logs", name), "utf8") });
type Span = [string, number, number];
const modelSpans = (r: ReturnType<typeof importBoard>, e: Era): Span[] =>
  zonesFor(r.platform, e)
    .filter((z) => z.endPfn > z.startPfn)
    .map((z) => [z.name, z.startPfn * 4096, z.endPfn * 4096]);
const loggedSpans = (r: ReturnType<typeof importBoard>): Span[] =>
  (r.file.observedZones ?? []).map((z) => [z.name === "Normal" ? "NORMAL" : z.name, z.start, z.end]);

test("printk prefixes: level, timestamp, caller id, journal; the zone lines keep their indent", () => {
  assert.equal(printkText("<6>[    0.000000][    T0]   DMA      empty"), "  DMA      empty");
  assert.equal(printkText("[    0.000000]   Normal   [mem 0x1-0x2]\r"), "  Normal   [mem 0x1-0x2]");
  assert.equal(printkText("Dec 01 09:00:00 phone kernel: Zone ranges:"), "Zone ranges:");
  assert.equal(printkText("  node   0: [mem 0x0000000040000000-0x000000013fffffff]"), "  node   0: [mem 0x0000000040000000-0x000000013fffffff]");
});

test("4.19 elm log: DMA32 + Normal, 4 GiB in one bank, 4 CPUs, the MT8173 M4U", () => {
  const r = importBoard({ log: log("elm-4.19.log") });
  assert.deepEqual(r.platform.ram, [{ start: 0x4000_0000, end: 0x1_4000_0000 }]);
  assert.equal(r.platform.cpus, 4);
  assert.equal(r.file.basedOn, "mt8173-elm-4g");
  assert.equal(r.platform.iommu4gbMode, true);
  assert.deepEqual(r.file.kernel, { release: "4.19.0", era: "v4.19" });
  assert.deepEqual(loggedSpans(r), [
    ["DMA32", 0x4000_0000, 0x1_0000_0000],
    ["NORMAL", 0x1_0000_0000, 0x1_4000_0000],
  ]);
  assert.deepEqual(modelSpans(r, era("v4.19")), loggedSpans(r));
  assert.deepEqual(r.file.memory, { totalKiB: 4194304, availableKiB: 3948812, reservedKiB: 179956, cmaReservedKiB: 65536 });
  assert.deepEqual(r.file.swiotlb, { start: 0xf7c0_0000, end: 0xfbc0_0000 });
  assert.deepEqual(r.file.cma, [{ bytes: 64 << 20, base: 0xfbc0_0000 }]);
  assert.ok(!r.notes.some((n) => n.includes("differ")), r.notes.join("\n"));
});

test("5.10.35 kukui log: an interleaved line and a split pr_cont in Zone ranges; 5.10.22+ zones", () => {
  const r = importBoard({ log: log("kukui-5.10.log") });
  const zones = parseBootLog(log("kukui-5.10.log").text).zones;
  assert.deepEqual(
    zones?.map((z) => [z.name, z.range === null ? null : z.range.end]),
    [
      ["DMA", 0x1_0000_0000],
      ["DMA32", null],
      ["Normal", 0x1_4000_0000],
    ],
  );
  assert.equal(r.file.basedOn, "mt8183-kukui-4g");
  assert.equal(r.platform.cpus, 8);
  assert.deepEqual(r.platform.ram, [{ start: 0x4000_0000, end: 0x1_4000_0000 }]);
  // 5.10.35 carries the 5.10.22 backport: the dma-ranges formula reproduces the log.
  assert.deepEqual(modelSpans(r, { ...era("v5.10"), zones: "dma-bits-from-ranges" }), loggedSpans(r));
  assert.ok(r.notes.some((n) => n.includes("5.10.35 is 5.10.22 or later")));
  assert.deepEqual(r.file.swiotlb, { start: 0xf7c0_0000, end: 0xfbc0_0000 });
});

test("6.6 cherry log: level and caller prefixes, node ranges split by no-map reservations, two M4Us", () => {
  const r = importBoard({ log: log("cherry-6.6.log") });
  assert.deepEqual(r.platform.ram, [{ start: 0x4000_0000, end: 0x2_4000_0000 }]);
  assert.equal(r.platform.cpus, 8);
  assert.deepEqual(r.file.iommuDevices, ["14018000.iommu", "1c01f000.iommu"]);
  assert.equal(r.file.basedOn, "mt8195-cherry-8g");
  assert.deepEqual(
    r.platform.iommus?.map((i) => i.name),
    ["vpp", "vdo"],
  );
  assert.equal(r.file.name, "google-tomato-rev2-board");
  for (const e of ["v6.6", "latest"]) assert.deepEqual(modelSpans(r, era(e)), loggedSpans(r), e);
  assert.deepEqual(r.file.memory?.availableKiB, 7975636);
});

test("6.19 phone log with missing blocks: the defaults are said; a single memory zone is detected", () => {
  const r = importBoard({ log: log("phone-6.19.log"), name: "phone" });
  assert.equal(r.platform.cpus, 4);
  assert.ok(r.notes.some((n) => n.includes("4 CPUs assumed")));
  assert.ok(r.notes.some((n) => n.includes("RAM taken as the span of the zone ranges")));
  assert.deepEqual(r.platform.config, { arch: "arm64", zoneDma: false, zoneDma32: false });
  assert.deepEqual(modelSpans(r, era("latest")), [["NORMAL", 0x4000_0000, 0x3_4000_0000]]);
  assert.equal(r.file.basedOn, undefined);
});

test("a log without Zone ranges is a clear InputError", () => {
  assert.throws(
    () => importBoard({ log: log("no-zones.log") }),
    (e: unknown) => e instanceof InputError && /no-zones\.log: no "Zone ranges:" block/.test(e.message),
  );
  assert.throws(() => importBoard({ log: { name: "x.log", text: "Zone ranges:\nfoo\n" } }), /x\.log: "Zone ranges:" is followed by no zone line/);
});

// /proc files, constructed by their seq_printf formats.
const BUDDYINFO =
  "Node 0, zone      DMA     12      8      5      3      2      1      1      0      1      1    640 \nNode 0, zone   Normal    401    220     97     31     12      5      2      1      0      0    198 \n";
const ZONEINFO = [
  "Node 0, zone      DMA",
  "  per-node stats",
  "      nr_inactive_anon 1234",
  "  pages free     655123",
  "        boost    0",
  "        min      1086",
  "        low      1872",
  "        high     2658",
  "        promo    3444",
  "        spanned  786432",
  "        present  786432",
  "        managed  770123",
  "        cma      8192",
  "      protection: (0, 0, 19824, 19824)",
  "Node 0, zone   Normal",
  "  pages free     1190000",
  "        boost    0",
  "        min      1810",
  "        low      3120",
  "        high     4430",
  "        spanned  1310720",
  "        present  1310720",
  "        managed  1285000",
  "",
].join("\n");
const SLABINFO = [
  "slabinfo - version: 2.1",
  "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>",
  "io-pgtable_armv7s_l2     37     64   1024   32    8 : tunables    0    0    0 : slabdata      2      2      0",
  "kmalloc-1k          1880   1952   1024   32    8 : tunables    0    0    0 : slabdata     61     61      0",
  "kmalloc-512         3012   3104    512   32    4 : tunables    0    0    0 : slabdata     97     97      0",
  "",
].join("\n");
const IOMEM = "40000000-528fffff : System RAM\n  40210000-4163ffff : Kernel code\n52900000-529fffff : reserved\n52a00000-23fffffff : System RAM\n";

test("/proc files become the stored starting state", () => {
  const r = importBoard({
    log: log("cherry-6.6.log"),
    buddyinfo: { name: "buddyinfo", text: BUDDYINFO },
    zoneinfo: { name: "zoneinfo", text: ZONEINFO },
    slabinfo: { name: "slabinfo", text: SLABINFO },
    iomem: { name: "iomem", text: IOMEM },
  });
  const st = r.file.startingState;
  assert.deepEqual(st?.buddyinfo?.[1], { node: 0, zone: "Normal", free: [401, 220, 97, 31, 12, 5, 2, 1, 0, 0, 198] });
  assert.deepEqual(
    st?.zoneinfo?.map((z) => [z.zone, z.free, z.min, z.low, z.high, z.managed]),
    [
      ["DMA", 655123, 1086, 1872, 2658, 770123],
      ["Normal", 1190000, 1810, 3120, 4430, 1285000],
    ],
  );
  assert.deepEqual(
    st?.slabinfo?.map((s) => [s.name, s.activeObjs, s.numSlabs]),
    [
      ["io-pgtable_armv7s_l2", 37, 2],
      ["kmalloc-1k", 1880, 61],
    ],
  );
  assert.deepEqual(r.file.systemRam, [
    { start: 0x4000_0000, end: 0x5290_0000 },
    { start: 0x52a0_0000, end: 0x2_4000_0000 },
  ]);
  // The written JSON validates again and boots.
  const again = platformFromFile(validatePlatformFile(JSON.parse(JSON.stringify(r.json)), "round-trip.json"));
  const km = bootKernelMemory({ platform: again, era: era("latest"), background: "none", seed: 1 });
  assert.deepEqual(
    km.zones.map((z) => z.name),
    ["DMA", "DMA32", "NORMAL"],
  );
});

test("/proc parsers name the file and line of what they cannot read", () => {
  assert.throws(() => parseBuddyinfo("Node 0, zone DMA x\n", "bi"), /bi: line 1: not a buddyinfo line/);
  assert.throws(() => parseSlabinfo("hello\n", "si"), /si: line 1: not \/proc\/slabinfo/);
  assert.throws(
    () => parseZoneinfo("Node 0, zone DMA\n  pages free 1\n", "zi"),
    /zi: line 1: zone DMA of node 0 has no min, low, high, spanned, present, managed/,
  );
  assert.throws(() => parseIomem("40000000-4fffffff : System RAM\n00000000-00000000 : System RAM\n", "io"), /io: line 2: addresses are zeroed/);
});
