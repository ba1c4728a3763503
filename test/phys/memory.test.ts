// SPDX-License-Identifier: GPL-2.0-only
/**
 * PhysMemory (dense chunks, sparse word lists for chunks written word by word) against the plainest
 * model of RAM, a map from word address to value: every read path must see what the model holds,
 * through sparse chunks, their promotion to dense ones, zeroing, and views held across later writes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PhysMemory } from "../../src/phys/memory.ts";
import { customPlatform } from "../../src/phys/platform.ts";

// Two banks: 256 KiB at 1 GiB (four chunks) and 128 KiB above 4 GiB, with non-RAM between and around.
const RAM = [
  { start: 0x4000_0000, end: 0x4004_0000 },
  { start: 0x1_0000_0000, end: 0x1_0002_0000 },
];
const BANK = fc.constantFrom(...RAM);
/** A word address inside RAM, crowded into few pages so that chunks fill up and promote. */
const wordArb = fc.tuple(BANK, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 300 })).map(([b, page, w]) => {
  const at = b.start + page * 0x4000 + w * 4;
  return Math.min(at, b.end - 4);
});
const valueArb = fc.oneof(fc.constant(0), fc.constant(0x5a5a_5a5a), fc.nat({ max: 0xffff_ffff }));

type Op =
  | { kind: "write"; pa: number; v: number }
  | { kind: "fill"; pa: number; words: number; v: number }
  | { kind: "zero"; pa: number; words: number }
  | { kind: "view"; pa: number; words: number; at: number; v: number }
  | { kind: "stray"; pa: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant("write" as const), pa: wordArb, v: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fill" as const), pa: wordArb, words: fc.integer({ min: 1, max: 400 }), v: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("zero" as const), pa: wordArb, words: fc.integer({ min: 1, max: 20000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("view" as const), pa: wordArb, words: fc.integer({ min: 1, max: 1024 }), at: fc.nat(), v: valueArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stray" as const), pa: fc.constantFrom(0x3fff_fffc, 0x4004_0000, 0x1_0002_0000, 0x8000_0000) }) },
);

test("PhysMemory reads back exactly what a word map holds, across sparse, dense and zeroed chunks", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
      const phys = new PhysMemory(customPlatform("mem", RAM));
      const model = new Map<number, number>();
      const views: { pa: number; view: Uint32Array }[] = [];
      const inRam = (pa: number, bytes: number): boolean => RAM.some((b) => pa >= b.start && pa + bytes <= b.end);
      const chunkEnd = (pa: number): number => (Math.floor(pa / 0x1_0000) + 1) * 0x1_0000;
      for (const op of ops) {
        switch (op.kind) {
          case "write":
            assert.equal(phys.write32(op.pa, op.v), true);
            model.set(op.pa, op.v >>> 0);
            break;
          case "fill": {
            const end = Math.min(op.pa + op.words * 4, RAM.find((b) => op.pa >= b.start && op.pa < b.end)?.end ?? op.pa);
            phys.fill32(op.pa, end - op.pa, op.v);
            for (let a = op.pa; a < end; a += 4) model.set(a, op.v >>> 0);
            break;
          }
          case "zero":
            phys.zero(op.pa, op.words * 4);
            for (let a = op.pa; a < op.pa + op.words * 4; a += 4) model.delete(a);
            break;
          case "view": {
            const words = Math.min(op.words, (chunkEnd(op.pa) - op.pa) / 4);
            if (!inRam(op.pa, words * 4)) break;
            const view = phys.words(op.pa, words);
            for (let i = 0; i < words; i++) assert.equal(view[i], model.get(op.pa + i * 4) ?? 0);
            const i = op.at % words;
            view[i] = op.v >>> 0;
            model.set(op.pa + i * 4, op.v >>> 0);
            views.push({ pa: op.pa, view });
            break;
          }
          case "stray":
            assert.equal(phys.peek32(op.pa), -1);
            assert.equal(phys.write32(op.pa, 1), false);
            assert.equal(phys.read32(op.pa), 0);
            break;
        }
      }
      for (const b of RAM) {
        for (let a = b.start; a < b.end; a += 4) {
          const want = model.get(a) ?? 0;
          if (phys.read32(a) !== want || phys.peek32(a) !== want)
            assert.fail(`word at 0x${a.toString(16)}: read ${phys.read32(a)}, peek ${phys.peek32(a)}, want ${want}`);
        }
      }
      // A view taken earlier still aliases the memory (its chunk was never replaced).
      for (const { pa, view } of views) for (let i = 0; i < view.length; i++) assert.equal(view[i], model.get(pa + i * 4) ?? 0);
      assert.equal(phys.busErrorCount, ops.filter((o) => o.kind === "stray").length * 2);
    }),
    { numRuns: 150 },
  );
});

test("word-by-word device traffic stays sparse; a table view makes its chunk dense", () => {
  const phys = new PhysMemory(customPlatform("mem", RAM));
  // One word per 4 KiB page over the whole first bank: 64 words in 4 chunks.
  for (let pa = 0x4000_0000; pa < 0x4004_0000; pa += 0x1000) phys.write32(pa, 0x5a5a_5a5a);
  assert.ok(phys.materialisedBytes < 4 * 1024, `sparse chunks hold ${phys.materialisedBytes} bytes`);
  // Zeros written to untouched RAM need no storage.
  phys.write32(0x1_0000_0000, 0);
  const before = phys.materialisedBytes;
  assert.equal(before < 4 * 1024, true);
  const l1 = phys.words(0x4000_4000, 4096);
  assert.deepEqual([l1[0], l1[1], l1[1024], l1[1025]], [0x5a5a_5a5a, 0, 0x5a5a_5a5a, 0], "the sparse words of the chunk are in the dense one");
  assert.ok(phys.materialisedBytes >= 64 * 1024);
  phys.zero(0x4001_0000, 0x1_0000);
  assert.equal(phys.read32(0x4001_0000), 0);
  assert.equal(phys.read32(0x4002_0000), 0x5a5a_5a5a);
});
