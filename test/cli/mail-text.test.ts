// SPDX-License-Identifier: GPL-2.0-only
/**
 * `compare --format text` is mail-ready: every line within 72 columns, ASCII only, and every figure
 * it prints is the figure the JSON of the same run holds (parsed back from the text, not re-rendered).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ascii } from "../../src/report/ascii.ts";
import { MAIL_COLUMNS } from "../../src/report/mail.ts";
import { CLI } from "../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "iommu-lab-mail-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** "4.02 MiB" -> its value and the rounding the text allows (half a unit of its last digit). */
function parseSize(cell: string): { value: number; slack: number } {
  const m = /^(\d+(?:\.(\d+))?) (B|KiB|MiB|GiB)$/.exec(cell);
  assert.ok(m !== null, `"${cell}" is not a size`);
  const unit = UNITS[m[3] ?? "B"] ?? 1;
  return { value: Number(m[1]) * unit, slack: (0.5 * unit) / 10 ** (m[2]?.length ?? 0) };
}

function field(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | null)?.[k], obj);
}

interface Table {
  readonly headers: string[];
  readonly rows: Map<string, string[]>;
}

/** The text's tables: a "strategy" header line, a dash rule whose runs give the column bounds, rows. */
function tables(text: string): Table[] {
  const lines = text.split("\n");
  const out: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const rule = lines[i + 1] ?? "";
    if (!(lines[i] ?? "").startsWith("strategy") || !/^-+( +-+)*$/.test(rule)) continue;
    const bounds = [...rule.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
    const cut = (l: string): string[] => bounds.map(([a, b], k) => l.slice(a, k === bounds.length - 1 ? undefined : b).trim());
    const t: Table = { headers: cut(lines[i] ?? ""), rows: new Map() };
    for (let j = i + 2; j < lines.length && (lines[j] ?? "") !== ""; j++) {
      const cells = cut(lines[j] ?? "");
      t.rows.set(cells[0] ?? "", cells);
    }
    out.push(t);
  }
  return out;
}

describe("compare --format text", () => {
  let text = "";
  let json: {
    params: Record<string, unknown>;
    workload: Record<string, number>;
    results: Record<string, unknown>[];
    answer: { best: { byBytesHeld: { peakHeldBytes: number } | null } };
  };
  before(() => {
    const r = lab(
      "compare",
      "--format",
      "text",
      "--strategies",
      "legacy-gfp-dma,slab-dma32,genalloc-prealloc,page-frag",
      "--no-html",
      "--json",
      "r.json",
      "--jobs",
      "2",
    );
    assert.equal(r.status, 0, r.stderr);
    text = r.stdout;
    json = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
  });

  it("has every line within 72 columns and ASCII only", () => {
    for (const [i, l] of text.split("\n").entries()) {
      assert.ok(l.length <= 72, `line ${i + 1} is ${l.length} columns: ${l}`);
      assert.ok(/^[\x20-\x7e]*$/.test(l), `line ${i + 1} is not ASCII: ${l}`);
    }
  });

  it("prints no timing", () => assert.doesNotMatch(text, /run ms/));

  it("shows every summary column for every strategy, with the JSON's figures", () => {
    const ts = tables(text);
    const seen = new Set<string>();
    for (const t of ts) {
      t.headers.slice(1).forEach((h, k) => {
        const col = MAIL_COLUMNS.find((c) => ascii(c.header) === h);
        assert.ok(col !== undefined, `unknown column "${h}"`);
        seen.add(col.field);
        for (const res of json.results) {
          const name = res["strategy"] as string;
          const cell = t.rows.get(name)?.[k + 1];
          assert.ok(cell !== undefined, `no ${h} cell for ${name}`);
          const where = `${name} ${h} "${cell}"`;
          if (col.field === "overhead") {
            const held = res["peakHeldBytes"] as number;
            const use = res["peakInUseBytes"] as number;
            if (use === 0) assert.equal(cell, "-", where);
            else assert.ok(Math.abs(Number(cell.replace(/x$/, "")) - held / use) <= 0.005, where);
            continue;
          }
          const value = field(res, col.field);
          if (col.field.startsWith("kernelCounters.slabinfo")) {
            const slab = (res["kernelCounters"] as { slabinfo: { activeObjs: number; numObjs: number; numSlabs: number } | null }).slabinfo;
            if (slab === null) assert.equal(cell, "-", where);
            else assert.deepEqual(/^(\d+)\/(\d+) objs, (\d+) slabs?$/.exec(cell)?.slice(1).map(Number), [slab.activeObjs, slab.numObjs, slab.numSlabs], where);
          } else if (/Bytes$/.test(col.field)) {
            const { value: v, slack } = parseSize(cell);
            assert.ok(Math.abs(v - (value as number)) <= slack, `${where} vs ${value}`);
          } else {
            assert.equal(Number(cell), value, where);
          }
        }
      });
    }
    assert.deepEqual([...seen].sort(), MAIL_COLUMNS.map((c) => c.field).sort(), "every column once");
  });

  it("states the run's parameters and the answer's figure as the JSON does", () => {
    const p = json.params;
    assert.match(
      text,
      new RegExp(`run +${p["era"]}, scenario ${p["scenario"]}, seed ${p["seed"]}, cpus ${p["cpus"]}, fit\\s+check on, TLB ${p["tlbEntries"]} entries`),
    );
    const w = json.workload;
    assert.match(text, new RegExp(`workload  ${w["events"]} events \\(${w["maps"]} maps, ${w["unmaps"]} unmaps\\)`));
    const best = json.answer.best.byBytesHeld;
    assert.ok(best !== null);
    const m = /Best by bytes held: \S+,.*? peak (\d+(?:\.\d+)? [KMG]?i?B) held/.exec(text.replace(/\n\s*/g, " "));
    assert.ok(m !== null, "the answer names the best strategy's peak");
    const { value, slack } = parseSize(m[1] ?? "");
    assert.ok(Math.abs(value - best.peakHeldBytes) <= slack);
  });

  it("--quiet prints only the answer; --format markdown a table", () => {
    const q = lab("compare", "--quiet", "--strategies", "slab-dma32", "--no-html", "--no-json", "--jobs", "1");
    assert.equal(q.status, 0, q.stderr);
    assert.match(q.stdout, /^Best by bytes held: slab-dma32/);
    assert.doesNotMatch(q.stdout, /strategy|Predictions/);
    assert.equal(q.stderr, "");
    const md = lab("compare", "--format", "markdown", "--strategies", "slab-dma32", "--no-html", "--no-json", "--jobs", "1");
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, /^\| slab-dma32 \| 96 KiB \|/m);
    assert.doesNotMatch(md.stdout, /run ms/);
  });

  it("an unknown --format is bad input", () => {
    const r = lab("compare", "--format", "html", "--no-html", "--no-json");
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), /^iommu-lab: --format: unknown format "html" \(known: terminal, text, markdown\)$|--format: unknown format "html"/);
  });
});

describe("the default views fit their widths", () => {
  const widest = (s: string): number => Math.max(...s.split("\n").map((l) => [...l].length));
  it("platforms: 100 columns, 72 and ASCII as text", () => {
    assert.ok(widest(lab("platforms").stdout) <= 100);
    const t = lab("platforms", "--format", "text").stdout;
    assert.ok(widest(t) <= 72 && /^[\x20-\x7e\n]*$/.test(t));
  });
  it("mm: 100 columns, 72 as text", () => {
    assert.ok(widest(lab("mm").stdout) <= 100);
    const t = lab("mm", "--format", "text").stdout;
    assert.ok(widest(t) <= 72 && /^[\x20-\x7e\n]*$/.test(t));
    // mm boots as a run does (mm/boot.ts): the memmap and swiotlb reservations are not the buddy's.
    assert.match(t, /DMA32 +1 1 0 1 1 1 0 1 0 1 197/);
  });
  it("compare: 100 columns", () => {
    const r = lab("compare", "--no-html", "--no-json", "--jobs", "2");
    assert.equal(r.status, 0, r.stderr);
    assert.ok(widest(r.stdout) <= 100, `widest ${widest(r.stdout)}`);
  });
});

describe("run --views and --tlb-entries", () => {
  it("keeps only the asked views in the JSON and prints them in the kernel's formats", () => {
    const r = lab("run", "--strategy", "slab-dma32", "--views", "slabinfo,allocinfo", "--json", "v.json", "--tlb-entries", "4");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^slabinfo - version: 2\.1$/m);
    assert.match(r.stdout, /^io-pgtable_armv7s_l2 +\d+ +\d+ +1024 /m);
    assert.match(r.stdout, /^ +16384 +1 drivers\/iommu\/io-pgtable-arm-v7s\.c:0 func:__get_free_pages $/m);
    assert.doesNotMatch(r.stdout, /Node 0, zone/);
    assert.match(r.stdout, /^tlb +4 entries/m);
    const j = JSON.parse(readFileSync(join(dir, "v.json"), "utf8"));
    assert.equal(j.params.tlbEntries, 4);
    assert.deepEqual(Object.keys(j.results[0].kernelViews), ["slabinfo", "allocinfo"]);
    assert.equal(j.results[0].kernelViews.slabinfo[0].activeObjs, j.results[0].kernelCounters.slabinfo.activeObjs);
  });

  it("without --views the JSON has none; zoneinfo uses the era's lines", () => {
    const plain = lab("run", "--strategy", "slab-dma32", "--json", "p.json");
    assert.equal(plain.status, 0, plain.stderr);
    const j = JSON.parse(readFileSync(join(dir, "p.json"), "utf8"));
    assert.equal(j.results[0].kernelViews, undefined);
    assert.equal(j.params.tlbEntries, 32);
    const z = lab("run", "--strategy", "slab-dma32", "--era", "v6.6", "--views", "zoneinfo", "--format", "text");
    assert.equal(z.status, 0, z.stderr);
    assert.match(z.stdout, /Node 0, zone   Normal\n  pages free +\d+\n +boost +0\n +min/);
  });

  it("an unknown view or a bad TLB size is bad input", () => {
    const v = lab("run", "--views", "meminfo");
    assert.equal(v.status, 2);
    assert.match(v.stderr, /--views: unknown view "meminfo" \(known: slabinfo, buddyinfo, zoneinfo, allocinfo, ptdump\)/);
    const t = lab("run", "--tlb-entries", "0");
    assert.equal(t.status, 2);
    assert.match(t.stderr, /--tlb-entries: "0" is not an integer from 1 to 65536/);
  });
});
