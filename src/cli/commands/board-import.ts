// SPDX-License-Identifier: GPL-2.0-only
/** `iommu-lab board-import` (declared in commands/index.ts). */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../../core/errors.ts";
import { importBoard, type InputText } from "../../phys/board-import/build.ts";
import { checkWritable, writeFileAtomic } from "../io.ts";

export interface BoardImportFlags {
  output: string;
  iomem?: string;
  zoneinfo?: string;
  buddyinfo?: string;
  slabinfo?: string;
  name?: string;
}

function readInput(path: string): InputText {
  if (path !== "-" && !existsSync(path)) throw new InputError(path, "", "no such file");
  if (path !== "-" && statSync(path).isDirectory()) throw new InputError(path, "", "is a directory, not a file");
  return { name: path, text: readFileSync(path === "-" ? 0 : path, "utf8") };
}

const same = (a: string, b: string): boolean => resolve(a) === resolve(b) || (existsSync(a) && existsSync(b) && realpathSync(a) === realpathSync(b));

/** The command's action: reads the inputs, writes the platform file, says on stderr what it assumed. */
export function action(logPath: string, flags: BoardImportFlags): void {
  const inputs = [logPath, flags.iomem, flags.zoneinfo, flags.buddyinfo, flags.slabinfo].filter((p): p is string => p !== undefined && p !== "-");
  for (const p of inputs) if (same(p, flags.output)) throw new InputError(flags.output, "", `would overwrite the input ${p}`);
  checkWritable(flags.output);
  const r = importBoard({
    log: readInput(logPath),
    ...(flags.iomem === undefined ? {} : { iomem: readInput(flags.iomem) }),
    ...(flags.zoneinfo === undefined ? {} : { zoneinfo: readInput(flags.zoneinfo) }),
    ...(flags.buddyinfo === undefined ? {} : { buddyinfo: readInput(flags.buddyinfo) }),
    ...(flags.slabinfo === undefined ? {} : { slabinfo: readInput(flags.slabinfo) }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
  });
  writeFileAtomic(flags.output, JSON.stringify(r.json, null, 2) + "\n");
  for (const n of r.notes) process.stderr.write(`board-import: ${n}\n`);
  process.stderr.write(`wrote ${flags.output}\n`);
}
