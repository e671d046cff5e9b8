import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalPlatform } from '../platform/local.ts';
import { Engine } from './engine.ts';
import { otherProfiles } from './profile.ts';
import { SortedColumns } from './sorted-columns.ts';

/** What DuckDB itself gives: the column's non-null values in `ORDER BY` order. */
const orderBy = async (engine: Engine, table: string, column: string) => {
  const [values] = await engine.lists(
    `SELECT list("${column}"::DOUBLE ORDER BY "${column}"::DOUBLE) FILTER (WHERE "${column}" IS NOT NULL) FROM ${table}`,
  );
  return values!;
};

describe('SortedColumns', () => {
  it('fetches a wide table in batches with the same values and order as ORDER BY', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    const width = 150;
    // NULLs, NaN, infinities, -0 and ties, so the JavaScript sort must agree with ORDER BY on each.
    const cols = Array.from({ length: width }, (_, j) =>
      j % 7 === 0
        ? `CASE WHEN range % 5 = 0 THEN NULL WHEN range % 11 = 0 THEN 'NaN'::DOUBLE WHEN range = 3 THEN '-inf'::DOUBLE ELSE (range * ${j + 3}) % 17 END AS "c ${j}"`
        : `((range * ${j + 1}) % 13)::INTEGER AS "c ${j}"`,
    );
    await engine.run(`CREATE TABLE t AS SELECT ${cols.join(', ')} FROM range(300)`);
    const names = Array.from({ length: width }, (_, j) => `c ${j}`);
    const reader = await engine.fork();
    t.after(() => reader.close());
    const batched = new SortedColumns(reader, 't', 300, names);
    for (const name of names) {
      const one = await orderBy(engine, 't', name);
      const many = await batched.get(name);
      assert.deepEqual([...many].map(String), [...one].map(String), name);
    }
  });

  it('sorts long columns with NULLs, NaN, ties and no values at all as ORDER BY does', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    // 4 columns of 1.5M cells: each read as one list (d has no values at all), long enough for the radix sort.
    await engine.run(
      `CREATE TABLE l AS SELECT
         CASE WHEN range % 3 = 0 THEN NULL WHEN range % 1001 = 0 THEN 'NaN'::DOUBLE ELSE ((range * 7919) % 100003) / 7.0 - 5000 END AS a,
         (range % 13)::INTEGER - 6 AS b,
         CASE WHEN range % 2 = 0 THEN -0.0 ELSE hash(range) % 1000 / 3.0 END AS c,
         NULL::DOUBLE AS d
       FROM range(1500000)`,
    );
    const names = ['a', 'b', 'c', 'd'];
    // Its own connection: a query on the one SortedColumns reads from would end its stream.
    const reader = await engine.fork();
    t.after(() => reader.close());
    const batched = new SortedColumns(reader, 'l', 1_500_000, names);
    for (const name of names) {
      const want = await orderBy(engine, 'l', name);
      const got = await batched.get(name);
      assert.equal(got.length, want.length, name);
      if (name === 'd') assert.equal(got.length, 0);
      for (let i = 0; i < want.length; i++) {
        if (!(got[i] === want[i] || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!))))
          assert.fail(`${name}[${i}]: ${got[i]} vs ${want[i]}`);
      }
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
    assert.equal(a?.distinct, 7);
    assert.equal(b?.distinct, 1);
  });

  it('gives the same profiles from a query per column as from one per batch', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    // More columns than get a query each: NULLs, ties, an all-NULL column, booleans, lists.
    const cols = Array.from({ length: 20 }, (_, j) =>
      j === 0
        ? `NULL::VARCHAR AS "c${j}"`
        : j === 1
          ? `range % 3 = 0 AS "c${j}"`
          : j === 2
            ? `[range % 2, range % 3] AS "c${j}"`
            : `CASE WHEN range % ${j} = 0 THEN NULL ELSE chr(97 + ((range * ${j}) % ${j + 3})::INTEGER) END AS "c${j}"`,
    );
    await engine.run(`CREATE TABLE w AS SELECT ${cols.join(', ')} FROM range(1000)`);
    const columns = (await engine.rows('DESCRIBE w')).map(
      (r) => [String(r.column_name), String(r.column_type)] as [string, string],
    );
    const batched = await otherProfiles(engine, 'w', columns, 1000);
    for (const [i, column] of columns.entries()) {
      const [each] = await otherProfiles(engine, 'w', [column], 1000);
      assert.deepEqual(each, batched[i], column[0]);
    }
    assert.equal(batched[0]?.distinct, 0);
    assert.deepEqual(batched[0]?.top, []);
  });

  it('counts distinct values as count(DISTINCT) does, whatever the type', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    // Lists whose text forms collide (['a, b'] and ['a', 'b'] both print as [a, b]) are counted as values.
    await engine.run(
      `CREATE TABLE k AS SELECT
         CASE WHEN range % 4 = 0 THEN NULL ELSE range % 9 = 0 END AS flag,
         TIMESTAMP '2024-01-01' + INTERVAL (range % 13) HOUR AS at,
         CASE WHEN range % 2 = 0 THEN ['a, b'] ELSE ['a', 'b'] END AS l,
         CASE WHEN range % 5 = 0 THEN NULL ELSE 'v' || (range % 11) END AS s
       FROM range(200)`,
    );
    const types = await engine.rows('DESCRIBE k');
    const columns = types.map((r) => [String(r.column_name), String(r.column_type)] as [string, string]);
    const profiles = await otherProfiles(engine, 'k', columns, 200);
    for (const [i, [name]] of columns.entries()) {
      const want = await engine.one(`SELECT count(DISTINCT "${name}") AS n FROM k`);
      assert.equal(profiles[i]?.distinct, Number(want.n), name);
    }
    assert.equal(profiles[2]?.distinct, 2);
  });
});
