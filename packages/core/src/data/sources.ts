/**
 * A dataset as the user names it: one file or a glob, in CSV/TSV, Parquet or JSON Lines,
 * optionally gzip-compressed. Resolved to a sorted list of files of one format.
 */
import { createHash } from 'node:crypto';
import { glob, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { DataError } from '../errors.ts';
import { sha256File } from '../oci/digest.ts';
import { literal } from './engine.ts';

export type Format = 'csv' | 'parquet' | 'json';

export interface Source {
  /** What the user wrote. */
  spec: string;
  files: string[];
  format: Format;
  delimiter?: string;
  compressed: boolean;
  /** read_csv options that fix what a sniff of it found (csv-dialect.ts): reads then skip detection. */
  fixed?: string[];
}

const FORMATS: [RegExp, Format, string?][] = [
  [/\.csv$/i, 'csv', ','],
  [/\.(tsv|tab)$/i, 'csv', '\t'],
  [/\.txt$/i, 'csv'],
  [/\.(parquet|pq)$/i, 'parquet'],
  [/\.(jsonl|ndjson|json)$/i, 'json'],
];

function formatOf(file: string) {
  const compressed = /\.(gz|gzip)$/i.test(file);
  const bare = file.replace(/\.(gz|gzip)$/i, '');
  for (const [re, format, delimiter] of FORMATS) {
    if (re.test(bare)) return { format, delimiter, compressed };
  }
  return undefined;
}

export async function resolveSource(spec: string, what: string): Promise<Source> {
  const isGlob = /[*?[{]/.test(spec);
  let files: string[];
  if (isGlob) {
    files = [];
    for await (const f of glob(spec)) files.push(resolve(f));
    files.sort();
    if (files.length === 0) {
      throw new DataError(`${what} '${spec}' matched no files`, {
        fix: `Check the pattern against the working directory ${process.cwd()}.`,
      });
    }
  } else {
    const full = resolve(spec);
    const st = await stat(full).catch(() => undefined);
    if (!st)
      throw new DataError(`${what} '${spec}' does not exist`, {
        fix: 'Check the path (it is relative to the working directory).',
      });
    if (st.isDirectory()) {
      throw new DataError(`${what} '${spec}' is a directory`, {
        fix: `Name the files, e.g. '${spec}/*.parquet'.`,
      });
    }
    files = [full];
  }
  const kinds = files.map((f) => ({ f, k: formatOf(f) }));
  const unknown = kinds.find((x) => !x.k);
  if (unknown) {
    throw new DataError(`${what} '${relative(process.cwd(), unknown.f)}' has no format modelship reads`, {
      fix: 'Use .csv, .tsv, .parquet, .jsonl or .ndjson, optionally with .gz.',
    });
  }
  const formats = new Set(kinds.map((x) => `${x.k!.format}${x.k!.delimiter ?? ''}`));
  if (formats.size > 1) {
    throw new DataError(`${what} '${spec}' mixes formats (${[...formats].join(', ')})`, {
      fix: 'Narrow the pattern to one format.',
    });
  }
  const first = kinds[0]!.k!;
  return {
    spec,
    files,
    format: first.format,
    ...(first.delimiter && { delimiter: first.delimiter }),
    compressed: kinds.some((x) => x.k!.compressed),
  };
}

/**
 * sha256 of the bytes. One file: its plain sha256 (what `sha256sum` prints). Several: the
 * sha256 of their `sha256sum`-style lines, with paths relative to the working directory, so
 * the digest is stable for the same files wherever the checkout lives.
 */
export async function digestSource(source: Source): Promise<string> {
  const digests = await Promise.all(source.files.map(async (f) => (await sha256File(f)).digest));
  if (digests.length === 1) return digests[0]!;
  const hex = (d: string) => d.slice('sha256:'.length);
  const lines = source.files.map((f, i) => `${hex(digests[i]!)}  ${relative(process.cwd(), f)}\n`).join('');
  return `sha256:${createHash('sha256').update(lines).digest('hex')}`;
}

/** The DuckDB table function that reads a source; `extra` are more read_csv options. */
export function readSql(source: Source, extra = ''): string {
  const files = `[${source.files.map(literal).join(', ')}]`;
  if (source.format === 'parquet') return `read_parquet(${files}, union_by_name = true)`;
  if (source.format === 'json')
    return `read_json(${files}, format = 'newline_delimited', union_by_name = true)`;
  return `read_csv(${files}, ${csvOptions(source, extra)})`;
}

/** The options every read of a CSV source passes (a header; the delimiter its extension names), plus `extra`. */
export function csvOptions(source: Source, extra = ''): string {
  const options = ['header = true'];
  if (source.delimiter) options.push(`delim = ${literal(source.delimiter)}`);
  if (source.fixed) options.push(...source.fixed);
  if (extra) options.push(extra);
  return options.join(', ');
}

export const displayName = (source: Source) =>
  source.files.length === 1 ? relative(process.cwd(), source.files[0]!) || source.files[0]! : source.spec;
