// SPDX-License-Identifier: GPL-2.0-only
/**
 * `board-import`: a platform file from what a user can copy off a running board. The boot log gives
 * the RAM, zones, CPUs, kernel release and IOMMU devices; /proc files, when given, give the starting
 * state (free blocks per zone and order, watermarks, the slabs that hold L2 tables), stored for the lab.
 * Whatever is not found is said in `notes`, with the default used instead.
 */
import { era as eraByName, type EraName } from "../../core/era.ts";
import { InputError } from "../../core/errors.ts";
import { hexGrouped } from "../../core/u32.ts";
import { PLATFORM_FILE_SCHEMA, platformFromFile, validatePlatformFile, type PlatformFile } from "../platform-file.ts";
import { allPlatforms, releaseAtLeast, type Platform, type Release } from "../platform.ts";
import { zonesFor } from "../zones.ts";
import { parseBootLog, type BootLog } from "./boot-log.ts";
import { l2Slabs, parseBuddyinfo, parseIomem, parseSlabinfo, parseZoneinfo, systemRam } from "./procfs.ts";

export interface InputText {
  readonly name: string;
  readonly text: string;
}

export interface BoardImportInput {
  readonly log: InputText;
  readonly iomem?: InputText;
  readonly zoneinfo?: InputText;
  readonly buddyinfo?: InputText;
  readonly slabinfo?: InputText;
  /** The platform's name; default: from the log's "Machine model", else "board". */
  readonly name?: string;
}

export interface BoardImport {
  /** JSON-ready (addresses as hex strings), valid against the platform-file schema. */
  readonly json: Record<string, unknown>;
  readonly file: PlatformFile;
  readonly platform: Platform;
  readonly notes: readonly string[];
}

const hx = (n: number): string => `0x${n.toString(16)}`;

function parseRelease(s: string): Release | null {
  const m = /^(\d+)\.(\d+)/.exec(s);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

/**
 * The mainline release whose text each era follows (the eras' descriptions in src/core/era.ts; `latest`
 * from 6.13 on). Only for reading a user's "Linux version" line: the model itself never compares releases.
 */
const ERA_FROM: readonly (readonly [EraName, Release])[] = [
  ["v4.14", [4, 14]],
  ["v4.19", [4, 19]],
  ["v5.10", [5, 10]],
  ["v6.6", [6, 6]],
  ["latest", [6, 13]],
];

/** The newest era of the model whose release is not newer than the log's; the oldest when all are. */
function eraForRelease(r: Release): EraName {
  let best: EraName = ERA_FROM[0]?.[0] ?? "latest";
  for (const [n, from] of ERA_FROM) if (releaseAtLeast(r, from)) best = n;
  return best;
}

/**
 * The preset whose IOMMU register bases cover every mtk-iommu device the log names. SoCs that share a
 * base (MT8173 and MT8183 both at 0x10205000) are told apart by the board codename in "Machine model"
 * (preset names are soc-codename-ram); null when still ambiguous.
 */
function presetForDevices(devices: readonly string[], machine: string | null): Platform | null {
  const bases = devices.map((d) => Number.parseInt(d.split(".")[0] as string, 16));
  if (bases.length === 0) return null;
  let hits = allPlatforms().filter((p) => bases.every((b) => (p.iommus ?? []).some((i) => i.base === b)));
  if (new Set(hits.map((p) => p.soc)).size > 1 && machine !== null) {
    const words = machine.toLowerCase().split(/[^a-z0-9]+/);
    const named = hits.filter((p) => words.includes(p.name.split("-")[1] ?? ""));
    if (named.length > 0) hits = named;
  }
  return new Set(hits.map((p) => p.soc)).size === 1 ? (hits[0] ?? null) : null;
}

/** Adjacent ranges joined: memblock prints no-map and nomap-adjacent pieces as separate ranges. */
function mergeRanges(rs: readonly { start: number; end: number }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of [...rs].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

const LOG_TO_MODEL_ZONE: Readonly<Record<string, string>> = { DMA: "DMA", DMA32: "DMA32", Normal: "NORMAL" };

export function importBoard(input: BoardImportInput): BoardImport {
  const logName = input.log.name;
  const log: BootLog = parseBootLog(input.log.text);
  if (log.zones === null) {
    throw new InputError(
      logName,
      "",
      'no "Zone ranges:" block: not a kernel boot log, or its start was cut off (dmesg keeps only its ring buffer; take the log of the whole boot, e.g. journalctl -k -b)',
    );
  }
  if (log.zones.length === 0) throw new InputError(logName, "", '"Zone ranges:" is followed by no zone line ("  DMA32    [mem 0x...-0x...]")');
  const notes: string[] = [];
  const zoneSpans = log.zones.filter((z) => z.range !== null).map((z) => z.range as { start: number; end: number });

  // RAM: the memblock node ranges; else /proc/iomem's System RAM; else the span of the zones.
  const iomem = input.iomem === undefined ? null : parseIomem(input.iomem.text, input.iomem.name);
  let ram = mergeRanges(log.nodeRanges);
  if (ram.length === 0) {
    const sys = iomem === null ? [] : mergeRanges(systemRam(iomem));
    if (sys.length > 0) {
      ram = sys;
      notes.push('no "Early memory node ranges" block: RAM banks taken from /proc/iomem System RAM');
    } else {
      ram = mergeRanges(zoneSpans);
      notes.push('no "Early memory node ranges" block and no /proc/iomem: RAM taken as the span of the zone ranges (holes unknown)');
    }
  }
  ram = ram.map((b) => ({ start: Math.floor(b.start / 4096) * 4096, end: Math.ceil(b.end / 4096) * 4096 }));

  const releaseText = log.release;
  const release = releaseText === null ? null : parseRelease(releaseText);
  let eraName: EraName = "latest";
  if (release === null) notes.push('no "Linux version" line: kernel release unknown, era "latest" assumed');
  else {
    eraName = eraForRelease(release);
    notes.push(`Linux ${releaseText}: nearest era of the model is ${eraName}`);
    // 5.10.22 backported the dma-ranges ZONE_DMA: the 5.10.y sublevel decides which formula the log shows.
    const sub = /^5\.10\.(\d+)/.exec(releaseText ?? "");
    if (sub !== null)
      notes.push(
        `5.10.${sub[1]} is ${Number(sub[1]) >= 22 ? "5.10.22 or later: ZONE_DMA from dma-ranges (3 GiB on a board at 1 GiB)" : "before 5.10.22: the 30-bit ZONE_DMA"}; the model's v5.10 era uses the ${eraByName("v5.10").zones} layout`,
      );
  }

  const cpus = log.cpus ?? 4;
  if (log.cpus === null) notes.push('no "smp: Brought up N nodes, M CPUs" line: 4 CPUs assumed');

  const base = presetForDevices(log.iommuDevices, log.machine);
  if (log.iommuDevices.length === 0) notes.push("no mtk-iommu lines: the board gets the model's default MT8173-like M4U; set basedOn to the preset of its SoC");
  else if (base === null)
    notes.push(`mtk-iommu devices ${log.iommuDevices.join(", ")} match no single preset's IOMMUs: the model's default M4U is used; set basedOn by hand`);
  else notes.push(`mtk-iommu devices ${log.iommuDevices.join(", ")} are those of ${base.name}: IOMMU instances, SoC and releases taken from it (basedOn)`);

  const arch = log.zones.some((z) => z.name === "HighMem") ? "arm" : (base?.config?.arch ?? "arm64");
  if (arch === "arm") notes.push("HighMem zone in the log: 32-bit ARM; the model has no HIGHMEM, RAM above lowmem is left out");

  // 4GB mode: 4.19 enables it when max_pfn lies above 4 GiB; later kernels read a firmware bit the log does not show.
  const has4gb = (base?.iommus ?? []).some((i) => i.flags.includes("HAS_4GB_MODE"));
  const dramEnd = Math.max(...ram.map((b) => b.end));
  const iommu4gbMode = has4gb && dramEnd > 2 ** 32;
  if (has4gb)
    notes.push(
      `4GB mode ${iommu4gbMode ? "on" : "off"}: assumed to follow RAM above 4 GiB (the 4.19 rule; later kernels read F_DDR_4GB_SUPPORT_EN, which the log does not show)`,
    );

  const logZone = (n: string) => log.zones?.find((z) => z.name === n);
  // dma-ranges: not printed; a ZONE_DMA that stops short of 4 GiB and of DRAM's end on v5.11+ shows the limit.
  let dmaRangesLimit: number | null = base?.dmaRangesLimit ?? null;
  const dma = logZone("DMA")?.range;
  const e = eraByName(eraName);
  if (dma !== undefined && dma !== null && (e.zones === "dma-bits-from-ranges" || e.zones === "dma-from-ranges") && dma.end < Math.min(2 ** 32, dramEnd)) {
    dmaRangesLimit = dma.end;
    notes.push(`ZONE_DMA ends at ${hexGrouped(dma.end)}, below 4 GiB: dma-ranges limit set there`);
  } else if (base === null) notes.push("dma-ranges: not in a boot log; none assumed (null)");

  // Configured zones: a zone the era's arm64 kernel has but the log lacks was configured out.
  let zoneDma = true;
  let zoneDma32 = true;
  if (arch === "arm64") {
    const probe = {
      name: "probe",
      description: "",
      ram,
      cpus,
      iommu4gbMode,
      dmaRangesLimit,
      config: { arch: "arm64" as const, zoneDma: true, zoneDma32: true },
    };
    const expected = zonesFor(probe, e).map((z) => z.name);
    if (expected.includes("DMA") && logZone("DMA") === undefined) zoneDma = false;
    if (expected.includes("DMA32") && logZone("DMA32") === undefined) zoneDma32 = false;
    if (!zoneDma || !zoneDma32)
      notes.push(
        `built without ${[!zoneDma ? "CONFIG_ZONE_DMA" : "", !zoneDma32 ? "CONFIG_ZONE_DMA32" : ""].filter(Boolean).join(" and ")}: the log has no such zone line`,
      );
  } else zoneDma = logZone("DMA") !== undefined;
  if (arch === "arm") zoneDma32 = false;

  if (log.memory === null) notes.push('no "Memory: ...K/...K available" line: memory totals left out');
  if (log.swiotlb === null) notes.push('no "software IO TLB: mapped" line: no bounce buffer recorded');
  for (const [no, t] of log.skipped) notes.push(`${logName}: line ${no}: not in a known format, skipped: ${t.slice(0, 100)}`);

  const name =
    input.name ??
    (log.machine === null
      ? "board"
      : log.machine
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")
          .replace(/^-|-$/g, "")
          .slice(0, 64) || "board");
  const state: Record<string, unknown> = {};
  if (input.buddyinfo !== undefined) state["buddyinfo"] = parseBuddyinfo(input.buddyinfo.text, input.buddyinfo.name);
  if (input.zoneinfo !== undefined) state["zoneinfo"] = parseZoneinfo(input.zoneinfo.text, input.zoneinfo.name);
  if (input.slabinfo !== undefined) {
    const rows = l2Slabs(parseSlabinfo(input.slabinfo.text, input.slabinfo.name));
    if (rows.length === 0) notes.push(`${input.slabinfo.name}: no io-pgtable_armv7s_l2 or kmalloc-1k cache`);
    state["slabinfo"] = rows;
  }
  if (Object.keys(state).length === 0) notes.push("no /proc/buddyinfo, /proc/zoneinfo or /proc/slabinfo: no starting state; the lab boots its own");

  const json: Record<string, unknown> = {
    schema: PLATFORM_FILE_SCHEMA,
    name,
    description: `${log.machine ?? "board"} (imported from ${logName}${releaseText === null ? "" : `, Linux ${releaseText}`})`.slice(0, 300),
    ram: ram.map((b) => ({ start: hx(b.start), end: hx(b.end) })),
    cpus,
    ...(base === null ? {} : { basedOn: base.name }),
    iommu4gbMode,
    dmaRangesLimit: dmaRangesLimit === null ? null : hx(dmaRangesLimit),
    config: { arch, zoneDma, zoneDma32 },
    ...(releaseText === null ? {} : { kernel: { release: releaseText, era: eraName } }),
    observedZones: log.zones.filter((z) => z.range !== null).map((z) => ({ name: z.name, start: hx(z.range?.start ?? 0), end: hx(z.range?.end ?? 0) })),
    ...(log.memory === null
      ? {}
      : {
          memory: {
            totalKiB: log.memory.totalKiB,
            availableKiB: log.memory.availableKiB,
            reservedKiB: log.memory.reservedKiB,
            cmaReservedKiB: log.memory.cmaReservedKiB,
          },
        }),
    ...(log.swiotlb === null ? {} : { swiotlb: { start: hx(log.swiotlb.start), end: hx(log.swiotlb.end) } }),
    ...(log.cma.length === 0 ? {} : { cma: log.cma.map((c) => ({ bytes: c.bytes, base: hx(c.base) })) }),
    ...(log.iommuDevices.length === 0 ? {} : { iommuDevices: log.iommuDevices }),
    ...(iomem === null ? {} : { systemRam: systemRam(iomem).map((r) => ({ start: hx(r.start), end: hx(r.end) })) }),
    ...(Object.keys(state).length === 0 ? {} : { startingState: state }),
    notes,
  };
  const file = validatePlatformFile(json, `${name} (board-import)`);
  const platform = platformFromFile(file);

  // The model's zones for the imported board against the log's own.
  try {
    const modelZones = zonesFor(platform, e).filter((z) => z.endPfn > z.startPfn);
    const logged = log.zones.filter((z) => z.range !== null && LOG_TO_MODEL_ZONE[z.name] !== undefined);
    const same =
      modelZones.length === logged.length &&
      modelZones.every((z, i) => {
        const l = logged[i];
        return (
          l !== undefined && l.range !== null && LOG_TO_MODEL_ZONE[l.name] === z.name && l.range.start === z.startPfn * 4096 && l.range.end === z.endPfn * 4096
        );
      });
    const show = (zs: readonly { name: string; start: number; end: number }[]) =>
      zs.map((z) => `${z.name} ${hexGrouped(z.start)}-${hexGrouped(z.end)}`).join(", ");
    if (!same) {
      notes.push(
        `the model's ${eraName} zones (${show(modelZones.map((z) => ({ name: z.name, start: z.startPfn * 4096, end: z.endPfn * 4096 })))}) differ from the log's (${show(logged.map((z) => ({ name: z.name, start: z.range?.start ?? 0, end: z.range?.end ?? 0 })))})`,
      );
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    notes.push(`the model cannot run this board in ${eraName}: ${err.message}`);
  }
  return { json, file: validatePlatformFile(json, `${name} (board-import)`), platform, notes };
}
