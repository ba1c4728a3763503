// SPDX-License-Identifier: GPL-2.0-only
import type { EraName } from "../../src/core/era.ts";
import type { BuddyAllocator } from "../../src/mm/buddy.ts";
import { strategy } from "../../src/strategies/index.ts";
import type { TableMemory } from "../../src/strategies/table-memory.ts";
import { bootBuddy } from "../mm/boot.ts";

export function make(name: string, eraName: EraName = "v4.19", cpus = 4, b?: BuddyAllocator): { tm: TableMemory; b: BuddyAllocator } {
  const buddy = b ?? bootBuddy("mt8173-elm-4g", eraName);
  return { tm: strategy(name).create({ buddy, era: buddy.era, cpus }), b: buddy };
}
