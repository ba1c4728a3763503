// SPDX-License-Identifier: GPL-2.0-only
/**
 * A kernel boot log (dmesg) read by the kernel's own printk format strings. Every line may carry a
 * syslog level `<6>`, a timestamp `[    0.000000]`, a caller id `[    T0]` (CONFIG_PRINTK_CALLER) or a
 * journal prefix `Dec 01 09:00:00 host kernel: `; lines of other subsystems may come in between.
 *
 * Format strings, identical in 4.19.0, 5.10.135 and 6.19.9 unless noted
 * (nojick/test419@37381aa0246ce0dba6cda47bc1e9752a9923072b, lemongad/linux-5.10.y@03d7bae82b540f50247853993d98c000c4388cdd,
 * AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4562a5039c9ad24e11d4212b52645):
 * - init/version.c (6.x init/version-timestamp.c) linux_banner: "Linux version " UTS_RELEASE " (" ...
 * - arch/arm64/kernel/setup.c, drivers/of/fdt.c: "Machine model: %s\n"
 * - mm/page_alloc.c (6.x mm/mm_init.c) zone_sizes_init's caller free_area_init: "Zone ranges:\n", then per
 *   zone except Movable pr_info("  %-8s ", zone_names[i]) and pr_cont("empty\n") or
 *   pr_cont("[mem %#018Lx-%#018Lx]\n") (inclusive end); "Movable zone start for each node\n";
 *   "Early memory node ranges\n", "  node %3d: [mem %#018Lx-%#018Lx]\n". pr_cont can land on a line of
 *   its own when another CPU prints in between: a zone name alone on a line takes the next "[mem"/"empty".
 * - mm/page_alloc.c (6.x mm/mm_init.c) mem_init_print_info: "Memory: %luK/%luK available (%luK kernel
 *   code, %luK rwdata, %luK rodata, %luK init, %luK bss, %luK reserved, %luK cma-reserved[, %luK highmem])";
 *   4.19 appends "%s%s" (an optional string), hence the loose tail.
 * - kernel/dma/swiotlb.c, pr_fmt "software IO TLB: ": "mapped [mem %#010llx-%#010llx] (%luMB)\n" (4.19),
 *   "mapped [mem %pa-%pa] (%luMB)\n" (5.10, 6.x; %pa prints 0x plus 16 hex digits on 64-bit). Unlike the
 *   zone lines its end is exclusive (io_tlb_end / mem->end = start + bytes).
 * - mm/cma.c, pr_fmt "cma: ": "Reserved %ld MiB at %pa\n".
 * - kernel/smp.c smp_cpus_done: "Brought up %d node%s, %d CPU%s\n" (pr_fmt "smp: ").
 * - mtk_iommu's platform driver is named "mtk-iommu" (drivers/iommu/mtk_iommu.c), so its dev_* lines
 *   start "mtk-iommu <reg>.<node>: "; the model keeps the register bases it sees.
 */

export interface LogZone {
  /** zone_names[]: "DMA", "DMA32", "Normal", "HighMem", "Device". */
  readonly name: string;
  /** null: "empty". Start inclusive, end exclusive (the log prints inclusive ends). */
  readonly range: { readonly start: number; readonly end: number } | null;
  readonly line: number;
}

export interface BootLog {
  readonly release: string | null;
  readonly machine: string | null;
  /** null when the log has no "Zone ranges:" line. */
  readonly zones: readonly LogZone[] | null;
  readonly nodeRanges: readonly { readonly node: number; readonly start: number; readonly end: number }[];
  readonly memory: {
    readonly availableKiB: number;
    readonly totalKiB: number;
    readonly reservedKiB: number;
    readonly cmaReservedKiB: number;
    readonly highmemKiB: number | null;
  } | null;
  readonly swiotlb: { readonly start: number; readonly end: number } | null;
  readonly cma: readonly { readonly bytes: number; readonly base: number }[];
  readonly cpus: number | null;
  /** "1c01f000.iommu" and the like, in order of first appearance. */
  readonly iommuDevices: readonly string[];
  /** Lines that looked like one of the blocks above but did not parse: [line number, text]. */
  readonly skipped: readonly (readonly [number, string])[];
}

const PREFIX = /^(?:[A-Z][a-z]{2} [ \d]\d [\d:]{8} \S+ kernel: )?(?:<\d+>)?(?:\[\s*\d+\.\d+\]\s?)?(?:\[\s*[TC]\d+\]\s?)?/;

/** The printk text of a log line: prefixes and a trailing CR removed, leading spaces kept (the zone lines indent). */
export function printkText(line: string): string {
  return line.replace(/\r$/, "").replace(PREFIX, "");
}

const HEX = "0x[0-9a-fA-F]+";
const ZONE_NAMES = ["DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"];
const ZONE_LINE = new RegExp(`^\\s{1,3}(${ZONE_NAMES.join("|")})\\s*(?:(empty)|\\[mem (${HEX})-(${HEX})\\])?\\s*$`);
const CONT = new RegExp(`^\\s*(?:(empty)|\\[mem (${HEX})-(${HEX})\\])\\s*$`);
const NODE_LINE = new RegExp(`^\\s+node\\s+(\\d+): \\[mem (${HEX})-(${HEX})\\]`);
const MEMORY = /^Memory: (\d+)K\/(\d+)K available \((.*)\)\s*$/;
const SWIOTLB = new RegExp(`software IO TLB: mapped \\[mem (${HEX})-(${HEX})\\]`);
const CMA = new RegExp(`cma: Reserved (\\d+) MiB at (${HEX})`);
const SMP = /Brought up (\d+) nodes?, (\d+) CPUs?/;
const BANNER = /^Linux version (\S+)/;
const MACHINE = /^Machine model: (.+?)\s*$/;
const MTK_IOMMU = /\bmtk[-_]iommu ([0-9a-f]+\.[A-Za-z0-9_-]+):/;

const hex = (s: string): number => Number.parseInt(s.slice(2), 16);

export function parseBootLog(text: string): BootLog {
  const lines = text.split("\n").map(printkText);
  let release: string | null = null;
  let machine: string | null = null;
  let zones: LogZone[] | null = null;
  const nodeRanges: { node: number; start: number; end: number }[] = [];
  let memory: BootLog["memory"] = null;
  let swiotlb: BootLog["swiotlb"] = null;
  const cma: { bytes: number; base: number }[] = [];
  let cpus: number | null = null;
  const iommuDevices: string[] = [];
  const skipped: [number, string][] = [];
  let block: "zones" | "nodes" | null = null;
  /** A zone name printed without its pr_cont part yet. */
  let pendingZone: { name: string; line: number } | null = null;

  for (let i = 0; i < lines.length; i++) {
    const t = lines[i] as string;
    const no = i + 1;
    if (t.startsWith("Zone ranges:")) {
      zones = [];
      block = "zones";
      pendingZone = null;
      continue;
    }
    if (t.startsWith("Early memory node ranges")) {
      block = "nodes";
      continue;
    }
    if (t.startsWith("Movable zone start for each node")) {
      block = null;
      continue;
    }
    if (block === "zones" && zones !== null) {
      const m = ZONE_LINE.exec(t);
      if (m !== null) {
        const name = m[1] as string;
        if (m[2] === undefined && m[3] === undefined) pendingZone = { name, line: no };
        else zones.push({ name, range: m[2] !== undefined ? null : { start: hex(m[3] as string), end: hex(m[4] as string) + 1 }, line: no });
        continue;
      }
      const c = pendingZone === null ? null : CONT.exec(t);
      if (c !== null && pendingZone !== null) {
        zones.push({
          name: pendingZone.name,
          range: c[1] !== undefined ? null : { start: hex(c[2] as string), end: hex(c[3] as string) + 1 },
          line: pendingZone.line,
        });
        pendingZone = null;
        continue;
      }
      // Anything else is an interleaved line; the block ends at the next known header.
    }
    if (block === "nodes") {
      const m = NODE_LINE.exec(t);
      if (m !== null) {
        nodeRanges.push({ node: Number(m[1]), start: hex(m[2] as string), end: hex(m[3] as string) + 1 });
        continue;
      }
    }
    let m: RegExpExecArray | null;
    if ((m = BANNER.exec(t)) !== null) release = m[1] as string;
    else if ((m = MACHINE.exec(t)) !== null) machine = m[1] as string;
    else if ((m = MEMORY.exec(t)) !== null) {
      const detail = m[3] as string;
      const field = (label: string): number | null => {
        const f = new RegExp(`(\\d+)K ${label}`).exec(detail);
        return f === null ? null : Number(f[1]);
      };
      const reserved = field("reserved");
      const cmaReserved = field("cma-reserved");
      if (reserved === null || cmaReserved === null) skipped.push([no, t]);
      else memory = { availableKiB: Number(m[1]), totalKiB: Number(m[2]), reservedKiB: reserved, cmaReservedKiB: cmaReserved, highmemKiB: field("highmem") };
    } else if ((m = SWIOTLB.exec(t)) !== null) swiotlb = { start: hex(m[1] as string), end: hex(m[2] as string) };
    else if ((m = CMA.exec(t)) !== null) cma.push({ bytes: Number(m[1]) * 2 ** 20, base: hex(m[2] as string) });
    else if ((m = SMP.exec(t)) !== null) cpus = Number(m[2]);
    else if (t.startsWith("Memory: ")) skipped.push([no, t]);
    if ((m = MTK_IOMMU.exec(t)) !== null && !iommuDevices.includes(m[1] as string)) iommuDevices.push(m[1] as string);
  }
  return { release, machine, zones, nodeRanges, memory, swiotlb, cma, cpus, iommuDevices, skipped };
}
