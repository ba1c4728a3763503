// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench [-- --json] [--only NAME,…] [--runs N]`: runs every bench/<area>.ts module's `run()` and
 * prints the figures (a table, or one JSON object of name → value with `--json`). Speed is measured here,
 * never in tests; every module times through measure.ts except pgtable.ts (its own CPU-time median).
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type Figure, overrideRuns } from "./measure.ts";

const { values } = parseArgs({
  options: { json: { type: "boolean", default: false }, only: { type: "string" }, runs: { type: "string" }, help: { type: "boolean", default: false } },
  strict: true,
});
if (values.help) {
  process.stdout.write(
    "usage: npm run bench -- [--json] [--only AREA,…] [--runs N]\n" +
      "  --json      one JSON object of figure name -> value on stdout\n" +
      "  --only      bench/<AREA>.ts modules to run (e.g. dma,mm-slab)\n" +
      "  --runs N    timed rounds per measurement instead of each bench's own (1 = smoke run)\n",
  );
  process.exit(0);
}
if (values.runs !== undefined) overrideRuns(Number(values.runs));
const only = values.only?.split(",").map((s) => s.trim());
const here = dirname(fileURLToPath(import.meta.url));
const modules = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && f !== "measure.ts")
  .sort();

const figures: Figure[] = [];
for (const file of modules) {
  const area = file.replace(/\.ts$/, "");
  if (only && !only.includes(area)) continue;
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Figure[] | Promise<Figure[]> };
  if (typeof mod.run !== "function") continue;
  if (!values.json) process.stderr.write(`bench: ${area}…\n`);
  figures.push(...(await mod.run()));
}

if (values.json) {
  const out: Record<string, number> = {};
  for (const f of figures) out[f.name] = round(f.value);
  process.stdout.write(JSON.stringify(out) + "\n");
} else {
  const w = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) process.stdout.write(`${f.name.padEnd(w)}  ${fmt(f.value).padStart(14)}  ${f.unit}\n`);
}

function round(v: number): number {
  return v >= 1000 ? Math.round(v) : Math.round(v * 100) / 100;
}

function fmt(v: number): string {
  return round(v).toLocaleString("en-US");
}
