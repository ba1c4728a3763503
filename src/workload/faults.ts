// SPDX-License-Identifier: GPL-2.0-only
/**
 * IOMMU faults as users have them: mtk-iommu's own fault line pasted from dmesg, and the generic
 * `iommu:io_page_fault` tracepoint. Either becomes a DeviceFault (the page IOVA, read or write, and what
 * the line said), for attribution against a replayed map/unmap history.
 *
 * mtk_iommu_isr (drivers/iommu/mtk_iommu.c) prints, by kernel:
 *   4.19 (nojick/test419@37381aa0246c):  "fault type=0x%x iova=0x%x pa=0x%x larb=%d port=%d layer=%d %s"
 *   6.6  (lxdklp/linux-6.6.y@5aa5a1b8c29f) and 6.19 (AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4):
 *        "fault type=0x%x iova=0x%llx pa=0x%llx master=0x%x(larb=%d port=%d) layer=%d %s"
 * with "read"/"write" last, after dev_err_ratelimited's "<driver> <device>: " prefix. The printed iova is
 * the raw REG_MMU*_FAULT_VA: bit 0 is the layer (F_MMU_FAULT_VA_LAYER_BIT), bit 1 write
 * (F_MMU_FAULT_VA_WRITE_BIT), and on IOVA_34_EN parts (6.x) bits 11:9 carry IOVA bits 34:32
 * (F_MMU_INVAL_VA_34_32_MASK) while bits 8:6 carry PA bits 34:32; so the page IOVA is bits 31:12 (plus
 * 34:32 there). 4.19 prints the register unmasked too.
 *
 * include/trace/events/iommu.h, class iommu_error (same text in 4.19 and 6.6):
 *   TP_printk("IOMMU:%s %s iova=0x%016llx flags=0x%04x", driver, device, iova, flags)
 * flags are report_iommu_fault's IOMMU_FAULT_READ (0) / IOMMU_FAULT_WRITE (1).
 */
import { InputError } from "../core/errors.ts";

export interface DeviceFault {
  /** The faulting page's IOVA (the low 12 bits of the reported value are flags, not address). */
  readonly iova: number;
  readonly write: boolean;
  /** Where the fault came from: "dmesg" (mtk-iommu's line) or "trace" (iommu:io_page_fault). */
  readonly origin: "dmesg" | "trace";
  /** 1-based line in its input. */
  readonly line: number;
  /** Seconds, from the dmesg `[ 12.345678]` prefix or the trace timestamp, when the line has one. */
  readonly timestamp: number | null;
  /** The device the line names (mtk-iommu's dev_name, or the tracepoint's device), "" when absent. */
  readonly device: string;
  /** mtk-iommu only: int_state, larb, port, layer, the raw register and the reported PA. */
  readonly mtk: {
    readonly type: number;
    readonly larb: number;
    readonly port: number;
    readonly layer: number;
    readonly raw: number;
    readonly pa: number;
  } | null;
}

export interface FaultParseOptions {
  /** The IOMMU decodes IOVA bits 34:32 from the fault register's bits 11:9 (MTK IOVA_34_EN). */
  readonly iova34?: boolean;
}

const TIMESTAMP = /^\s*(?:<\d+>)?\s*\[\s*(\d+\.\d+)\]\s*/;
const MTK_FAULT =
  /(?:^|\s)(?:(\S+)\s+(\S+):\s+)?fault type=0x([0-9a-f]+) iova=0x([0-9a-f]+) pa=0x([0-9a-f]+) (?:master=0x[0-9a-f]+\()?larb=(-?\d+) port=(-?\d+)\)? layer=(\d+) (read|write)\b/i;
const TRACE_FAULT = /(?:^|\s)(\d+\.\d+):\s+(?:iommu:)?io_page_fault:\s+IOMMU:(\S*) (\S*) iova=0x([0-9a-f]+) flags=0x([0-9a-f]+)/i;

/** The page IOVA of an mtk fault register value. */
export function mtkFaultIova(raw: number, iova34: boolean): number {
  const low = (raw & 0xffff_f000) >>> 0;
  return iova34 ? ((raw >>> 9) & 0x7) * 2 ** 32 + low : low;
}

/**
 * Every fault in a dmesg extract or trace text; other lines are ignored (a log holds much else). A line
 * that names a fault but cannot be read is an InputError naming the line.
 */
export function parseFaults(text: string, fileName: string, options: FaultParseOptions = {}): DeviceFault[] {
  const out: DeviceFault[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((line, i) => {
    const f = parseFaultLine(line, fileName, i + 1, options);
    if (f !== null) out.push(f);
  });
  return out;
}

/** One line's fault, or null when the line names none; an unreadable fault line is an InputError. */
export function parseFaultLine(line: string, fileName: string, lineNo: number, options: FaultParseOptions = {}): DeviceFault | null {
  const t = TRACE_FAULT.exec(line);
  if (t !== null) {
    const iova = Number.parseInt(t[4] as string, 16);
    if (!Number.isSafeInteger(iova)) throw new InputError(fileName, `line ${lineNo}`, "io_page_fault iova does not fit in 53 bits");
    return {
      iova: iova - (iova % 4096),
      write: (Number.parseInt(t[5] as string, 16) & 1) === 1,
      origin: "trace",
      line: lineNo,
      timestamp: Number(t[1]),
      device: t[3] ?? "",
      mtk: null,
    };
  }
  const m = MTK_FAULT.exec(line);
  if (m === null) {
    if (/\bfault type=0x/i.test(line) || /\bio_page_fault:/.test(line)) {
      throw new InputError(
        fileName,
        `line ${lineNo}`,
        "names an IOMMU fault but is not in the kernel's format (mtk-iommu 'fault type=0x.. iova=0x.. pa=0x.. larb=.. port=.. layer=.. read|write' or io_page_fault 'IOMMU:drv dev iova=0x.. flags=0x..')",
      );
    }
    return null;
  }
  const raw = Number.parseInt(m[4] as string, 16);
  if (raw > 0xffff_ffff) throw new InputError(fileName, `line ${lineNo}`, `iova=0x${m[4]} is wider than the 32-bit fault register`);
  const ts = TIMESTAMP.exec(line);
  return {
    iova: mtkFaultIova(raw, options.iova34 ?? false),
    write: (m[9] as string).toLowerCase() === "write",
    origin: "dmesg",
    line: lineNo,
    timestamp: ts === null ? null : Number(ts[1]),
    device: m[2] ?? "",
    mtk: {
      type: Number.parseInt(m[3] as string, 16),
      larb: Number(m[6]),
      port: Number(m[7]),
      layer: Number(m[8]),
      raw,
      pa: Number.parseInt(m[5] as string, 16),
    },
  };
}
