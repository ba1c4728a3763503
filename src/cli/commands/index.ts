// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from "commander";

/** Every command's register function; the order is the order in --help. */
export const COMMANDS: readonly ((program: Command) => void)[] = [];
