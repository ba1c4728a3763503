// SPDX-License-Identifier: GPL-2.0-only
/** File I/O shared by the commands: JSON input with located errors, atomic output. */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "../core/errors.ts";

/** Reads and parses a JSON file; a syntax error names the file and the position. */
export function readJsonFile(path: string): unknown {
  const text = readFileSync(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(path, "", `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * Writes `content` to `path` atomically: a temporary file in the same directory, then rename, so a
 * reader never sees half a file and a failure leaves no partial output behind.
 */
export function writeFileAtomic(path: string, content: string): void {
  const dir = dirname(path);
  let tmpDir: string;
  try {
    tmpDir = mkdtempSync(join(dir, `.${basename(path)}.`));
  } catch (err) {
    throw new InputError(path, "", `cannot write here (${describeError(err)})`);
  }
  const tmp = join(tmpDir, basename(path));
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    throw new InputError(path, "", `cannot write (${describeError(err)})`);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error && "code" in err) return String((err as { code: unknown }).code);
  return err instanceof Error ? err.message : String(err);
}

/**
 * Fails early, before a long run, when `path` cannot be written: its directory is missing or not
 * writable, or the path is a directory.
 */
export function checkWritable(path: string): void {
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(path, "", `${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, "", `cannot write here (${describeError(err)})`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(path, "", "is a directory");
}
