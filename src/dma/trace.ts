// SPDX-License-Identifier: GPL-2.0-only
/**
 * The iommu:map and iommu:unmap tracepoints (include/trace/events/iommu.h) as structured events, their
 * TP_printk text for each era, and whole ftrace lines with a deterministic synthetic clock so that a
 * model run can be fed back through the trace-replay parser.
 */
import type { Era } from "../core/era.ts";

export type IommuTraceEvent =
  | {
      readonly kind: "map";
      readonly iova: number;
      /** The CPU physical address passed to iommu_map (before MTK's bit-32 OR). */
      readonly paddr: number;
      readonly size: number;
    }
  | { readonly kind: "unmap"; readonly iova: number; readonly size: number; readonly unmapped: number };

export interface TraceSink {
  emit(ev: IommuTraceEvent): void;
}

export type TraceFormat = Era["tracepointFormat"];

function x16(v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`trace value ${v} is not an unsigned integer`);
  return "0x" + v.toString(16).padStart(16, "0");
}

/**
 * TP_printk output. `old` (4.19, 5.x): "IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu" and
 * "IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu"; `range` adds " - 0x%016llx" (iova + size) after
 * the iova (94aedac49d92, v5.17).
 */
export function formatTracePayload(ev: IommuTraceEvent, format: TraceFormat): string {
  const end = format === "range" ? ` - ${x16(ev.iova + ev.size)}` : "";
  if (ev.kind === "map") return `IOMMU: iova=${x16(ev.iova)}${end} paddr=${x16(ev.paddr)} size=${ev.size}`;
  return `IOMMU: iova=${x16(ev.iova)}${end} size=${ev.size} unmapped_size=${ev.unmapped}`;
}

export interface FtraceContext {
  /** Task comm (up to 16 characters are shown). */
  readonly comm?: string;
  readonly pid?: number;
  readonly cpu?: number;
  /** The latency-format flag columns ("...." / "....." by default: irqs on, no resched, task context). */
  readonly flags?: string;
  /** Overrides the synthetic clock, in microseconds. */
  readonly timestampUs?: number;
}

/** The synthetic clock: event n is stamped at 100 s + 10 µs * n, so lines are stable across runs. */
export const TRACE_EPOCH_US = 100_000_000;
export const TRACE_STEP_US = 10;

export function syntheticTimestampUs(seq: number): number {
  return TRACE_EPOCH_US + seq * TRACE_STEP_US;
}

/**
 * A full trace-file line, `<comm>-<pid> [<cpu>] <flags> <sec>.<usec>: map: IOMMU: …`. Given an Era, the
 * context columns follow its trace_print_context (DmaEraFeatures.ftraceContext: pid width 5 and 4 flag
 * characters in 4.19, 7 and 4 in 5.10, 7 and 5 from 5.15). Given only a payload format, they are guessed
 * from it (`old` → 5/4, `range` → 7/5), which is right for 4.19 and 5.17+ but not for 5.10-5.16.
 */
export function formatFtraceLine(ev: IommuTraceEvent, formatOrEra: TraceFormat | Era, seq: number, ctx: FtraceContext = {}): string {
  const format = typeof formatOrEra === "string" ? formatOrEra : formatOrEra.tracepointFormat;
  const layout =
    typeof formatOrEra === "string" ? (format === "range" ? { pidWidth: 7, flagChars: 5 } : { pidWidth: 5, flagChars: 4 }) : formatOrEra.dma.ftraceContext;
  const comm = (ctx.comm ?? "kworker/0:1").slice(0, 16).padStart(16);
  const pid = String(ctx.pid ?? 42).padEnd(layout.pidWidth);
  const cpu = String(ctx.cpu ?? 0).padStart(3, "0");
  const flags = ctx.flags ?? ".".repeat(layout.flagChars);
  const us = ctx.timestampUs ?? syntheticTimestampUs(seq);
  const ts = `${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, "0")}`;
  return `${comm}-${pid} [${cpu}] ${flags} ${ts}: ${ev.kind}: ${formatTracePayload(ev, format)}`;
}

/** A sink that keeps every event, for reports and tests. */
export class TraceBuffer implements TraceSink {
  readonly events: IommuTraceEvent[] = [];

  emit(ev: IommuTraceEvent): void {
    this.events.push(ev);
  }

  lines(format: TraceFormat | Era, ctx: FtraceContext = {}): string[] {
    return this.events.map((ev, i) => formatFtraceLine(ev, format, i, ctx));
  }
}
