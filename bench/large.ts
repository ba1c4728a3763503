// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench:large [-- --events N] [-- --trace FILE] [-- --keep DIR]`: the issue-11 scale figures,
 * minutes long, so not part of `npm run bench`. Generates a trace with the built CLI
 * (`trace-gen --events N`, default 10,000,000; or takes --trace), then runs
 * `compare --trace` over all eight strategies under /usr/bin/time -v and prints the exact commands,
 * wall time, peak RSS of the whole process (its worker threads included) and report.json bytes.
 * Targets: under 90 s wall (goal 60 s), RSS under 600 MB, report.json under 10 MB.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const BIN = fileURLToPath(new URL("../bin/iommu-lab.js", import.meta.url));
const TIME = "/usr/bin/time";

interface Timed {
  readonly wallS: number;
  readonly maxRssKiB: number | null;
  readonly cpuS: number | null;
}

/** Runs `args` under /usr/bin/time -v (when present) and reads its figures off stderr. */
function timed(args: readonly string[]): Timed {
  const cmd = existsSync(TIME) ? [TIME, "-v", process.execPath, ...args] : [process.execPath, ...args];
  process.stderr.write(`$ ${cmd.join(" ")}\n`);
  const t0 = performance.now();
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 << 20 });
  const wallS = (performance.now() - t0) / 1000;
  const err = r.stderr.toString();
  if (r.status !== 0) throw new Error(`bench:large: ${args.join(" ")} exited ${r.status}:\n${err}`);
  const num = (re: RegExp): number | null => {
    const m = re.exec(err);
    return m === null ? null : Number(m[1]);
  };
  const user = num(/User time \(seconds\): ([\d.]+)/);
  const sys = num(/System time \(seconds\): ([\d.]+)/);
  return { wallS, maxRssKiB: num(/Maximum resident set size \(kbytes\): (\d+)/), cpuS: user === null || sys === null ? null : user + sys };
}

function main(): void {
  const { values } = parseArgs({
    options: { events: { type: "string", default: "10000000" }, trace: { type: "string" }, keep: { type: "string" } },
    strict: true,
  });
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), "iommu-lab-large-"));
  try {
    let trace = values.trace;
    if (trace === undefined) {
      trace = join(dir, `t${values.events}.trace`);
      const g = timed([BIN, "trace-gen", "--events", values.events, "-o", trace]);
      process.stdout.write(`trace-gen ${values.events} events: ${g.wallS.toFixed(1)} s wall, ${statSync(trace).size} bytes\n`);
    }
    const json = join(dir, "report.json");
    const html = join(dir, "report.html");
    const c = timed([BIN, "compare", "--trace", trace, "--json", json, "--html", html]);
    const rss = c.maxRssKiB === null ? "n/a" : `${(c.maxRssKiB / 1024).toFixed(0)} MiB`;
    process.stdout.write(
      `compare --trace (8 strategies): ${c.wallS.toFixed(1)} s wall, ${c.cpuS?.toFixed(1) ?? "n/a"} s CPU, peak RSS ${rss}, ` +
        `report.json ${statSync(json).size} bytes, report.html ${statSync(html).size} bytes\n`,
    );
  } finally {
    if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

// bench/run.ts imports every bench module for its run(); this one has none and runs only as a script.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
