// SPDX-License-Identifier: GPL-2.0-only
import { InputError } from "../core/errors.ts";

/** Exit status for bad input (a file, a flag, an impossible config). */
export const EXIT_BAD_INPUT = 2;
/** Exit status for a check that ran and failed (selftest, ops --check). */
export const EXIT_FAILED = 1;
/** Exit status for our own bug (EX_SOFTWARE in BSD's sysexits.h): anything but bad input. */
export const EXIT_INTERNAL = 70;

/**
 * One line on stderr and an exit status; never a stack trace for the user's mistakes (InputError, and
 * file-system errors on paths the user named). Anything else is our bug, reported with its stack.
 */
export function reportFailure(err: unknown): number {
  if (err instanceof InputError) {
    process.stderr.write(`iommu-lab: ${asTyped(err)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (isNodeFsError(err)) {
    process.stderr.write(`iommu-lab: ${err.path ?? ""}: ${describeFsCode(err.code)}\n`);
    return EXIT_BAD_INPUT;
  }
  process.stderr.write(`iommu-lab: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_INTERNAL;
}

/** Run parameters the model names neutrally in an InputError's place ("era v5.10"), as the flags a user types. */
const PARAMETER_FLAGS: Readonly<Record<string, string>> = { era: "--era", platform: "--platform" };

function asTyped(err: InputError): string {
  const m = /^([a-z]+) (\S+)$/.exec(err.where);
  const flag = m === null ? undefined : PARAMETER_FLAGS[m[1] ?? ""];
  if (m === null || flag === undefined) return err.message;
  return err.message.replace(`: ${err.where}: `, `: ${flag} ${m[2] ?? ""}: `);
}

interface NodeFsError extends Error {
  code: string;
  path?: string;
}

function isNodeFsError(err: unknown): err is NodeFsError {
  return err instanceof Error && typeof (err as Partial<NodeFsError>).code === "string" && /^E[A-Z]+$/.test((err as NodeFsError).code);
}

/** A file-system error in words: "no such file or directory" for ENOENT, the message when it has no code. */
export function fsProblem(err: unknown): string {
  const code = err instanceof Error && "code" in err ? String((err as { code: unknown }).code) : "";
  return code !== "" ? describeFsCode(code) : err instanceof Error ? err.message : String(err);
}

function describeFsCode(code: string): string {
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    default:
      return code;
  }
}
