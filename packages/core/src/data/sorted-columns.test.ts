import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalPlatform } from '../platform/local.ts';
import { Engine } from './engine.ts';
import { otherProfiles } from './profile.ts';
import { SortedColumns, sortedValues, WIDE } from './sorted-columns.ts';

describe('SortedColumns', () => {
  it('fetches a wide table in batches with the same values and order as a query per column', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    const width = WIDE + 50;
    // NULLs, NaN, infinities, -0 and ties, so the JavaScript sort must agree with ORDER BY on each.
    const cols = Array.from({ length: width }, (_, j) =>
      j % 7 === 0
        ? `CASE WHEN range % 5 = 0 THEN NULL WHEN range % 11 = 0 THEN 'NaN'::DOUBLE WHEN range = 3 THEN '-inf'::DOUBLE ELSE (range * ${j + 3}) % 17 END AS "c ${j}"`
        : `((range * ${j + 1}) % 13)::INTEGER AS "c ${j}"`,
    );
    await engine.run(`CREATE TABLE t AS SELECT ${cols.join(', ')} FROM range(300)`);
    const names = Array.from({ length: width }, (_, j) => `c ${j}`);
    const batched = new SortedColumns(engine, 't', 300, names);
    for (const name of names) {
      const one = await sortedValues(engine, 't', name, 300);
      const many = await batched.get(name);
      assert.deepEqual([...many].map(String), [...one].map(String), name);
    }
  });

  it('gives top values per column in one query per batch, ties by value', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    await engine.run(
      `CREATE TABLE s AS SELECT chr(97 + (range % 7)::INTEGER) AS a, CASE WHEN range % 2 = 0 THEN NULL ELSE 'x' END AS "b""q" FROM range(100)`,
    );
    const [a, b] = await otherProfiles(
      engine,
      's',
      [
        ['a', 'VARCHAR'],
        ['b"q', 'VARCHAR'],
      ],
      100,
    );
    assert.deepEqual(a?.top, [
      { value: 'a', count: 15 },
      { value: 'b', count: 15 },
      { value: 'c', count: 14 },
      { value: 'd', count: 14 },
      { value: 'e', count: 14 },
    ]);
    assert.deepEqual(b?.top, [{ value: 'x', count: 50 }]);
    assert.equal(b?.nulls, 50);
  });
});
