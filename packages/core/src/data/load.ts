/**
 * Loads a dataset into a DuckDB table once, so every check and test afterwards reads
 * columnar memory instead of parsing the file again. Rows that cannot be parsed (ragged
 * rows, invalid UTF-8, a value that is not of its column's declared type) are set aside with
 * their file and line, never a crash: they become a failed check.
 */

import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { ConfigurationError } from '../errors.ts';
import { sniffCsv } from './csv-dialect.ts';
import { type Engine, ident, literal } from './engine.ts';
import { readSql, type Source } from './sources.ts';

export interface ParseProblem {
  file: string;
  line?: number;
  column?: string;
  kind: string;
  message: string;
  text?: string;
}

export interface LoadedTable {
  table: string;
  source: Source;
  rows: number;
  /** Column name → DuckDB type, in file order. */
  columns: Map<string, string>;
  problems: ParseProblem[];
  /** Rows set aside (each problem row counted once). */
  rejectedRows: number;
  /** Zero-byte files, or files with no header at all. */
  empty: boolean;
}

const rel = (f: string) => relative(process.cwd(), f) || f;

export async function loadTable(
  engine: Engine,
  source: Source,
  table: string,
  declared: Map<string, string>,
): Promise<LoadedTable> {
  const sizes = await Promise.all(source.files.map((f) => stat(f).then((s) => s.size)));
  const loaded: LoadedTable = {
    table,
    source,
    rows: 0,
    columns: new Map(),
    problems: [],
    rejectedRows: 0,
    empty: sizes.every((s) => s === 0),
  };
  if (loaded.empty) {
    await engine.run(`CREATE OR REPLACE TABLE ${ident(table)} AS SELECT NULL AS __empty WHERE false`);
    return loaded;
  }
  const read =
    source.format === 'csv' ? await readCsv(engine, source, table, declared, loaded) : readSql(source);
  try {
    await engine.run(`CREATE OR REPLACE TABLE ${ident(table)} AS SELECT * FROM ${read}`);
  } catch (e) {
    if (e instanceof ConfigurationError) throw e; // out of memory: a limit to raise, not a verdict
    // A file DuckDB cannot read at all (malformed JSON, a corrupt Parquet footer) is a
    // verdict on the data: say where, load nothing, and let the parse check fail.
    loaded.problems.push({ file: source.spec, kind: 'UNREADABLE', message: firstLine((e as Error).message) });
    await engine.run(`CREATE OR REPLACE TABLE ${ident(table)} AS SELECT NULL AS __empty WHERE false`);
    return loaded;
  }
  if (source.format === 'csv') await collectRejects(engine, table, loaded);
  // In file order: DESCRIBE's rows come in any order past 2,048 columns (its result is a query
  // whose chunks need not keep their order), which shuffled the report of a wide file.
  const described = await engine.rows(
    `SELECT column_name, data_type FROM duckdb_columns()
     WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = ${literal(table)}
     ORDER BY column_index`,
  );
  loaded.columns = new Map(described.map((r) => [String(r.column_name), String(r.data_type)]));
  if (sizes.length === 1 && loaded.columns.size === 1 && loaded.columns.has('column0')) loaded.empty = true;
  loaded.rows = Number((await engine.one(`SELECT count(*) AS n FROM ${ident(table)}`)).n);
  return loaded;
}

async function readCsv(
  engine: Engine,
  source: Source,
  table: string,
  declared: Map<string, string>,
  loaded: LoadedTable,
): Promise<string> {
  // Sniff the header and dialect first (tolerating bad rows), so declared types are only set on
  // columns the file really has; a declared column that is missing is a check, not a read error.
  let sniffed: Sniffed = { header: [], dialect: [] };
  try {
    sniffed = await sniff(engine, source);
  } catch (e) {
    if (e instanceof ConfigurationError) throw e;
    loaded.problems.push({ file: source.spec, kind: 'UNREADABLE', message: firstLine((e as Error).message) });
  }
  const types = sniffed.header
    .filter((c) => declared.has(c))
    .map((c) => `${literal(c)}: ${literal(declared.get(c)!)}`);
  const options = [
    ...sniffed.dialect,
    ...(types.length ? [`types = {${types.join(', ')}}`] : []),
    `store_rejects = true, rejects_table = ${literal(`${table}__rejects`)}, rejects_scan = ${literal(`${table}__scans`)}`,
  ];
  return readSql(source, options.join(', '));
}

interface Sniffed {
  header: string[];
  /** read_csv options that fix the dialect the sniffer found. */
  dialect: string[];
}

/**
 * The file's header and dialect, as read_csv would detect them. The dialect is then given to the
 * load, so DuckDB does not detect it a second time: on a file of 10,000 columns, detecting the
 * dialect took most of ten seconds, and the load's own types only need the sample it reads. The
 * header comes from a DESCRIBE under that dialect: sniff_csv's own list of columns costs as much
 * again as the dialect on a wide file.
 */
async function sniff(engine: Engine, source: Source): Promise<Sniffed> {
  const { dialect } = await sniffCsv(engine, source, { extra: 'ignore_errors = true' });
  const described = await engine.rows(
    `DESCRIBE SELECT * FROM ${readSql(source, [...dialect, 'ignore_errors = true'].join(', '))}`,
  );
  return { header: described.map((r) => String(r.column_name)), dialect };
}

async function collectRejects(engine: Engine, table: string, loaded: LoadedTable) {
  const rejects = ident(`${table}__rejects`);
  const scans = ident(`${table}__scans`);
  const rows = await engine.rows(
    `SELECT s.file_path AS file, r.line, r.column_name, r.error_type, r.csv_line, r.error_message
     FROM ${rejects} r JOIN ${scans} s USING (scan_id, file_id) ORDER BY s.file_path, r.line`,
  );
  loaded.rejectedRows = new Set(rows.map((r) => `${r.file}:${r.line}`)).size;
  loaded.problems.push(
    ...rows.map((r) => ({
      file: rel(String(r.file)),
      line: Number(r.line),
      ...(r.error_type === 'CAST' && r.column_name != null && { column: String(r.column_name) }),
      kind: String(r.error_type),
      message: firstLine(String(r.error_message)),
      text: String(r.csv_line ?? ''),
    })),
  );
}

const firstLine = (s: string) =>
  s
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? s;
