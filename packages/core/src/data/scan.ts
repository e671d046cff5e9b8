/**
 * Streams chosen columns of a dataset straight from its files, chunk by chunk, as typed arrays:
 * evaluation reads each row once and keeps nothing of it after the batch is scored. Numeric
 * columns arrive with NULL already turned into NaN by DuckDB, so no per-value objects are made.
 */
import { ConfigurationError, DataError } from '../errors.ts';
import { fixedCsv } from './csv-dialect.ts';
import { type Engine, ident } from './engine.ts';
import { displayName, readSql, type Source } from './sources.ts';

export type NumericKind = 'FLOAT' | 'DOUBLE' | 'BIGINT' | 'INTEGER';

export type ScanColumn =
  /** `optional`: its NULL/NaN does not mark the row missing (the caller looks at it itself). */
  | { kind: 'numeric'; name: string; as: NumericKind; optional?: boolean }
  /** Read as text (labels, slices): small cardinality, turned into codes by the caller. */
  | { kind: 'text'; name: string };

export interface Chunk {
  rows: number;
  /** Per scan column: a typed array (numeric) or the values as strings (text; null stays null). */
  columns: (Float32Array | Float64Array | BigInt64Array | Int32Array | (string | null)[])[];
  /** 1 where a numeric, non-optional column of this row was NULL or NaN. */
  missing: Int32Array;
}

/**
 * Column name → DuckDB type, in file order, and the source to read from here on: a CSV's dialect
 * and types sniffed once and fixed (csv-dialect.ts), so the scan does not detect them again. A
 * file with no rows whose types are all text (how a CSV of just a header is sniffed) fails here,
 * or every later error would be about the wrong thing; one with typed columns and no rows is
 * refused by its reader for having no rows. Only then is a row looked for.
 */
export async function describeColumns(
  engine: Engine,
  source: Source,
): Promise<{ columns: Map<string, string>; source: Source }> {
  let rows: Awaited<ReturnType<Engine['rows']>>;
  let first: Awaited<ReturnType<Engine['rows']>> | undefined;
  let fixed: Source;
  try {
    fixed = await fixedCsv(engine, source);
    rows = await engine.rows(`DESCRIBE SELECT * FROM ${readSql(fixed)}`);
    if (rows.every((r) => r.column_type === 'VARCHAR')) {
      first = await engine.rows(`SELECT 1 FROM ${readSql(fixed)} LIMIT 1`);
    }
  } catch (e) {
    throw unreadable(source, e);
  }
  if (first?.length === 0) {
    throw new DataError(`'${displayName(source)}' has no rows to evaluate`, {
      fix: 'Point data at a file with rows, or check the glob.',
    });
  }
  return { columns: new Map(rows.map((r) => [String(r.column_name), String(r.column_type)])), source: fixed };
}

function unreadable(source: Source, e: unknown): ConfigurationError {
  if (e instanceof ConfigurationError) return e; // already the user's to fix (out of memory)
  const detail = (e as Error).message.split('\n').find((l) => l.trim()) ?? String(e);
  return new DataError(`could not read '${displayName(source)}': ${detail}`, {
    fix: 'Run validate-data on the file to find the rows that do not parse.',
  });
}

type Numeric = ScanColumn & { kind: 'numeric' };

const nanFree = (c: Numeric) =>
  c.as === 'FLOAT' || c.as === 'DOUBLE'
    ? `coalesce(CAST(${ident(c.name)} AS ${c.as}), 'NaN'::${c.as})`
    : `coalesce(TRY_CAST(${ident(c.name)} AS ${c.as}), 0)`;

const missingTerm = (c: Numeric) => `${ident(c.name)} IS NULL OR isnan(CAST(${ident(c.name)} AS DOUBLE))`;

/** Yields the chunks of a scan; the next chunk is being read while the caller works on this one. */
export async function* scan(
  engine: Engine,
  source: Source,
  columns: readonly ScanColumn[],
): AsyncGenerator<Chunk> {
  const numeric = columns.filter((c): c is Numeric => c.kind === 'numeric' && !c.optional);
  const select = columns.map((c) =>
    c.kind === 'numeric' ? nanFree(c) : `CAST(${ident(c.name)} AS VARCHAR)`,
  );
  const missing = numeric.length ? `CAST(${numeric.map(missingTerm).join(' OR ')} AS INTEGER)` : '0';
  const sql = `SELECT ${[...select, `${missing} AS __missing`].join(', ')} FROM ${readSql(source)}`;
  let result: Awaited<ReturnType<Engine['stream']>>;
  try {
    result = await engine.stream(sql);
  } catch (e) {
    throw unreadable(source, e);
  }
  let pending = result.fetchChunk();
  for (;;) {
    let chunk: Awaited<typeof pending>;
    try {
      chunk = await pending;
    } catch (e) {
      throw unreadable(source, e);
    }
    if (!chunk || chunk.rowCount === 0) return;
    pending = result.fetchChunk();
    pending.catch(() => {}); // surfaced on the next await; never an unhandled rejection meanwhile
    const rows = chunk.rowCount;
    const out: Chunk['columns'] = columns.map((c, i) => {
      const vector = chunk.getColumnVector(i);
      if (c.kind === 'numeric') return (vector as unknown as { items: Chunk['columns'][number] }).items;
      const values: (string | null)[] = new Array(rows);
      for (let r = 0; r < rows; r++) values[r] = vector.getItem(r) as string | null;
      return values;
    });
    const flags = (chunk.getColumnVector(columns.length) as unknown as { items: Int32Array }).items;
    yield { rows, columns: out, missing: flags };
  }
}

/** Mean and sample standard deviation of numeric columns, NULL and NaN left out: one pass. */
export async function moments(
  engine: Engine,
  source: Source,
  columns: readonly string[],
): Promise<{ mean: Float64Array; std: Float64Array }> {
  const clean = (c: string) => `CAST(${ident(c)} AS DOUBLE)`;
  const terms = columns.flatMap((c, i) => [
    `avg(${clean(c)}) FILTER (WHERE NOT isnan(${clean(c)})) AS m${i}`,
    `stddev_samp(${clean(c)}) FILTER (WHERE NOT isnan(${clean(c)})) AS s${i}`,
  ]);
  let row: Record<string, unknown>;
  try {
    row = await engine.one(`SELECT ${terms.join(', ')} FROM ${readSql(source)}`);
  } catch (e) {
    throw unreadable(source, e);
  }
  return {
    mean: Float64Array.from(columns, (_, i) => Number(row[`m${i}`] ?? 0)),
    std: Float64Array.from(columns, (_, i) => Number(row[`s${i}`] ?? 0)),
  };
}
