// SPDX-License-Identifier: GPL-2.0-only
/**
 * How every bench times its work, so the figures share one statistic: fixed work per run (the bench
 * chooses it; nothing adapts to the clock), one untimed warm-up of each alternative, then `runs` rounds
 * in which the alternatives take turns (interleaved, the starting one rotating each round, so drift and
 * a neighbour's load spread over all of them), and the MINIMUM over the rounds of the process CPU time
 * (process.cpuUsage: user + system, all threads) of one run. CPU time, not wall time, because the
 * machines the benches run on are shared; the minimum, because noise only ever adds time.
 */
import { cpuUsage } from "node:process";

/** One line of `npm run bench`. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

/**
 * One thing to time. `setup` runs untimed before every run and returns the timed body, which returns the
 * units of work it did (ops, pages, events) and may be async (file streaming).
 */
export interface Alternative<N extends string = string> {
  readonly name: N;
  readonly setup: () => () => number | Promise<number>;
}

export interface Timing {
  readonly name: string;
  /** Units of work of the fastest run. */
  readonly units: number;
  /** CPU milliseconds of the fastest run. */
  readonly cpuMs: number;
  readonly nsPerUnit: number;
  readonly unitsPerSecond: number;
}

export interface MeasureOptions {
  /** Timed rounds after the warm-up. Default 5. */
  readonly runs?: number;
}

let runsOverride: number | null = null;

/** `npm run bench -- --runs N`: every measurement uses N rounds (1 for a smoke run), whatever it asks for. */
export function overrideRuns(runs: number): void {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`bench: --runs ${runs} must be a positive integer`);
  runsOverride = runs;
}

/** Times every alternative (see the file comment); the result is keyed by their names. */
export async function measure<const N extends string>(alternatives: readonly Alternative<N>[], options: MeasureOptions = {}): Promise<Record<N, Timing>> {
  const runs = runsOverride ?? options.runs ?? 5;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`measure: runs ${runs} must be a positive integer`);
  for (const a of alternatives) await timeOnce(a);
  const best = alternatives.map(() => ({ cpuMs: Infinity, units: 0 }));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < alternatives.length; k++) {
      const i = (round + k) % alternatives.length;
      const t = await timeOnce(alternatives[i] as Alternative<N>);
      const b = best[i] as { cpuMs: number; units: number };
      if (t.cpuMs < b.cpuMs) Object.assign(b, t);
    }
  }
  const out = {} as Record<N, Timing>;
  alternatives.forEach((a, i) => {
    const { cpuMs, units } = best[i] as { cpuMs: number; units: number };
    out[a.name] = { name: a.name, units, cpuMs, nsPerUnit: (cpuMs * 1e6) / units, unitsPerSecond: units / (cpuMs / 1000) };
  });
  return out;
}

async function timeOnce(a: Alternative<string>): Promise<{ cpuMs: number; units: number }> {
  const body = a.setup();
  const c0 = cpuUsage();
  const r = body();
  const units = typeof r === "number" ? r : await r;
  const c = cpuUsage(c0);
  if (!(units > 0)) throw new Error(`bench ${a.name}: the body reported ${units} units of work`);
  return { cpuMs: (c.user + c.system) / 1000, units };
}
