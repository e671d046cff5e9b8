import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binCounts, quantileEdges } from './describe.ts';
import { selectRanks } from './select.ts';

/** A seeded LCG, so a failure reproduces. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const same = (a: number, b: number) => (Number.isNaN(b) ? Number.isNaN(a) : Object.is(a, b));

/** Every rank asked for holds what the sorted order has there; edges and bin counts agree. */
function check(values: Float64Array, ranks: number[], bins = 10) {
  const sorted = Float64Array.from(values).sort();
  const selected = selectRanks(Float64Array.from(values), ranks);
  for (const r of ranks) {
    if (r < values.length && !same(selected[r]!, sorted[r]!)) {
      assert.fail(`rank ${r}: ${selected[r]} where the sorted order has ${sorted[r]}`);
    }
  }
  // Every value is still there.
  assert.deepEqual(Float64Array.from(selected).sort(), sorted);
  const edges = quantileEdges(sorted, bins);
  assert.deepEqual(binCounts(values, edges), binCounts(sorted, edges));
}

const deciles = (n: number) =>
  Array.from({ length: 9 }, (_, i) => Math.floor((n - 1) * ((i + 1) / 10))).flatMap((r) => [r, r + 1]);

describe('selectRanks places ranks as a sort would', () => {
  it('a million rounded values with many ties', () => {
    const r = random(1);
    const values = Float64Array.from({ length: 1_000_000 }, () => Math.round((r() + r() + r()) * 1e2) / 10);
    check(values, deciles(values.length));
  });

  it('signed zeros, infinities and NaNs among ordinary values', () => {
    const r = random(2);
    const special = [0, -0, Infinity, -Infinity, Number.NaN];
    for (const every of [2, 3, 10, 1000]) {
      const values = Float64Array.from({ length: 20_000 }, (_, i) =>
        i % every === 0 ? special[(i / every) % special.length]! : Math.round((r() - 0.5) * 20),
      );
      check(values, deciles(values.length));
      check(values, [0, 1, values.length - 2, values.length - 1], 4);
    }
  });

  it('sorted, reversed, constant and tiny inputs', () => {
    const n = 10_000;
    check(
      Float64Array.from({ length: n }, (_, i) => i),
      deciles(n),
    );
    check(
      Float64Array.from({ length: n }, (_, i) => n - i),
      deciles(n),
    );
    check(new Float64Array(n).fill(3), deciles(n));
    check(Float64Array.of(Number.NaN, Number.NaN), [0, 1]);
    check(Float64Array.of(2, 1), [0, 1]);
    check(Float64Array.of(5), [0]);
  });
});
