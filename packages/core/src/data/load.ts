/**
 * Loads a dataset into a DuckDB table once, so every check and test afterwards reads
 * columnar memory instead of parsing the file again. Rows that cannot be parsed (ragged
 * rows, invalid UTF-8, a value that is not of its column's declared type) are set aside with
 * their file and line, never a crash: they become a failed check.
 */

import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { ConfigurationError } from '../errors.ts';
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
  const described = await engine.rows(`DESCRIBE ${ident(table)}`);
  loaded.columns = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
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
  // Sniff the header first (tolerating bad rows), so declared types are only set on columns
  // the file really has; a declared column that is missing is a check, not a read error.
  let header: string[] = [];
  try {
    const d = await engine.rows(`DESCRIBE SELECT * FROM ${readSql(source, 'ignore_errors = true')}`);
    header = d.map((r) => String(r.column_name));
  } catch (e) {
    if (e instanceof ConfigurationError) throw e;
    loaded.problems.push({ file: source.spec, kind: 'UNREADABLE', message: firstLine((e as Error).message) });
  }
  const types = header
    .filter((c) => declared.has(c))
    .map((c) => `${literal(c)}: ${literal(declared.get(c)!)}`);
  const typed = types.length ? `types = {${types.join(', ')}}, ` : '';
  return readSql(
    source,
    `${typed}store_rejects = true, rejects_table = ${literal(`${table}__rejects`)}, rejects_scan = ${literal(`${table}__scans`)}`,
  );
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
