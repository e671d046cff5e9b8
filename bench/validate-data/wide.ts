/**
 * A wide file: 10,000 columns × 200 rows (nine numeric columns to one of text), with a contract
 * that names one column, so validate-data profiles all 10,000. Deterministic, written once.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const WIDE_COLUMNS = 10_000;
export const WIDE_ROWS = 200;

export async function generateWide(dir: string) {
  const data = join(dir, 'wide.csv');
  const contract = join(dir, 'wide.yml');
  if (existsSync(data) && existsSync(contract)) return { data, contract };
  await mkdir(dir, { recursive: true });
  const header = Array.from({ length: WIDE_COLUMNS }, (_, j) => `c${j}`).join(',');
  const lines = Array.from({ length: WIDE_ROWS }, (_, i) =>
    Array.from({ length: WIDE_COLUMNS }, (_, j) =>
      j % 10 === 9 ? `s${(i * 7 + j) % 13}` : ((i * 31 + j * 17) % 1000) / 10,
    ).join(','),
  );
  await writeFile(data, `${header}\n${lines.join('\n')}\n`);
  await writeFile(contract, 'version: 1\ncolumns:\n  c0: { type: number, min: 0 }\n');
  return { data, contract };
}
