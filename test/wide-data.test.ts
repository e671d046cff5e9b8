/**
 * Wide data and the data engine's memory: a file of thousands of columns is profiled in full,
 * and running out of memory is one line that says how to raise the limit, never a verdict on
 * the data or a bug.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, cleanEnv, NODE, run, STACK, tempDir } from './support/run.ts';

const COLUMNS = 2000;

async function wideCsv(dir: string, rows: number, columns = COLUMNS): Promise<string> {
  const header = Array.from({ length: columns }, (_, j) => `c${j}`).join(',');
  const lines = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: columns }, (_, j) => (i * 31 + j * 17) % 1000).join(','),
  );
  const file = join(dir, 'wide.csv');
  await writeFile(file, `${header}\n${lines.join('\n')}\n`);
  await writeFile(join(dir, 'contract.yml'), 'columns:\n  c0: { type: integer, min: 0 }\n');
  return file;
}

const validate = (dir: string, data: string, env: Record<string, string> = {}) =>
  run(
    NODE,
    [
      CLI,
      'validate-data',
      '--data',
      data,
      '--contract',
      join(dir, 'contract.yml'),
      '--report',
      join(dir, 'r.json'),
    ],
    { env: cleanEnv(env) },
  );

describe('wide data', () => {
  it('profiles every column of a 2,000-column file', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, await wideCsv(dir, 50));
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    assert.equal(report.profile.length, COLUMNS);
    const last = report.profile.at(-1);
    assert.equal(last.column, `c${COLUMNS - 1}`);
    assert.equal(last.count, 50);
    // Column c1999 holds (31 i + 33983) mod 1000 for i < 50: its minimum is computable here.
    const values = Array.from({ length: 50 }, (_, i) => (i * 31 + (COLUMNS - 1) * 17) % 1000);
    assert.equal(last.min, Math.min(...values));
    assert.equal(last.max, Math.max(...values));
  });

  it('keeps the file order of columns past 2,048 (a chunk of DESCRIBE rows)', async (t) => {
    const dir = await tempDir(t);
    const width = 4500;
    const r = await validate(dir, await wideCsv(dir, 5, width));
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    const header = Array.from({ length: width }, (_, j) => `c${j}`);
    assert.deepEqual(report.data.columns, header);
    assert.deepEqual(
      report.profile.map((p: { column: string }) => p.column),
      header,
    );
  });

  it('says how to raise the memory limit when the engine runs out, exit 2', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, await wideCsv(dir, 300), { MODELSHIP_MEMORY_LIMIT: '64MiB' });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, STACK);
    assert.match(
      r.stderr,
      /ran out of memory at its limit of 64\.0 MiB\. Raise it with MODELSHIP_MEMORY_LIMIT/,
    );
    assert.doesNotMatch(r.stdout, /"passed"/, 'no outputs for a run that could not finish');
  });

  it('refuses a memory limit it cannot read, naming the variable', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, await wideCsv(dir, 2), { MODELSHIP_MEMORY_LIMIT: 'lots' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /MODELSHIP_MEMORY_LIMIT="lots" is not a memory size/);
  });
});
