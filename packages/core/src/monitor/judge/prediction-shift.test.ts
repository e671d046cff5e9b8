import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scipy } from '../../../../../test/support/scipy.ts';
import { predictionShift } from './prediction-shift.ts';

const TOL = 1e-9;

// Counts as Prometheus' increase() gives them: fractional, classes missing on one side.
const cases: { name: string; canary: Record<string, number>; stable: Record<string, number> }[] = [
  { name: 'same mix', canary: { '0': 480, '1': 320, '2': 200 }, stable: { '0': 950, '1': 660, '2': 390 } },
  { name: 'shifted mix', canary: { '0': 200, '1': 600, '2': 200 }, stable: { '0': 950, '1': 660, '2': 390 } },
  { name: 'two classes (Yates)', canary: { cat: 40, dog: 60 }, stable: { cat: 55.5, dog: 44.5 } },
  { name: 'a class only the canary predicts', canary: { a: 10, b: 12, c: 30 }, stable: { a: 11, b: 13 } },
  {
    name: 'ten classes, fractional',
    canary: Object.fromEntries([...Array(10)].map((_, i) => [String(i), 10 + i * 3.25])),
    stable: Object.fromEntries([...Array(10)].map((_, i) => [String(i), 40 - i * 2.5])),
  },
];

describe('prediction shift agrees with scipy chi2_contingency and jensenshannon', () => {
  const tables = cases.map(({ canary, stable }) => {
    const shift = predictionShift(canary, stable);
    return [shift.canary, shift.stable];
  });
  const expected = scipy(
    tables.flatMap(([c, s]) => [
      { fn: 'chi2_contingency', args: [[c, s]] },
      { fn: 'jensenshannon', args: [c, s] },
    ]),
  );
  cases.forEach((c, i) => {
    it(c.name, () => {
      const got = predictionShift(c.canary, c.stable);
      const [chi, p] = expected[2 * i] as [number, number];
      const js = expected[2 * i + 1] as number;
      assert.ok(Math.abs(got.chiSquare - chi) <= TOL * Math.max(1, chi), `chi2 ${got.chiSquare} vs ${chi}`);
      assert.ok(Math.abs(got.pValue - p) <= 1e-6, `p ${got.pValue} vs ${p}`);
      assert.ok(Math.abs(got.jensenShannon - js) <= TOL, `js ${got.jensenShannon} vs ${js}`);
      assert.equal(got.df, got.classes.length - 1);
    });
  });

  it('orders classes naturally and counts a class missing on one side as 0', () => {
    const got = predictionShift({ '10': 1, '2': 3 }, { '2': 4, '1': 5 });
    assert.deepEqual(got.classes, ['1', '2', '10']);
    assert.deepEqual(got.canary, [0, 3, 1]);
    assert.deepEqual(got.stable, [5, 4, 0]);
  });

  it('gives no evidence, never NaN, for an empty side, one class, or no data', () => {
    const none = { chiSquare: 0, df: 0, pValue: 1, jensenShannon: 0 };
    const pick = ({ chiSquare, df, pValue, jensenShannon }: ReturnType<typeof predictionShift>) => ({
      chiSquare,
      df,
      pValue,
      jensenShannon,
    });
    assert.deepEqual(pick(predictionShift({}, { a: 5, b: 3 })), none);
    assert.deepEqual(pick(predictionShift({ a: 0, b: 0 }, { a: 5, b: 3 })), none);
    assert.deepEqual(pick(predictionShift({ a: 7 }, { a: 5 })), none);
    assert.deepEqual(pick(predictionShift({}, {})), none);
    assert.deepEqual(predictionShift({ a: 0, b: 4 }, { a: 0, b: 2 }).classes, ['b']);
  });

  it('refuses a negative or non-finite count', () => {
    assert.throws(() => predictionShift({ a: -1 }, { a: 2 }), /canary count for class "a" is -1/);
    assert.throws(() => predictionShift({ a: 1 }, { a: Number.NaN }), /stable count for class "a" is NaN/);
  });
});
