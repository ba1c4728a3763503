// SPDX-License-Identifier: GPL-2.0-only
/**
 * iommu-lab as a library: the pure core, layer by layer (no Node APIs; the CLI in src/cli is the only
 * I/O). Each export is documented where it is defined.
 */
export { era, ERA_NAMES, type Era, type EraName } from "./core/era.ts";
export { InputError } from "./core/errors.ts";
export { Rng } from "./core/rng.ts";
export { PhysMemory } from "./phys/memory.ts";
export { platform, PLATFORM_NAMES, customPlatform, type Platform } from "./phys/platform.ts";
export { zonesFor, type Zone } from "./phys/zones.ts";
export { bootKernelMemory, type KernelMemory } from "./mm/kernel.ts";
export { BuddyAllocator } from "./mm/buddy.ts";
export { kmemCacheCreate, type SlabCache } from "./mm/slub.ts";
export { GenPool } from "./mm/genalloc.ts";
export { PageFragCache } from "./mm/page-frag.ts";
export * as gfp from "./mm/gfp.ts";
export { STRATEGIES, STRATEGY_NAMES, strategy, type StrategyInfo } from "./strategies/index.ts";
export type { TableMemory } from "./strategies/table-memory.ts";
export { ArenaTableMemory } from "./strategies/arena.ts";
export { allocV7s } from "./pgtable/engine.ts";
export * from "./pgtable/types.ts";
export { decodePte, describePte, FIELDS } from "./pgtable/format.ts";
export { dumpTable, prettyTable } from "./pgtable/dump.ts";
export { checkOracle, parseOracle, runOracle } from "./pgtable/oracle.ts";
export { runSelftest } from "./pgtable/selftest.ts";
export { M4u, m4uConfigFor, mt8173Config } from "./iommu/m4u.ts";
export { DmaMaster } from "./iommu/dma-master.ts";
export { IommuDomain, mtkV7sConfig } from "./dma/iommu-core.ts";
export { IommuDma, platformDevice } from "./dma/dma-api.ts";
export { IovaDomain } from "./dma/iova.ts";
export { iommuPgsize } from "./dma/pgsize.ts";
export { parseScenario, validateScenario, expandScenario, type Scenario } from "./workload/scenario.ts";
export { BUILTIN_SCENARIOS, DEFAULT_SCENARIO, builtinScenario } from "./workload/builtin-scenarios.ts";
export { FtraceParser, parseFtrace } from "./workload/ftrace.ts";
export { TraceReplayer } from "./workload/replay.ts";
export type { WorkloadEvent, TraceEvent } from "./workload/events.ts";
export { DEFAULT_MACHINE, DEFAULT_STRATEGY, variant, type DomainTiming, type MachineSpec, type RunSpec, type Variant } from "./lab/spec.ts";
export { bootSystem, bootSteps, type DomainRefusal, type System } from "./lab/system.ts";
export { eventListSource, scenarioEvents, scenarioSource, traceSource, type EventSource } from "./lab/source.ts";
export { runExperiment, runExperimentSync, runExperiments, type ExperimentRun, type StopRule } from "./lab/experiment.ts";
export type { Observer } from "./lab/observers/observer.ts";
export { buildReport, compare, reproVariants, strategyVariants, type Comparison, type ComparisonSpec, type RunOne } from "./lab/compare.ts";
export { explainIova } from "./lab/explain.ts";
export type { ComparisonReport, StrategyResult } from "./lab/types.ts";
export * from "./analysis/index.ts";
export * from "./report/index.ts";
