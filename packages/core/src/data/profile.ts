/**
 * A profile per column: count, nulls, distinct, min, max, and for numbers mean, std and
 * quantiles. Numeric columns are fetched once, sorted, as a typed array; the same array
 * then feeds the drift tests, so a column is sorted once however many things need it.
 */
import { type Description, describeSorted } from '../metrics/statistics/describe.ts';
import { type Engine, ident, type Row } from './engine.ts';

export interface ColumnProfile {
  column: string;
  type: string;
  count: number;
  nulls: number;
  distinct: number;
  min: number | string | null;
  max: number | string | null;
  mean?: number;
  std?: number;
  quantiles?: Record<string, number>;
  top?: { value: string; count: number }[];
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;
export const isNumericType = (duckType: string) => NUMERIC.test(duckType);

export function numericProfile(
  column: string,
  type: string,
  rows: number,
  sorted: Float64Array,
): ColumnProfile {
  const d: Description = describeSorted(sorted);
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    column,
    type,
    count: d.count,
    nulls: rows - d.count,
    distinct: d.distinct,
    min: finite(d.min),
    max: finite(d.max),
    ...(d.count > 0 && { mean: d.mean }),
    ...(d.count > 1 && { std: d.std }),
    ...(d.count > 0 && { quantiles: d.quantiles }),
  };
}

/**
 * Types whose text form (the VARCHAR cast the top values group by) is one-to-one with the value,
 * so the number of groups is the distinct count. Others (lists, structs) are counted as they are.
 */
const TEXT_EXACT = /^(VARCHAR|BOOLEAN|DATE|TIME|TIMESTAMP.*|UUID)$/;

/** Strings, categories, booleans and timestamps: one aggregate for all, plus top values. */
export async function otherProfiles(
  engine: Engine,
  table: string,
  columns: [string, string][],
  rows: number,
): Promise<ColumnProfile[]> {
  if (columns.length === 0) return [];
  // count(DISTINCT) costs a hash table per column, which on thousands of columns took most of a
  // minute; the top values' GROUP BY has the groups already.
  const parts = columns.flatMap(([c, type], i) => {
    const col = ident(c);
    return [
      `count(${col}) AS c${i}`,
      ...(TEXT_EXACT.test(type) ? [] : [`count(DISTINCT ${col}) AS d${i}`]),
      `min(${col})::VARCHAR AS lo${i}`,
      `max(${col})::VARCHAR AS hi${i}`,
    ];
  });
  const agg = await engine.one(`SELECT ${parts.join(', ')} FROM ${ident(table)}`);
  const { tops, distinct } = await topValues(
    engine,
    table,
    columns.map(([c]) => c),
  );
  return columns.map(([c, type], i) => {
    const count = Number(agg[`c${i}`]);
    return {
      column: c,
      type,
      count,
      nulls: rows - count,
      distinct: Number(agg[`d${i}`] ?? distinct.get(i) ?? 0),
      min: (agg[`lo${i}`] as string | null) ?? null,
      max: (agg[`hi${i}`] as string | null) ?? null,
      top: tops.get(i) ?? [],
    };
  });
}

/** Columns per top-values query: one query per column would be quadratic on a wide table. */
const TOP_BATCH = 500;
/**
 * Up to this many columns, each has a query of its own: on a million rows, six columns cost 0.13
 * CPU-s against 0.42 as one UNPIVOT, which copies every cell into (column, value) rows first.
 */
const TOP_EACH = 16;

/**
 * The five most frequent non-null values of each column (ties by value), and how many distinct
 * values it has, keyed by the column's index. Beyond a few columns, UNPIVOT turns a batch of
 * them into (column, value) rows, dropping NULLs, so the whole batch is one GROUP BY.
 */
async function topValues(engine: Engine, table: string, columns: string[]) {
  const tops = new Map<number, { value: string; count: number }[]>();
  const distinct = new Map<number, number>();
  const keep = (rows: Row[], index: (r: Row) => number) => {
    for (const r of rows) {
      const i = index(r);
      const list = tops.get(i) ?? [];
      list.push({ value: String(r.value), count: Number(r.count) });
      tops.set(i, list);
      distinct.set(i, Number(r.groups));
    }
  };
  if (columns.length <= TOP_EACH) {
    for (const [i, c] of columns.entries()) {
      const col = ident(c);
      const rows = await engine.rows(
        `SELECT value, count, count(*) OVER () AS groups
         FROM (SELECT ${col}::VARCHAR AS value, count(*) AS count FROM ${ident(table)} WHERE ${col} IS NOT NULL GROUP BY ALL)
         QUALIFY row_number() OVER (ORDER BY count DESC, value) <= 5
         ORDER BY count DESC, value`,
      );
      keep(rows, () => i);
    }
    return { tops, distinct };
  }
  for (let start = 0; start < columns.length; start += TOP_BATCH) {
    const batch = columns.slice(start, start + TOP_BATCH);
    const select = batch.map((c, j) => `${ident(c)}::VARCHAR AS "${start + j}"`).join(', ');
    const rows = await engine.rows(
      `SELECT col::INTEGER AS col, value, count(*) AS count, count(*) OVER (PARTITION BY col) AS groups
       FROM (UNPIVOT (SELECT ${select} FROM ${ident(table)}) ON COLUMNS(*) INTO NAME col VALUE value)
       GROUP BY col, value
       QUALIFY row_number() OVER (PARTITION BY col ORDER BY count(*) DESC, value) <= 5
       ORDER BY col, count DESC, value`,
    );
    keep(rows, (r) => Number(r.col));
  }
  return { tops, distinct };
}

/** Frequencies of a categorical column, for chi-square and Jensen–Shannon. */
export async function categoryCounts(
  engine: Engine,
  table: string,
  column: string,
): Promise<Map<string, number>> {
  const col = ident(column);
  const rows = await engine.rows(
    `SELECT ${col}::VARCHAR AS v, count(*) AS n FROM ${ident(table)} WHERE ${col} IS NOT NULL GROUP BY ALL`,
  );
  return new Map(rows.map((r) => [String(r.v), Number(r.n)]));
}
