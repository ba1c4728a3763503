// SPDX-License-Identifier: GPL-2.0-only
/**
 * The iommu-lab CLI: a thin shell over the library. commands/index.ts declares every command; a command's
 * module loads when it runs. Data goes to stdout, diagnostics to stderr; bad input exits 2 with one line.
 * `main` only returns the exit status, so tests can call it in-process; bin.ts is the process entry.
 */
import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.ts";
import { reportFailure } from "./errors.ts";
import { VERSION } from "./version.ts";

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("iommu-lab")
    .description("Executable model of Linux's ARM v7s IOMMU page tables and the kernel memory that holds them")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.trimEnd().split("\n")[0] + "\n") })
    .showSuggestionAfterError(true);
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportFailure(err);
  }
}
