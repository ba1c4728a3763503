// SPDX-License-Identifier: GPL-2.0-only
import { eraFlag } from "../options.ts";
import { SELFTEST_OK_LINE, runSelftest } from "../../pgtable/selftest.ts";
import { EXIT_FAILED } from "../errors.ts";

/** `selftest`: the kernel's arm_v7s_do_selftests() against the engine. */
export function action(opts: { era: string }): void {
  const e = eraFlag(opts.era);
  const r = runSelftest(e.name);
  for (const w of r.warnings) process.stderr.write(`arm-v7s io-pgtable: ${w}\n`);
  if (r.ok) {
    process.stdout.write(`${SELFTEST_OK_LINE}\n`);
    return;
  }
  process.stdout.write(`arm-v7s io-pgtable: selftest: test failed: ${r.step}\n`);
  process.exitCode = EXIT_FAILED;
}
