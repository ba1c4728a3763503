// SPDX-License-Identifier: GPL-2.0-only
/**
 * Drives every command of the CLI with generated flags and inputs (scenario files, trace text with
 * lost-event markers and cut lines, gzip'd traces, trace.dat bytes, oracle vector files), seeded, and
 * fails on what a user must never see:
 * - an exit status other than 0, 1 or 2, or a run that does not end (a hang);
 * - a stack trace or an "internal error" on stderr;
 * - a file left behind in the run's folder or the temp dir that was not a named output;
 * - a file changed that was not a named output (inputs above all).
 * Each input runs the real CLI in a child process, in a fresh folder under the OS temp dir.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync, deflateSync } from "node:zlib";
import { CLI, VECTORS_DIR } from "../helpers/paths.ts";
import { BUILTIN_SCENARIOS } from "../../src/workload/builtin-scenarios.ts";
import { generateTraceText } from "../../src/workload/trace-gen.ts";
import { writeTraceDat, zstdStoredFrame, type DatItem } from "../../src/workload/tracedat/index.ts";

export const COMMANDS = ["compare", "repro", "run", "replay", "explain", "trace-gen", "mm", "dump", "ops", "selftest"] as const;
export type FuzzCommand = (typeof COMMANDS)[number];

export interface FuzzOptions {
  readonly seed: number;
  /** The commands to drive; default all. */
  readonly commands?: readonly FuzzCommand[];
  /** Stop after this long (wall time)... */
  readonly seconds?: number;
  /** ...or after this many inputs per command, whichever comes first. */
  readonly perCommand?: number;
  /** Per-run time limit; a run still going then is a hang. */
  readonly runTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface FuzzFinding {
  readonly command: FuzzCommand;
  readonly args: readonly string[];
  readonly problem: string;
  readonly stderr: string;
}

export interface FuzzResult {
  readonly tried: Record<FuzzCommand, number>;
  readonly exits: Record<string, number>;
  readonly findings: FuzzFinding[];
}

/** mulberry32: small, seeded, the same sequence everywhere. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const ERAS = ["v4.14", "v4.19", "v5.10", "v6.6", "latest", "v3.0", ""];
const PLATFORMS = ["mt8173-elm-4g", "mt8173-elm-2g", "pc", ""];
const STRATEGIES = ["slab-dma32", "page-frag", "legacy-gfp-dma", "genalloc-grow", "mtk-ttbr-ext", "nope"];
const NUMBERS = ["0", "1", "3", "-1", "0x10", "99999999999999999999", "1.5", "abc", ""];
const IOVAS = ["0x0", "0x100000", "0xfff00000", "0x100000000", "0x400000000", "-1", "zz", "4294967295"];

/** One fuzz input: the argv and the files it creates in its folder. */
interface Case {
  readonly args: string[];
  /** Paths (relative to the folder) that the run may create or change. */
  readonly outputs: string[];
  readonly stdin?: Buffer;
}

function traceText(r: Rng): string {
  const events = 1 + r.int(400);
  let text = generateTraceText({ events, seed: r.int(1000), format: r.pick(["old", "range"] as const), layout: r.pick(["cat", "trace-cmd"] as const) });
  const lines = text.split("\n");
  const extras = [
    "CPU:1 [LOST 42 EVENTS]",
    "CPU:0 [LOST EVENTS]",
    "CPU:2 [7 EVENTS DROPPED]",
    "CPU:3 [EVENTS DROPPED]",
    "map: IOMMU: iova=0x1000",
    "unmap: IOMMU: iova=0x0000000100000000 size=4096 unmapped_size=4096",
    "map: IOMMU: iova=0x1000 paddr=0x2000 size=0",
    "\ufeff# bom",
    "x".repeat(70_000),
  ];
  for (let k = r.int(4); k > 0; k--) lines.splice(r.int(lines.length), 0, r.pick(extras));
  text = lines.join("\n");
  if (r.chance(0.3)) text = text.slice(0, r.int(text.length));
  return text;
}

function datBytes(r: Rng): Uint8Array {
  const n = 1 + r.int(300);
  const cpus: DatItem[][] = [[], []];
  let ts = 1_000_000;
  for (let i = 0; i < n; i++) {
    ts += r.int(3) === 0 ? 2 ** 28 : 1 + r.int(5000);
    const iova = 0x1000_0000 + (i >> 1) * 0x1000;
    const item: DatItem = {
      ts,
      pid: r.int(50),
      event:
        i % 2 === 0
          ? { type: "iommuMap", iova, paddr: 0x4000_0000, size: 4096, line: 0 }
          : { type: "iommuUnmap", iova: iova - 0x1000 * (i % 2), size: 4096, unmappedSize: 4096, line: 0 },
    };
    (cpus[r.int(2)] as DatItem[]).push(item);
    if (r.chance(0.02)) (cpus[r.int(2)] as DatItem[]).push({ lost: r.chance(0.5) ? null : r.int(100) });
  }
  const version = r.pick([6, 7] as const);
  const compression = version === 7 ? r.pick(["none", "zlib", "zstd"] as const) : "none";
  const compress = compression === "zlib" ? (d: Uint8Array) => new Uint8Array(deflateSync(d)) : zstdStoredFrame;
  const bytes = writeTraceDat({ version, cpus, compression, compress, format: r.pick(["old", "range"] as const) });
  for (let k = r.chance(0.5) ? r.int(6) : 0; k > 0; k--) bytes[r.int(bytes.length)] = r.int(256);
  return r.chance(0.15) ? bytes.subarray(0, r.int(bytes.length)) : bytes;
}

function scenarioText(r: Rng): string {
  const s: Record<string, unknown> = {
    name: "fz",
    platform: r.pick(PLATFORMS),
    devices: [
      r.chance(0.5)
        ? {
            name: "cam",
            profile: r.pick(["mt8173-camera", "mt8173-vdec", "nope"]),
            ...(r.chance(0.3) ? { params: r.chance(0.5) ? { buffers: r.int(5) } : JSON.parse('{"__proto__":{"x":1}}') } : {}),
          }
        : { name: "d", buffers: [{ name: "b", api: r.pick(["alloc", "mapSingle", "mapSg", "bogus"]), bytes: r.pick([4096, 0, -1, 1 << 20, 3]) }] },
    ],
    phases: [{ kind: r.pick(["boot", "steady", "teardown", "weird"]) }],
  };
  if (r.chance(0.5)) s["seed"] = r.int(100);
  if (r.chance(0.3)) s["era"] = r.pick(ERAS);
  let text = JSON.stringify(s);
  if (r.chance(0.1)) text = "\ufeff" + text;
  if (r.chance(0.1)) text = text.slice(0, r.int(text.length));
  return text;
}

function vectorFile(r: Rng): string | null {
  if (!existsSync(VECTORS_DIR)) return null;
  const eras = readdirSync(VECTORS_DIR).filter((d) => !d.endsWith(".md"));
  if (eras.length === 0) return null;
  const era = r.pick(eras);
  const files = readdirSync(join(VECTORS_DIR, era)).filter((f) => f.endsWith(".json"));
  if (files.length === 0) return null;
  let text = readFileSync(join(VECTORS_DIR, era, r.pick(files)), "utf8");
  if (text.length > 200_000) text = text.slice(0, 200_000);
  if (r.chance(0.3)) text = text.slice(0, r.int(text.length));
  return text;
}

/** Maybe a flag with a value drawn from `values`. */
function flag(r: Rng, args: string[], name: string, values: readonly string[], p = 0.3): void {
  if (r.chance(p)) args.push(name, r.pick(values));
}

function runFlags(r: Rng, args: string[]): void {
  flag(r, args, "--era", ERAS);
  flag(r, args, "--platform", PLATFORMS, 0.15);
  flag(r, args, "--cpus", NUMBERS, 0.1);
  flag(r, args, "--seed", NUMBERS, 0.2);
  flag(r, args, "--background", ["none", "light", "typical", "dma32-pressure", "heavy"], 0.2);
  flag(r, args, "--churn", NUMBERS, 0.1);
  if (r.chance(0.1)) args.push("--no-fit-check");
}

/** Writes the inputs of one case into `dir` and returns its argv. */
function makeCase(r: Rng, cmd: FuzzCommand, dir: string): Case {
  const args: string[] = [cmd];
  const outputs: string[] = [];
  let stdin: Buffer | undefined;
  const out = (name: string): string => {
    outputs.push(name);
    return name;
  };
  const traceArg = (): string => {
    const kind = r.int(5);
    if (kind === 0) {
      writeFileSync(join(dir, "t.dat"), datBytes(r));
      return "t.dat";
    }
    const text = traceText(r);
    if (kind === 1) {
      writeFileSync(join(dir, "t.gz"), gzipSync(text));
      return "t.gz";
    }
    if (kind === 2) {
      stdin = r.chance(0.5) ? gzipSync(text) : Buffer.from(text);
      return "-";
    }
    if (kind === 3 && r.chance(0.2)) return r.pick(["missing.txt", ".", "/dev/null"]);
    writeFileSync(join(dir, "t.txt"), text);
    return "t.txt";
  };
  const scenarioArg = (): string | null => {
    if (r.chance(0.4)) return null;
    if (r.chance(0.4)) return r.pick(BUILTIN_SCENARIOS).name;
    writeFileSync(join(dir, "s.json"), scenarioText(r));
    return "s.json";
  };
  const outPath = (base: string): string => r.pick([base, base, "-", "/dev/null", "/dev/full", "missing-dir/x", ".", "t.txt", "s.json", "sub-link"]);
  const named = (p: string): string => (p.startsWith("/") || p === "-" || p === "." ? p : out(p));
  switch (cmd) {
    case "compare":
    case "repro": {
      if (cmd === "compare") {
        if (r.chance(0.5)) args.push("--trace", traceArg());
        else {
          const s = scenarioArg();
          if (s !== null) args.push(s);
        }
        args.push("--strategies", r.chance(0.8) ? r.pick(STRATEGIES.slice(0, 3)) : `${r.pick(STRATEGIES)},${r.pick(STRATEGIES)}`);
        if (r.chance(0.3)) args.push("--skip-malformed");
      }
      args.push("--jobs", "1");
      if (r.chance(0.7)) args.push("--json", named(outPath("r.json")));
      else if (cmd === "compare") args.push("--no-json");
      if (r.chance(0.3)) args.push("--html", named(outPath("r.html")));
      else if (cmd === "compare") args.push("--no-html");
      if (cmd === "repro") args.push("--background", "none");
      runFlags(r, args);
      break;
    }
    case "run":
    case "replay": {
      if (cmd === "replay") args.push(traceArg());
      else {
        const s = scenarioArg();
        if (s !== null) args.push(s);
      }
      flag(r, args, "--strategy", STRATEGIES);
      if (r.chance(0.5)) args.push("--json", named(outPath("r.json")));
      if (cmd === "run" && r.chance(0.3)) args.push("--trace-out", named(outPath("out.txt")));
      if (r.chance(0.2)) args.push("--dump-tables", named(outPath("tables.json")));
      if (cmd === "replay" && r.chance(0.4)) args.push("--skip-malformed");
      runFlags(r, args);
      break;
    }
    case "explain": {
      args.push("--iova", r.pick(IOVAS));
      if (r.chance(0.4)) args.push("--trace", traceArg());
      else {
        const s = scenarioArg();
        if (s !== null) args.push(s);
      }
      flag(r, args, "--at", NUMBERS, 0.3);
      runFlags(r, args);
      break;
    }
    case "trace-gen": {
      args.push("--events", r.pick(["1", "50", "500", "0", "-3", "x"]));
      args.push("-o", named(outPath("gen.txt")));
      flag(r, args, "--seed", NUMBERS);
      flag(r, args, "--format", ["old", "range", "new"]);
      flag(r, args, "--layout", ["cat", "trace-cmd", "csv"]);
      flag(r, args, "--max-live", NUMBERS, 0.2);
      break;
    }
    case "mm":
      flag(r, args, "--era", ERAS);
      flag(r, args, "--platform", PLATFORMS);
      flag(r, args, "--background", ["none", "light", "typical", "dma32-pressure", "heavy"]);
      flag(r, args, "--seed", NUMBERS);
      break;
    case "dump":
    case "ops": {
      const v = vectorFile(r);
      if (v !== null) {
        writeFileSync(join(dir, "v.json"), r.chance(0.05) ? "\ufeff" + v : v);
        args.push("v.json");
      } else args.push("missing.json");
      if (cmd === "dump") {
        flag(r, args, "--case", NUMBERS);
        flag(r, args, "--at", NUMBERS);
      } else if (r.chance(0.5)) args.push("--check");
      flag(r, args, "--era", ERAS);
      break;
    }
    case "selftest":
      flag(r, args, "--era", ERAS, 0.8);
      break;
  }
  if (r.chance(0.03)) args.push("--frobnicate");
  return stdin === undefined ? { args, outputs } : { args, outputs, stdin };
}

/** name -> content hash of every entry under `dir` (symlinks by their target text). */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel))) {
      const p = rel === "" ? e : join(rel, e);
      const full = join(dir, p);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        m.set(p + "/", "dir");
        walk(p);
      } else if (st.isSymbolicLink()) m.set(p, "link");
      else if (st.isFIFO()) m.set(p, "fifo");
      else m.set(p, createHash("sha1").update(readFileSync(full)).digest("hex"));
    }
  };
  walk("");
  return m;
}

export function fuzz(opts: FuzzOptions): FuzzResult {
  const r = new Rng(opts.seed);
  const log = opts.log ?? (() => {});
  const tried = Object.fromEntries(COMMANDS.map((c) => [c, 0])) as Record<FuzzCommand, number>;
  const exits: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  const root = mkdtempSync(join(tmpdir(), "iommu-lab-fuzz-"));
  const t0 = Date.now();
  const deadline = opts.seconds === undefined ? Infinity : t0 + opts.seconds * 1000;
  const per = opts.perCommand ?? Infinity;
  const devFull = lstatSync("/dev/full", { throwIfNoEntry: false });
  try {
    for (let i = 0; Date.now() < deadline; i++) {
      const open = (opts.commands ?? COMMANDS).filter((c) => tried[c] < per);
      if (open.length === 0) break;
      const cmd = r.pick(open);
      const dir = join(root, String(i));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const c = makeCase(r, cmd, dir);
      // A symlink output: the link must stay a link.
      writeFileSync(join(dir, "link-target.json"), "{}");
      symlinkSync("link-target.json", join(dir, "sub-link"));
      const before = snapshot(dir);
      // The child's own temp dir (TMPDIR), so anything it leaves there is seen, and only that.
      const tmp = join(root, `${i}.tmp`);
      mkdirSync(tmp);
      const res = spawnSync(process.execPath, [resolve(CLI), ...c.args], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, CI: "1", TMPDIR: tmp },
        timeout: opts.runTimeoutMs ?? 120_000,
        maxBuffer: 1 << 28,
        ...(c.stdin === undefined ? { input: "" } : { input: c.stdin }),
      });
      tried[cmd]++;
      const key = res.error !== undefined ? "timeout" : res.signal !== null ? String(res.signal) : String(res.status);
      exits[key] = (exits[key] ?? 0) + 1;
      const problems: string[] = [];
      if (res.error !== undefined) problems.push(`did not end within the time limit (${res.error.message})`);
      else if (res.status !== 0 && res.status !== 1 && res.status !== 2) problems.push(`exit ${res.status ?? res.signal}`);
      if (/\n\s+at .+[:(]\d+/.test(res.stderr) || /internal error/.test(res.stderr)) problems.push("a stack trace or internal error on stderr");
      const after = snapshot(dir);
      const allowed = new Set(c.outputs);
      // An output through the symlink lands in its target.
      if (allowed.has("sub-link")) allowed.add("link-target.json");
      for (const [p, h] of after) {
        if (!before.has(p) && !allowed.has(p)) problems.push(`left ${p} behind`);
        else if (before.has(p) && before.get(p) !== h && !allowed.has(p)) problems.push(`changed ${p}, which was not an output`);
      }
      for (const [p] of before) if (!after.has(p)) problems.push(`removed ${p}`);
      // tsx keeps its compile cache there (tsx-<uid>); that is the loader's, not the CLI's.
      for (const t of readdirSync(tmp)) if (!/^tsx-\d+$/.test(t)) problems.push(`left ${t} behind in the temp dir`);
      const full = lstatSync("/dev/full", { throwIfNoEntry: false });
      if (devFull?.isCharacterDevice() === true && full?.isCharacterDevice() !== true) problems.push("/dev/full is no longer a character device");
      if (!lstatSync("/dev/stdout").isSymbolicLink()) problems.push("/dev/stdout is no longer a symlink");
      for (const problem of problems) {
        findings.push({ command: cmd, args: c.args, problem, stderr: res.stderr.slice(0, 2000) });
        log(`FOUND ${cmd}: ${problem}\n  iommu-lab ${c.args.join(" ")}\n  ${res.stderr.split("\n").slice(0, 6).join("\n  ")}`);
      }
      rmSync(dir, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { tried, exits, findings };
}
