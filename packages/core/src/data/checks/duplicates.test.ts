import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalPlatform } from '../../platform/local.ts';
import type { Contract } from '../contract/model.ts';
import { Engine } from '../engine.ts';
import type { LoadedTable } from '../load.ts';
import { duplicateChecks } from './dataset.ts';

const where = { file: 'c.yml', line: 1, column: 1 };
const contract = { maxDuplicateRows: { value: 0, severity: 'error', where } } as unknown as Contract;

async function duplicates(engine: Engine, table: string): Promise<number> {
  const described = await engine.rows(`DESCRIBE ${table}`);
  const loaded = {
    table,
    columns: new Map(described.map((r) => [String(r.column_name), String(r.column_type)])),
  } as unknown as LoadedTable;
  const [check] = await duplicateChecks(engine, loaded, contract);
  return Number(check?.observed);
}

/** What SELECT DISTINCT * says: rows minus distinct rows. */
async function distinct(engine: Engine, table: string): Promise<number> {
  const r = await engine.one(
    `SELECT (SELECT count(*) FROM ${table}) - (SELECT count(*) FROM (SELECT DISTINCT * FROM ${table})) AS n`,
  );
  return Number(r.n);
}

describe('duplicate rows', () => {
  it('counts as SELECT DISTINCT * does: NULLs equal, −0 = +0, every NaN equal, nested values', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    await engine.run(
      `CREATE TABLE d AS SELECT * FROM (VALUES
         (0.0::DOUBLE, 'a', [1, 2], NULL::INTEGER),
         ((-0.0)::DOUBLE, 'a', [1, 2], NULL),
         ('NaN'::DOUBLE, NULL, NULL, 1),
         (-('NaN'::DOUBLE), NULL, NULL, 1),
         (1.0, 'a', [2, 1], NULL),
         (1.0, 'a', [2, 1], 2),
         (1.0, NULL, [2, 1], NULL),
         (0.0, 'a', [1, 2], NULL)
       ) t(x, s, l, i)`,
    );
    assert.equal(await distinct(engine, 'd'), 3);
    assert.equal(await duplicates(engine, 'd'), 3);
  });

  it('finds none in distinct rows and every copy in a repeated table', async (t) => {
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    await engine.run(`CREATE TABLE u AS SELECT range AS a, range % 7 AS b FROM range(50000)`);
    await engine.run(`CREATE TABLE r AS SELECT * FROM u UNION ALL SELECT * FROM u WHERE a % 3 = 0`);
    assert.equal(await duplicates(engine, 'u'), 0);
    assert.equal(await duplicates(engine, 'r'), await distinct(engine, 'r'));
    assert.equal(await duplicates(engine, 'r'), 16667);
  });
});
