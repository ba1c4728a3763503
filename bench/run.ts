// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench [-- --json] [-- --only NAME,…]`: runs every bench/<area>.ts module's `run()` and prints
 * the figures (a table, or one JSON object of name → value with `--json`). Speed is measured here,
 * never in tests.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

interface Figure {
  name: string;
  unit: string;
  value: number;
}

const { values } = parseArgs({
  options: { json: { type: "boolean", default: false }, only: { type: "string" } },
  strict: true,
});
const only = values.only?.split(",").map((s) => s.trim());
const here = dirname(fileURLToPath(import.meta.url));
const modules = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
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
