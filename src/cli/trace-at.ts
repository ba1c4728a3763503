// SPDX-License-Identifier: GPL-2.0-only
/**
 * `explain --at` on a trace: an event count (`3041`), a trace line (`line:3041`), or a timestamp
 * (`1234.5s`), the last as the line before the first event stamped later than it.
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { InputError } from "../core/errors.ts";
import { integerFlag } from "./options.ts";

export type AtFlag =
  | { readonly kind: "events"; readonly events: number }
  | { readonly kind: "line"; readonly line: number }
  | { readonly kind: "time"; readonly seconds: number };

export function atFlag(value: string, trace: string | undefined): AtFlag {
  const v = value.trim();
  const line = /^line:(\d+)$/i.exec(v);
  const time = /^(\d+(?:\.\d+)?)s$/.exec(v);
  if ((line !== null || time !== null) && trace === undefined) throw new InputError("--at", "", `"${value}" names a trace line or time: give --trace`);
  if (line !== null) return { kind: "line", line: integerFlag("--at", line[1] ?? "", 0, Number.MAX_SAFE_INTEGER) };
  if (time !== null) return { kind: "time", seconds: Number(time[1]) };
  if (!/^\d+$/.test(v)) throw new InputError("--at", "", `"${value}" is not an event count, line:N or a time in seconds (e.g. 1234.5s)`);
  return { kind: "events", events: integerFlag("--at", v, 0, Number.MAX_SAFE_INTEGER) };
}

/** The ftrace timestamp of a line (`<comm>-<pid> [<cpu>] [flags] <seconds>: <event>:`), or null. */
const STAMP = /\]\s+(?:\S+\s+)?(\d+\.\d+):\s/;

/** The line before the first line stamped after `seconds` (the whole trace when none is). */
export async function lineAtTime(path: string, seconds: number): Promise<number> {
  if (!existsSync(path)) throw new InputError(path, "", "no such trace file");
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const text of rl) {
      n++;
      const m = STAMP.exec(text);
      if (m !== null && Number(m[1]) > seconds) return n - 1;
    }
  } finally {
    rl.close();
  }
  return n;
}
