// SPDX-License-Identifier: GPL-2.0-only
/**
 * The Rng keeps its state as int32 words; the stream must be the xoshiro128** one it always gave. The
 * reference below is the u32 formulation it replaced, run side by side on random seeds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Rng } from "../../src/core/rng.ts";

/** xoshiro128** seeded through splitmix32, with every state word normalised to u32 (the old code). */
class ReferenceRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    return result;
  }

  fork(label: number): ReferenceRng {
    return new ReferenceRng((this.nextU32() ^ Math.imul(label + 1, 0x27d4eb2d)) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

test("the int32-state Rng gives the u32 reference's stream, forks included", () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.nat({ max: 0xffff }), (seed, label) => {
      const r = new Rng(seed);
      const ref = new ReferenceRng(seed);
      for (let i = 0; i < 2000; i++) assert.equal(r.nextU32(), ref.nextU32());
      const f = r.fork(label);
      const fr = ref.fork(label);
      for (let i = 0; i < 200; i++) {
        const v = fr.nextU32();
        assert.equal(f.nextU32(), v);
        assert.ok(v >= 0 && v < 2 ** 32 && Number.isInteger(v));
      }
    }),
    { numRuns: 100 },
  );
});

test("next, int, chance, pick and weighted read the same u32 stream", () => {
  const r = new Rng(1);
  const ref = new ReferenceRng(1);
  for (let i = 0; i < 1000; i++) {
    const u = ref.nextU32() / 0x1_0000_0000;
    switch (i % 4) {
      case 0:
        assert.equal(r.next(), u);
        break;
      case 1:
        assert.equal(r.int(37), Math.floor(u * 37));
        break;
      case 2:
        assert.equal(r.chance(0.3), u < 0.3);
        break;
      default:
        assert.equal(r.pick(["a", "b", "c"]), ["a", "b", "c"][Math.floor(u * 3)]);
    }
  }
});
