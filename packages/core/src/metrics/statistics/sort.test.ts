import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortAscending } from './sort.ts';

/** Both orders element by element: the same number (−0 and +0 told apart), or both NaN. */
function assertSameOrder(got: Float64Array, want: Float64Array) {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Number.isNaN(want[i]!) ? Number.isNaN(got[i]!) : Object.is(got[i], want[i]);
    if (!ok) assert.fail(`at ${i}: ${got[i]} where the native sort has ${want[i]}`);
  }
}

function check(values: Float64Array) {
  const want = Float64Array.from(values).sort();
  const got = sortAscending(Float64Array.from(values));
  assertSameOrder(got, want);
}

/** A seeded LCG, so a failure reproduces. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('sortAscending orders as Float64Array.prototype.sort does', () => {
  it('a million rounded values with many ties', () => {
    const r = random(1);
    check(Float64Array.from({ length: 1_000_000 }, () => Math.round((r() + r() + r()) * 1e4) / 100 - 50));
  });

  it('signed zeros, infinities, subnormals and NaNs of either sign among ordinary values', () => {
    const r = random(2);
    const special = [0, -0, Infinity, -Infinity, Number.NaN, -Number.NaN, 5e-324, -5e-324, Number.MAX_VALUE];
    const values = Float64Array.from({ length: 100_000 }, (_, i) =>
      i % 10 === 0 ? special[(i / 10) % special.length]! : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20),
    );
    // A NaN with its sign bit set, which a naive key would put first.
    new Uint32Array(values.buffer)[3] = 0xfff80001;
    check(values);
  });

  it('one repeated value, where every pass is skipped', () => check(new Float64Array(10_000).fill(3.25)));

  it('small arrays and the empty one', () => {
    const r = random(3);
    for (const n of [0, 1, 2, 17, 4095, 4096, 4097]) check(Float64Array.from({ length: n }, () => r() - 0.5));
  });

  it('sorts in place and returns the same array', () => {
    const a = Float64Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    assert.equal(sortAscending(a), a);
    assert.deepEqual([...a.subarray(0, 3)], [0, 1, 2]);
  });

  it('sorts a view into a larger buffer, leaving the rest alone', () => {
    const r = random(4);
    const whole = Float64Array.from({ length: 10_000 }, () => r());
    const before = Float64Array.from(whole);
    const view = whole.subarray(1001, 9001);
    check(Float64Array.from(view));
    sortAscending(view);
    assertSameOrder(whole.subarray(0, 1001), before.subarray(0, 1001));
    assertSameOrder(whole.subarray(9001), before.subarray(9001));
    assertSameOrder(view, Float64Array.from(before.subarray(1001, 9001)).sort());
  });
});
