// SPDX-License-Identifier: GPL-2.0-only
/** The bit helpers against definitions too slow or too plain to be wrong, over the whole 53-bit range. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { alignUp, ffs, fls, getOrder, isPowerOfTwo, PAGE_SHIFT, PAGE_SIZE } from "../../src/core/bits.ts";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Values near every power of two are where log2 and 32-bit shortcuts go wrong, so weight them. */
const safeNat = fc.oneof(
  fc.bigInt({ min: 0n, max: MAX }),
  fc.tuple(fc.integer({ min: 0, max: 52 }), fc.integer({ min: -2, max: 2 })).map(([k, d]) => {
    const v = (1n << BigInt(k)) + BigInt(d);
    return v < 0n ? 0n : v > MAX ? MAX : v;
  }),
);

function naiveFls(x: bigint): number {
  let n = 0;
  while (x >> BigInt(n) !== 0n) n++;
  return n;
}

function naiveFfs(x: bigint): number {
  let n = 0;
  while (((x >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}

function naiveGetOrder(bytes: bigint): number {
  let order = 0;
  while (BigInt(PAGE_SIZE) << BigInt(order) < bytes) order++;
  return order;
}

describe("core/bits", () => {
  it("PAGE_SIZE is 1 << PAGE_SHIFT = 4 KiB", () => {
    assert.equal(PAGE_SIZE, 4096);
    assert.equal(PAGE_SIZE, 2 ** PAGE_SHIFT);
  });

  it("fls: 1-based highest set bit, 0 for 0", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 0x1000, 2 ** 32, 2 ** 35 - 1].map(fls), [0, 1, 2, 2, 3, 13, 33, 35]);
    fc.assert(fc.property(safeNat, (x) => fls(Number(x)) === naiveFls(x)));
  });

  it("ffs (__ffs): 0-based lowest set bit, refuses 0", () => {
    assert.deepEqual([1, 2, 6, 0x1000, 2 ** 32, 2 ** 34 + 2 ** 33].map(ffs), [0, 1, 1, 12, 32, 33]);
    assert.throws(() => ffs(0), RangeError);
    fc.assert(
      fc.property(
        safeNat.filter((x) => x > 0n),
        (x) => ffs(Number(x)) === naiveFfs(x),
      ),
    );
  });

  it("getOrder (get_order): smallest order of pages holding the size", () => {
    assert.deepEqual([0, 1, 4096, 4097, 8192, 8193, 2 ** 22].map(getOrder), [0, 0, 0, 1, 1, 2, 10]);
    fc.assert(fc.property(safeNat, (x) => getOrder(Number(x)) === naiveGetOrder(x)));
  });

  it("alignUp: the smallest multiple of a power of two at or above x", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.integer({ min: 0, max: 12 }), (x, k) => {
        const a = 1n << BigInt(k);
        return alignUp(Number(x), Number(a)) === Number(((x + a - 1n) / a) * a);
      }),
    );
  });

  it("isPowerOfTwo: exactly the 53 powers of two", () => {
    const powers = new Set(Array.from({ length: 53 }, (_, k) => 1n << BigInt(k)));
    fc.assert(fc.property(safeNat, (x) => isPowerOfTwo(Number(x)) === powers.has(x)));
    assert.equal(isPowerOfTwo(0.5), false);
    assert.equal(isPowerOfTwo(-4), false);
  });
});
