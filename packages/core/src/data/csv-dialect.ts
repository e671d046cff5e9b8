/**
 * What DuckDB's CSV sniffer finds in a file, as read_csv options that fix it, so that later reads
 * of the same source do not detect it again: detection reads a sample of the file each time
 * (a third of a second on 143 MB), and on a file of 10,000 columns it took most of ten seconds.
 */
import { type Engine, literal } from './engine.ts';
import { csvOptions, type Source } from './sources.ts';

export interface CsvDialect {
  /** read_csv options that fix the dialect: delimiter (where the extension names none), quote, escape, … */
  dialect: string[];
  /** The columns and their detected types, when asked for (costs as much again on a wide file). */
  columns?: { name: string; type: string }[];
}

/** Sniffs the first file of a CSV source; `extra` are sniff_csv options (ignore_errors). */
export async function sniffCsv(
  engine: Engine,
  source: Source,
  { columns = false, extra = '' }: { columns?: boolean; extra?: string } = {},
): Promise<CsvDialect> {
  const [first] = source.files;
  const s = await engine.one(
    `SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows${columns ? ', Columns' : ''}
     FROM sniff_csv(${literal(first!)}, ${csvOptions(source, extra)})`,
  );
  // A character the dialect lacks is shown as '(empty)'; read_csv takes '' for it.
  const char = (v: unknown) => (v === '(empty)' ? '' : String(v));
  const dialect = [
    // A .txt file names no delimiter: the one found is fixed too.
    ...(source.delimiter ? [] : [`delim = ${literal(String(s.Delimiter))}`]),
    `quote = ${literal(char(s.Quote))}`,
    `escape = ${literal(char(s.Escape))}`,
    `new_line = ${literal(String(s.NewLineDelimiter))}`,
    `comment = ${literal(char(s.Comment))}`,
    `skip = ${Number(s.SkipRows)}`,
  ];
  if (!columns) return { dialect };
  const found = (s.Columns as { name: unknown; type: unknown }[]).map((c) => ({
    name: String(c.name),
    type: String(c.type),
  }));
  return { dialect, columns: found };
}

/**
 * The source with its dialect and column types fixed, so that every later read of it skips the
 * sniffer. Not CSV: the source as it is.
 */
export async function fixedCsv(engine: Engine, source: Source): Promise<Source> {
  if (source.format !== 'csv') return source;
  const { dialect, columns = [] } = await sniffCsv(engine, source, { columns: true });
  const types = columns.map((c) => `${literal(c.name)}: ${literal(c.type)}`).join(', ');
  return { ...source, fixed: [...dialect, 'auto_detect = false', `columns = {${types}}`] };
}
