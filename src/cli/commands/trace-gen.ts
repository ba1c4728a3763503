// SPDX-License-Identifier: GPL-2.0-only
import { InputError } from "../../core/errors.ts";
import type { TracepointFormat } from "../../workload/ftrace.ts";
import { TRACE_FORMATS, TRACE_LAYOUTS, generateTrace } from "../../workload/trace-gen.ts";
import type { TraceLayout } from "../../workload/trace-gen.ts";
import { planOutputs } from "../io.ts";

/** Largest trace the command writes: about 150 GB of text, far past any use. */
const MAX_EVENTS = 1_000_000_000;

interface Opts {
  events: string;
  seed: string;
  format: string;
  layout: string;
  maxLive?: string;
  output: string;
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InputError(flag, "", `must be an integer in [${min.toLocaleString("en-US")}, ${max.toLocaleString("en-US")}], got "${text}"`);
  }
  return Number(text);
}

function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  const c = choices.find((x) => x === text);
  if (c === undefined) throw new InputError(flag, "", `must be one of ${choices.join(", ")}, got "${text}"`);
  return c;
}

/** `trace-gen`: a synthetic iommu ftrace to a file or stdout. */
export async function action(opts: Opts): Promise<void> {
  const events = parseInteger(opts.events, "--events", 1, MAX_EVENTS);
  const seed = parseInteger(opts.seed, "--seed", 0, 0xffff_ffff);
  const format = parseChoice<TracepointFormat>(opts.format, "--format", TRACE_FORMATS);
  const layout = parseChoice<TraceLayout>(opts.layout, "--layout", TRACE_LAYOUTS);
  const maxLive = opts.maxLive === undefined ? undefined : parseInteger(opts.maxLive, "--max-live", 1, 1 << 20);
  const out = planOutputs({ inputs: [], outputs: [opts.output] }); // edges: checked before generating
  const chunks = generateTrace({ events, seed, format, layout, ...(maxLive === undefined ? {} : { maxLiveMappings: maxLive }) });
  const bytes = await out.writeChunks(opts.output, chunks);
  await out.commit();
  if (opts.output === "-") return;
  process.stderr.write(`iommu-lab: wrote ${events.toLocaleString("en-US")} events (${bytes.toLocaleString("en-US")} bytes) to ${opts.output}\n`);
}
