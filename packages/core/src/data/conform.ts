/**
 * Parquet and JSON carry their own types; a column the contract declares differently is cast
 * here, and the values that do not convert are counted as type failures (CSV rows with such
 * values were already set aside by the reader, with their line numbers).
 */
import type { ColumnContract } from './contract/model.ts';
import { DUCKDB_TYPE } from './contract/model.ts';
import { type Engine, ident } from './engine.ts';
import type { LoadedTable } from './load.ts';

export interface TypeFailures {
  count: number;
  examples: string[];
}

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const NUMBER = /^(FLOAT|DOUBLE|DECIMAL.*)$/;

function compatible(declared: string, actual: string): boolean {
  if (declared === 'BIGINT') return INTEGER.test(actual);
  if (declared === 'DOUBLE') return INTEGER.test(actual) || NUMBER.test(actual);
  if (declared === 'TIMESTAMP') return actual.startsWith('TIMESTAMP') || actual === 'DATE';
  return declared === actual;
}

export async function conformTypes(
  engine: Engine,
  loaded: LoadedTable,
  columns: ColumnContract[],
): Promise<Map<string, TypeFailures>> {
  const failures = new Map<string, TypeFailures>();
  const casts: string[] = [];
  for (const c of columns) {
    const actual = loaded.columns.get(c.name);
    const target = DUCKDB_TYPE[c.type];
    if (!actual || actual === target) continue;
    if (loaded.source.format !== 'csv' || !compatible(target, actual)) {
      const col = ident(c.name);
      const bad =
        target === 'BIGINT' && NUMBER.test(actual)
          ? `${col} IS NOT NULL AND (TRY_CAST(${col} AS BIGINT) IS NULL OR ${col} <> trunc(${col}))`
          : `${col} IS NOT NULL AND TRY_CAST(${col} AS ${target}) IS NULL`;
      const r = await engine.one(
        `SELECT count(*) FILTER (WHERE ${bad}) AS n, list(DISTINCT ${col}::VARCHAR) FILTER (WHERE ${bad})[1:3] AS ex FROM ${ident(loaded.table)}`,
      );
      const n = Number(r.n);
      if (n > 0) failures.set(c.name, { count: n, examples: (r.ex as string[] | null) ?? [] });
      casts.push(`TRY_CAST(${col} AS ${target}) AS ${col}`);
    }
  }
  if (casts.length) {
    const t = ident(loaded.table);
    await engine.run(`CREATE OR REPLACE TABLE ${t} AS SELECT * REPLACE (${casts.join(', ')}) FROM ${t}`);
    for (const c of columns) if (loaded.columns.has(c.name)) loaded.columns.set(c.name, DUCKDB_TYPE[c.type]);
  }
  return failures;
}
