// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run fuzz -- [--seconds N] [--seed S]`: drives every command with generated inputs until the time
 * is up, prints the inputs tried per command and the exit statuses, and exits 1 if anything was found.
 */
import { fuzz, COMMANDS } from "./harness.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    process.stderr.write(`fuzz: ${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return v;
}

const seconds = arg("--seconds", 60);
const seed = arg("--seed", 1);
process.stderr.write(`fuzz: seed ${seed}, ${seconds} s\n`);
const res = fuzz({ seed, seconds, log: (l) => process.stderr.write(l + "\n") });
const total = COMMANDS.reduce((n, c) => n + res.tried[c], 0);
process.stdout.write(`inputs tried per command (seed ${seed}, ${seconds} s, ${total} in all):\n`);
for (const c of COMMANDS) process.stdout.write(`  ${c.padEnd(10)} ${res.tried[c]}\n`);
process.stdout.write(
  `exit statuses: ${Object.entries(res.exits)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")}\n`,
);
process.stdout.write(`findings: ${res.findings.length}\n`);
process.exitCode = res.findings.length === 0 ? 0 : 1;
