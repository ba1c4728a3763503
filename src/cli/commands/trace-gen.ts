// SPDX-License-Identifier: GPL-2.0-only
import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "../../core/errors.ts";
import type { TracepointFormat } from "../../workload/ftrace.ts";
import { TRACE_FORMATS, TRACE_LAYOUTS, generateTrace } from "../../workload/trace-gen.ts";
import type { TraceLayout } from "../../workload/trace-gen.ts";

/** Largest trace the command writes: about 150 GB of text, far past any use. */
const MAX_EVENTS = 1_000_000_000;
/** Chunks are joined up to this many characters before each write. */
const WRITE_BYTES = 1 << 20;

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

/** Writes the chunks to `path` through a temporary file in the same directory, then renames it. */
function writeStreamAtomic(path: string, chunks: Iterable<string>): number {
  let tmpDir: string;
  try {
    tmpDir = mkdtempSync(join(dirname(path), `.${basename(path)}.`));
  } catch (err) {
    throw new InputError(path, "", `cannot write here (${code(err)})`);
  }
  const tmp = join(tmpDir, basename(path));
  let bytes = 0;
  try {
    const fd = openSync(tmp, "w");
    try {
      let pending = "";
      for (const chunk of chunks) {
        pending += chunk;
        if (pending.length >= WRITE_BYTES) {
          bytes += writeSync(fd, pending);
          pending = "";
        }
      }
      if (pending.length > 0) bytes += writeSync(fd, pending);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    if (err instanceof InputError || err instanceof RangeError) throw err;
    throw new InputError(path, "", `cannot write (${code(err)})`);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return bytes;
}

/** With backpressure; a reader that goes away (`| head`) ends the output quietly. */
async function writeStdout(chunks: Iterable<string>): Promise<void> {
  const out = process.stdout;
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  out.on("error", onError);
  try {
    for (const chunk of chunks) {
      if (closed) return;
      if (!out.write(chunk)) {
        await new Promise<void>((done) => {
          out.once("drain", done);
          out.once("error", done);
        });
      }
    }
  } finally {
    out.off("error", onError);
  }
}

function code(err: unknown): string {
  if (err instanceof Error && "code" in err) return String((err as { code: unknown }).code);
  return err instanceof Error ? err.message : String(err);
}

/** `trace-gen`: a synthetic iommu ftrace to a file or stdout. */
export async function action(opts: Opts): Promise<void> {
  const events = parseInteger(opts.events, "--events", 1, MAX_EVENTS);
  const seed = parseInteger(opts.seed, "--seed", 0, 0xffff_ffff);
  const format = parseChoice<TracepointFormat>(opts.format, "--format", TRACE_FORMATS);
  const layout = parseChoice<TraceLayout>(opts.layout, "--layout", TRACE_LAYOUTS);
  const maxLive = opts.maxLive === undefined ? undefined : parseInteger(opts.maxLive, "--max-live", 1, 1 << 20);
  const chunks = generateTrace({ events, seed, format, layout, ...(maxLive === undefined ? {} : { maxLiveMappings: maxLive }) });
  if (opts.output === "-") {
    await writeStdout(chunks);
    return;
  }
  const bytes = writeStreamAtomic(opts.output, chunks);
  process.stderr.write(`iommu-lab: wrote ${events.toLocaleString("en-US")} events (${bytes.toLocaleString("en-US")} bytes) to ${opts.output}\n`);
}
