// SPDX-License-Identifier: GPL-2.0-only
/**
 * The layering rules of docs/architecture.md, checked on the source text (parsed with the TypeScript
 * compiler, so a rule about strings looks at string literals only):
 * 1. imports point down the layer order of LAYERS, never up;
 * 2. src/report/ names no table-memory strategy (any registry name) and imports no era (core/era.ts);
 * 3. src/lab/ and every layer below it hold no CLI flag (`--name`) and no command name in a string;
 * 4. src/cli/ does not run the event loop: it imports neither the executor nor the trace replayer.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { STRATEGY_NAMES } from "../src/strategies/index.ts";
import { REPO_ROOT } from "./helpers/paths.ts";

/** The layers, lowest first: a file may import its own layer or one to its left. */
const LAYERS = ["core", "phys", "mm", "strategies", "pgtable", "iommu", "dma", "workload", "lab", "analysis", "report", "cli"] as const;
type Layer = (typeof LAYERS)[number];
const SRC = join(REPO_ROOT, "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The layer of a file under src/, or null for the library entry point src/index.ts. */
function layerOf(file: string): Layer | null {
  const top = relative(SRC, file).split(/[\\/]/)[0] ?? "";
  const layer = LAYERS.find((l) => l === top);
  if (layer === undefined && top !== "index.ts") throw new Error(`${file}: not in a known layer; add its folder to LAYERS`);
  return layer ?? null;
}

interface Parsed {
  readonly file: string;
  readonly imports: readonly string[];
  readonly strings: readonly string[];
}

function parse(file: string): Parsed {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const imports: string[] = [];
  const strings: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) {
      imports.push(n.moduleSpecifier.text);
      return;
    }
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a !== undefined && ts.isStringLiteralLike(a)) imports.push(a.text);
    }
    if (ts.isStringLiteralLike(n)) strings.push(n.text);
    else if (ts.isTemplateExpression(n)) strings.push([n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join("${}"));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { file, imports, strings };
}

const FILES = sources(SRC).map(parse);
const rel = (f: string): string => relative(REPO_ROOT, f);
const under = (f: string, dir: string): boolean => !relative(join(SRC, dir), f).startsWith("..");

/** Command names, from the `.command("name")` calls of the CLI. */
const COMMAND_NAMES = [
  ...new Set(
    sources(join(SRC, "cli", "commands")).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\.command\("([a-z][a-z-]*)"/g)].map((m) => m[1] as string)),
  ),
];

/** A string that tells the user to type something: a `--flag`, or a command in backquotes or after the program name. */
const FLAG = /(^|[\s`'"(])--[a-z][a-z-]*/;
const COMMAND = new RegExp(`(\`|iommu-lab )(${COMMAND_NAMES.join("|")})\\b`);
const STRATEGY = new RegExp(`(^|[^a-z0-9-])(${STRATEGY_NAMES.join("|")})(?![a-z0-9-])`);

describe("architecture", () => {
  it("derives its inputs from the tree", () => {
    assert.ok(FILES.length > 50, `${FILES.length} source files`);
    assert.ok(COMMAND_NAMES.includes("compare") && COMMAND_NAMES.includes("replay"), COMMAND_NAMES.join(", "));
  });

  it("the patterns catch what the rules forbid, and pass plain words", () => {
    for (const bad of ["--cpus 5: too many", "see the messages of `run`", "try iommu-lab compare"]) assert.ok(FLAG.test(bad) || COMMAND.test(bad), bad);
    for (const ok of ["replay", "a dump of the table", "x--y", "the run's result"]) assert.ok(!FLAG.test(ok) && !COMMAND.test(ok), ok);
    assert.ok(STRATEGY.test("4 KiB with page-per-table") && !STRATEGY.test("page-per-tables") && !STRATEGY.test("a page per table"));
  });

  it("imports point down the layer order (core < phys < ... < report < cli)", () => {
    const bad: string[] = [];
    for (const p of FILES) {
      const from = layerOf(p.file);
      if (from === null) continue;
      for (const spec of p.imports) {
        if (!spec.startsWith(".")) continue;
        const to = layerOf(resolve(dirname(p.file), spec));
        if (to !== null && LAYERS.indexOf(to) > LAYERS.indexOf(from)) bad.push(`${rel(p.file)} (${from}) imports ${spec} (${to})`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it("src/report/ names no strategy and imports no era", () => {
    const bad: string[] = [];
    for (const p of FILES.filter((x) => under(x.file, "report"))) {
      const m = STRATEGY.exec(readFileSync(p.file, "utf8"));
      if (m !== null) bad.push(`${rel(p.file)} names the strategy "${m[2]}"`);
      for (const spec of p.imports) if (/(^|\/)core\/era\.ts$/.test(spec)) bad.push(`${rel(p.file)} imports ${spec}`);
    }
    assert.deepEqual(bad, []);
  });

  it("src/lab/ and the layers below hold no CLI flag or command name in a string", () => {
    const below = LAYERS.slice(0, LAYERS.indexOf("lab") + 1);
    const bad: string[] = [];
    for (const p of FILES.filter((x) => below.includes(layerOf(x.file) as (typeof below)[number]))) {
      for (const s of p.strings) {
        if (FLAG.test(s)) bad.push(`${rel(p.file)}: flag in "${s}"`);
        else if (COMMAND.test(s)) bad.push(`${rel(p.file)}: command name in "${s}"`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it("src/cli/ runs no event loop of its own: no executor, no trace replayer", () => {
    const bad = FILES.filter((p) => under(p.file, "cli")).flatMap((p) =>
      p.imports.filter((s) => /lab\/executor\.ts$|workload\/replay\.ts$/.test(s)).map((s) => `${rel(p.file)} imports ${s}`),
    );
    assert.deepEqual(bad, []);
  });
});
