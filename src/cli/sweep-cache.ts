// SPDX-License-Identifier: GPL-2.0-only
/**
 * The sweep's on-disk cache: one JSON file per finished cell, named by a SHA-256 of everything that
 * decides its result (tool version, the cell's inputs, the workload's bytes). A cell is written with one
 * synchronous write-then-rename, so an interrupted sweep leaves finished cells whole and no partial file;
 * several shards may share one cache folder, since no two cells share a name.
 */
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import type { CellSummary } from "../lab/sweep.ts";

interface CachedCell {
  readonly key: string;
  readonly summary: CellSummary;
}

export class SweepCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new InputError(dir, "", `cannot create the sweep cache folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!statSync(dir).isDirectory()) throw new InputError(dir, "", "the sweep cache is not a folder");
  }

  /** The cell's file name: the hash of its key under this tool version and workload. */
  name(key: string, version: string, workloadDigest: string): string {
    return createHash("sha256").update(`${version}\n${workloadDigest}\n${key}`).digest("hex").slice(0, 40) + ".json";
  }

  /** The cached summary, or null when absent or not this cell's (a foreign or damaged file is ignored). */
  get(name: string, key: string): CellSummary | null {
    let text: string;
    try {
      text = readFileSync(join(this.dir, name), "utf8");
    } catch {
      return null;
    }
    try {
      const c = JSON.parse(text) as CachedCell;
      return c.key === key ? c.summary : null;
    } catch {
      return null;
    }
  }

  put(name: string, key: string, summary: CellSummary): void {
    const path = join(this.dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ key, summary } satisfies CachedCell) + "\n");
      renameSync(tmp, path);
    } catch (err) {
      throw new InputError(this.dir, name, `cannot write the cached cell (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
}

/** SHA-256 of a file's bytes, streamed (a trace may be gigabytes). */
export async function fileDigest(path: string): Promise<string> {
  const h = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  } catch (err) {
    throw new InputError(path, "", `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return h.digest("hex");
}
