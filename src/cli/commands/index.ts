// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";
import { register as boardImport } from "./board-import.ts";
import { register as compare } from "./compare.ts";
import { register as dump } from "./dump.ts";
import { register as explain } from "./explain.ts";
import { register as repro } from "./repro.ts";
import { register as run } from "./run.ts";
import { register as mm } from "./mm.ts";
import { register as ops } from "./ops.ts";
import { register as platforms } from "./platforms.ts";
import { register as selftest } from "./selftest.ts";
import { register as traceGen } from "./trace-gen.ts";

/** Every command's register function; the order is the order in --help. */
export const COMMANDS: readonly ((program: Command) => void)[] = [repro, compare, run, explain, mm, platforms, boardImport, selftest, ops, dump, traceGen];
