/**
 * 1,000,000 rows × 20 columns (14 numeric, 6 categorical) and a drifted reference of the same
 * size, written as CSV with DuckDB, plus a contract with a rule on every column and drift on
 * every column. Deterministic (DuckDB's setseed) so runs compare.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export const NUMERIC = 14;
export const CATEGORICAL = 6;
export const CATEGORIES = ['a', 'b', 'c', 'd', 'e'];

export async function generate(dir: string, rows = 1_000_000) {
  const data = join(dir, 'data.csv');
  const reference = join(dir, 'reference.csv');
  const contract = join(dir, 'contract.yml');
  if (existsSync(data) && existsSync(reference) && existsSync(contract)) return { data, reference, contract };
  await mkdir(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const table = async (file: string, shift: number, seed: number) => {
    await c.run(`SELECT setseed(${seed})`);
    const cols: string[] = [];
    // Every third numeric column shifts by about one standard deviation in the reference.
    for (let i = 0; i < NUMERIC; i++)
      cols.push(
        `round(${i * 10} + ${shift * (i % 3 === 0 ? 5 : 0)} + 10 * (random() + random() + random()), 4) AS n${i}`,
      );
    for (let i = 0; i < CATEGORICAL; i++) {
      cols.push(
        `CASE WHEN random() < ${0.3 + shift * (i % 2 === 0 ? 0.4 : 0)} THEN 'a' ELSE ${JSON.stringify(CATEGORIES).replace(/"/g, "'")}[1 + floor(random() * 5)::INT] END AS c${i}`,
      );
    }
    await c.run(`COPY (SELECT ${cols.join(', ')} FROM range(${rows})) TO '${file}' (HEADER)`);
  };
  await table(data, 0, 0.1);
  await table(reference, 1, 0.2);
  const lines = ['version: 1', 'columns:'];
  for (let i = 0; i < NUMERIC; i++)
    lines.push(`  n${i}: { type: number, nullable: false, min: ${i * 10}, max: ${i * 10 + 40} }`);
  for (let i = 0; i < CATEGORICAL; i++)
    lines.push(`  c${i}: { type: category, nullable: false, allowed: [${CATEGORIES.join(', ')}] }`);
  lines.push(
    'dataset:',
    '  rows: { min: 1 }',
    '  max_duplicate_rows: 0',
    'drift:',
    '  test: auto',
    '  severity: warning',
  );
  await writeFile(contract, `${lines.join('\n')}\n`);
  return { data, reference, contract };
}
