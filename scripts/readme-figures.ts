// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every figure the README states, rendered from real runs of the model, so prose cannot drift from code.
 * The README holds each block between `<!-- figures:NAME -->` and `<!-- /figures -->`; test/readme.test.ts
 * renders them again and fails on any difference, and
 *
 *   npm run readme:update
 *
 * writes the freshly rendered blocks into README.md (the accept step: review the diff, then commit).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeAnswer } from "../src/analysis/answer.ts";
import { bytes, hex } from "../src/core/format.ts";
import { buildReport, strategyVariants } from "../src/lab/compare.ts";
import { runExperimentSync } from "../src/lab/experiment.ts";
import { scenarioSource } from "../src/lab/source.ts";
import { DEFAULT_MACHINE, DEFAULT_SWITCHES, variant, type MachineSpec, type Variant } from "../src/lab/spec.ts";
import type { ComparisonReport, StrategyResult } from "../src/lab/types.ts";
import { strategy as strategyByName } from "../src/strategies/index.ts";
import { builtinScenario, DEFAULT_SCENARIO } from "../src/workload/builtin-scenarios.ts";
import type { Scenario } from "../src/workload/scenario.ts";

export const README = join(dirname(fileURLToPath(import.meta.url)), "..", "README.md");

interface Run {
  readonly report: ComparisonReport;
  readonly variants: readonly Variant[];
}

function runAll(scenario: Scenario, machine: MachineSpec, variants: readonly Variant[]): Run {
  const results = variants.map((v) => runExperimentSync({ machine, variant: v }, scenarioSource(scenario, machine.seed)).result);
  const workload = { kind: "scenario" as const, name: scenario.name, scenario };
  return { report: buildReport({ machine, switches: DEFAULT_SWITCHES, workload, version: "readme" }, results), variants };
}

const count = (n: number): string => n.toLocaleString("en-US");
/** A clause from the model as a sentence of the README. */
const sentence = (s: string): string => (s === "" ? "" : `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? "" : "."}`);
// Report schema 2: a refused domain's L1 was freed, so it is in freedTables.l1, not in tables.
const l1Of = (r: StrategyResult) => r.tables.find((t) => t.level === 1) ?? r.freedTables.l1[r.freedTables.l1.length - 1] ?? null;
const byName = (run: Run, name: string): StrategyResult => {
  const r = run.report.results.find((x) => x.strategy === name);
  if (r === undefined) throw new Error(`readme: no result for ${name}`);
  return r;
};

function provenanceText(name: string): string {
  const p = strategyByName(name).provenance;
  return p.kind === "merged" ? `merged (${p.release.replace(/ \(.*$/, "")})` : p.kind === "rfc" ? `RFC (${p.date})` : "hypothetical";
}

function failureText(r: StrategyResult): string {
  if (!r.domainCreated) return "domain not created";
  const n = r.allocFailures + r.mapFailures;
  return n === 0 ? "0" : `${count(n)}`;
}

/** The default run's table: one row per strategy, straight from its result. */
function defaultTable(run: Run): string {
  const rows = run.report.results.map((r) => {
    const l1 = l1Of(r);
    const slab = r.kernelCounters.slabinfo;
    const note = !r.domainCreated
      ? (r.messages.find((m) => m.text.startsWith("model:"))?.text.replace(/^model: /, "") ?? "")
      : slab !== null
        ? `slabinfo: ${slab.numSlabs} slabs of ${slab.objPerSlab} objects; L1 at ${hex(l1?.pa ?? 0)} (${l1?.zone ?? "?"})`
        : `L1 at ${hex(l1?.pa ?? 0)} (${l1?.zone ?? "?"})`;
    return `| \`${r.strategy}\` | ${provenanceText(r.strategy)} | ${bytes(r.peakHeldBytes)} | ${bytes(r.peakInUseBytes)} | ${r.tablesAbove4GiB} | ${failureText(r)} | ${note} |`;
  });
  return ["| strategy | provenance | peak held | peak in use | tables ≥ 4 GiB | failures | note |", "|---|---|---|---|---|---|---|", ...rows].join("\n");
}

export interface Figures {
  readonly blocks: Readonly<Record<string, string>>;
}

/** Runs the model and renders every README block. Takes some seconds: it runs about a dozen systems. */
export function renderReadmeBlocks(): Figures {
  const scenario = builtinScenario(DEFAULT_SCENARIO);
  const machine = DEFAULT_MACHINE;
  const main = runAll(scenario, machine, strategyVariants());
  const answer = computeAnswer(main.report, { variants: main.variants, switches: DEFAULT_SWITCHES });
  const legacy = byName(main, "legacy-gfp-dma");
  const slab = byName(main, "slab-dma32");
  const legacyL1 = l1Of(legacy);
  const fixes = main.report.results.filter((r) => r.domainCreated);
  const mismatches = fixes.reduce((n, r) => n + r.translationMismatches, 0);

  // The same legacy strategy with the domain created after the background load, and with the fit check off.
  const extra = runAll(scenario, machine, [
    variant("legacy-gfp-dma", { domainTiming: "after-background" }),
    variant("legacy-gfp-dma", { fitCheck: false }),
    variant("slab-dma32", { domainTiming: "after-background" }),
  ]);
  const late = extra.report.results[0] as StrategyResult;
  const noFit = extra.report.results[1] as StrategyResult;
  const lateL1 = l1Of(late);
  const lateSlabL1 = l1Of(extra.report.results[2] as StrategyResult);
  const noFitL1 = l1Of(noFit);
  const presets = ["none", "light", "typical", "dma32-pressure"] as const;
  const byPreset = presets.map((b) => {
    const r = runAll(scenario, { ...machine, background: b }, [variant("legacy-gfp-dma")]).report.results[0] as StrategyResult;
    const l1 = l1Of(r);
    return `\`${b}\` ${hex(l1?.pa ?? 0)}`;
  });

  const recycling = builtinScenario("page-frag-recycling");
  const hazard = runAll(recycling, { ...machine, seed: recycling.seed }, strategyVariants(["page-frag", "slab-dma32"]));
  const pf = byName(hazard, "page-frag");
  const pfSlab = byName(hazard, "slab-dma32");

  const blocks: Record<string, string> = {
    "default-workload": `${main.report.platform.name}, Linux ${main.report.params.era}, \`${scenario.name}\` (seed ${main.report.params.seed}): ${count(main.report.workload.maps)} map and ${count(main.report.workload.unmaps)} unmap calls, ${count(main.report.workload.events)} workload events.`,
    "default-table": defaultTable(main),
    "default-answer": `> ${answer.best.summary}`,
    "default-checks": `Every strategy whose domain was created maps every IOVA to exactly the physical address the workload intended: ${count(fixes.length)} strategies, ${count(fixes.reduce((n, r) => n + r.mapCalls, 0))} map calls, ${count(mismatches)} mismatches between the hardware walk, \`iova_to_phys\` and the intended address.`,
    mechanism:
      `At device probe, before the rest of the kernel loads, the legacy \`GFP_DMA\` L1 lands at ${hex(legacyL1?.pa ?? 0)} (${legacyL1?.zone ?? "?"}), ` +
      `so \`alloc_io_pgtable_ops\` refuses it ("${legacy.messages[0]?.text ?? ""}"); ` +
      `mtk_iommu retries once per added master: ${count(legacy.domainProbe?.attempts ?? 0)} attempts, ${count(legacy.domainProbe?.failures ?? 0)} failures. ${sentence(legacy.domainProbe?.outcome ?? "")} ` +
      `It lands there whatever the background load: ${byPreset.join(", ")}. ` +
      `Created after the typical background load instead (\`--domain-timing after-background\`), the same L1 lands at ${hex(lateL1?.pa ?? 0)} (${lateL1?.zone ?? "?"}) and the domain ${late.domainCreated ? `is created, with ${count(late.tablesAbove4GiB)} tables at or above 4 GiB and ${count(late.mapFailures + late.allocFailures)} failures` : "is still refused"}. ` +
      `The merged fix (\`slab-dma32\`) puts its L1 at ${hex(l1Of(slab)?.pa ?? 0)} (${l1Of(slab)?.zone ?? "?"}) at probe and at ${hex(lateSlabL1?.pa ?? 0)} (${lateSlabL1?.zone ?? "?"}) after the load.`,
    repro:
      `With the fit check off (\`iommu-lab repro\`), the legacy L1 at ${hex(noFitL1?.pa ?? 0)} is installed with its pointer truncated to ${hex((noFitL1?.pa ?? 0) % 2 ** 32)}: ` +
      `${count(noFit.faults)} device accesses fault, ${count(noFit.translationMismatches)} mapped pages walk to the wrong place and ${count(noFit.strayDmaWrites)} device writes land in memory other than their buffer.`,
    hazard:
      `\`compare page-frag-recycling\`: page-frag hands out ${count(pf.dirtyTables)} L2 table${pf.dirtyTables === 1 ? "" : "s"} still holding a freed table's entries and ${count(pf.mapFailures)} of ${count(pf.mapCalls)} map calls fail; ` +
      `slab-dma32: ${count(pfSlab.dirtyTables)} and ${count(pfSlab.mapFailures)}.`,
  };
  return { blocks };
}

const BLOCK = /<!-- figures:([a-z0-9-]+) -->\n([\s\S]*?)<!-- \/figures -->/g;

/** The README's blocks as they stand. */
export function readmeBlocks(text: string): Map<string, string> {
  return new Map([...text.matchAll(BLOCK)].map((m) => [m[1] as string, (m[2] as string).replace(/\n$/, "")]));
}

/** The README with every block replaced by its rendering; a block the README lacks is an error. */
export function applyBlocks(text: string, blocks: Readonly<Record<string, string>>): string {
  const have = readmeBlocks(text);
  for (const name of Object.keys(blocks)) if (!have.has(name)) throw new Error(`README.md has no <!-- figures:${name} --> block`);
  return text.replace(BLOCK, (m, name: string) => (blocks[name] === undefined ? m : `<!-- figures:${name} -->\n${blocks[name]}\n<!-- /figures -->`));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = readFileSync(README, "utf8");
  const next = applyBlocks(text, renderReadmeBlocks().blocks);
  if (next === text) process.stdout.write("README.md: every figure block is current\n");
  else {
    writeFileSync(README, next);
    process.stdout.write("README.md: figure blocks rewritten; review with git diff README.md\n");
  }
}
