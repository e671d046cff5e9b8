import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../../../test/support/scipy.ts';
import { argsortDescending, float32Key, sortDescending, sortKeys } from './argsort.ts';

/** The order argsortDescending promises, by a comparator: descending, −0 = +0, NaN last, ties by index. */
function reference(values: ArrayLike<number>, stride = 1, offset = 0, n = values.length): number[] {
  const at = (i: number) => values[offset + i * stride]!;
  const rank = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const [x, y] = [at(a), at(b)];
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(x) ? 1 : -1;
    return rank(y) - rank(x) || a - b;
  });
}

/** Random values with ties, both zeros, infinities, subnormals and NaNs among them. */
function values(seed: number, n: number): number[] {
  const r = rng(seed);
  const specials = [0, -0, 1, -1, 0.5, Infinity, -Infinity, Number.NaN, 5e-324, -5e-324, 1e-40, -1e-40];
  const pool = Array.from({ length: 20 }, () => r.normal());
  return Array.from({ length: n }, () => {
    const u = r.next();
    if (u < 0.1) return specials[Math.floor(r.next() * specials.length)]!;
    if (u < 0.4) return pool[Math.floor(r.next() * pool.length)]!;
    if (u < 0.6) return r.next();
    return r.normal() * 10 ** Math.floor(r.next() * 20 - 10);
  });
}

/** The order as the reference gives it, and runs of equal values ending where `!==` says (so at each NaN). */
function check(array: Float32Array | Float64Array, stride = 1, offset = 0, n?: number): void {
  const want = reference(array, stride, offset, n ?? Math.ceil((array.length - offset) / stride));
  assert.deepEqual(Array.from(argsortDescending(array, stride, offset, n)), want);
  const at = (r: number) => array[offset + want[r]! * stride];
  const runEnd = want.map((_, r) => (r === want.length - 1 || at(r) !== at(r + 1) ? 1 : 0));
  assert.deepEqual(Array.from(sortDescending(array, stride, offset, n).runEnd), runEnd);
}

describe('argsortDescending', () => {
  for (const [name, Type] of [
    ['float32', Float32Array],
    ['float64', Float64Array],
  ] as const) {
    it(`${name}: the reference order, ties by index`, () => {
      for (const [seed, n] of [
        [1, 0],
        [2, 1],
        [3, 7],
        [4, 1000],
        [5, 20_000],
        [8, 100_000],
      ] as const) {
        check(Type.from(values(seed, n)));
      }
    });

    it(`${name}: a column of a row-major matrix`, () => {
      const matrix = Type.from(values(6, 3 * 5000));
      for (let c = 0; c < 3; c++) check(matrix, 3, c, 5000);
      check(matrix.subarray(3), 3, 1);
    });

    it(`${name}: −0 ties with +0, equal values keep index order`, () => {
      assert.deepEqual(Array.from(argsortDescending(Type.from([0, -0, 0, -0, 1, -1]))), [4, 0, 1, 2, 3, 5]);
      assert.deepEqual(Array.from(argsortDescending(new Type(5).fill(0.25))), [0, 1, 2, 3, 4]);
    });

    it(`${name}: NaN after −∞`, () => {
      const xs = Type.from([Number.NaN, -Infinity, -Number.NaN, Infinity, 0]);
      assert.deepEqual(Array.from(argsortDescending(xs)), [3, 4, 1, 0, 2]);
    });
  }

  it('float64 values that differ only in the low word', () => {
    const base = 0.3;
    const xs = Float64Array.from([base, base + 2 ** -54, base - 2 ** -54, base, -base, -(base + 2 ** -54)]);
    assert.equal(new Set(xs).size, 5);
    check(xs);
  });

  it('probabilities, as a model gives them (16-bit digits from 65,536 values)', () => {
    const r = rng(7);
    const p = Float64Array.from({ length: 3 * 70_000 }, () => Math.round(r.next() * 1000) / 1000);
    for (const xs of [p, Float32Array.from(p)]) for (let c = 0; c < 3; c++) check(xs, 3, c);
  });

  it('sortKeys puts float32 keys in the order argsortDescending puts their values', () => {
    const r = rng(8);
    for (const n of [1000, 70_000]) {
      const xs = Float32Array.from(values(9 + n, n));
      xs[3] = Math.round(r.next() * 4) / 4; // ties are likely anyway; one more for good measure
      const bits = new Uint32Array(xs.buffer);
      const order = argsortDescending(xs);
      const want = Uint32Array.from(order, (i) => float32Key(bits[i]!));
      assert.deepEqual(sortKeys(Uint32Array.from(bits, float32Key)), want);
    }
  });

  it('refuses a column that overruns the array', () => {
    assert.throws(() => argsortDescending(new Float32Array(6), 3, 1, 3), RangeError);
    assert.throws(() => argsortDescending(new Float32Array(6), 0), RangeError);
  });
});
