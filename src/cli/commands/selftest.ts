// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { ERA_NAMES } from "../../core/era.ts";
import { eraFlag } from "../options.ts";
import { SELFTEST_OK_LINE, runSelftest } from "../../pgtable/selftest.ts";
import { EXIT_FAILED } from "../errors.ts";

export function register(program: Command): void {
  program
    .command("selftest")
    .description("Run the kernel's boot-time arm_v7s_do_selftests() against the engine (exit 1 naming the failing step)")
    .option("--era <era>", `kernel era whose selftest and engine to run (${ERA_NAMES.join(", ")})`, "latest")
    .action((opts: { era: string }) => {
      const e = eraFlag(opts.era);
      const r = runSelftest(e.name);
      for (const w of r.warnings) process.stderr.write(`arm-v7s io-pgtable: ${w}\n`);
      if (r.ok) {
        process.stdout.write(`${SELFTEST_OK_LINE}\n`);
        return;
      }
      process.stdout.write(`arm-v7s io-pgtable: selftest: test failed: ${r.step}\n`);
      process.exitCode = EXIT_FAILED;
    });
}
