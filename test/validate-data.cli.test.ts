/**
 * The CLI on bad data: each case is a verdict (exit 1, a failed check that says where) or one
 * clear configuration error (exit 2), never a stack trace, and the outputs are JSON on stdout.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, cleanEnv, NODE, ROOT, run, STACK, tempDir } from './support/run.ts';

const CONTRACT = `
columns:
  a: { type: integer, min: 0 }
  b: { type: string }
`;

async function validate(dir: string, file: string, content: string | Buffer, extra: string[] = []) {
  const data = join(dir, file);
  await writeFile(data, content);
  const contract = join(dir, 'contract.yml');
  if (!existsSync(contract)) await writeFile(contract, CONTRACT);
  const report = join(dir, `${file}.report.json`);
  const r = await run(
    NODE,
    [CLI, 'validate-data', '--data', data, '--contract', contract, '--report', report, ...extra],
    {
      env: cleanEnv(),
    },
  );
  assert.doesNotMatch(r.stdout + r.stderr, STACK, 'no stack trace');
  const outputs = r.code === 0 || r.code === 1 ? JSON.parse(r.stdout) : undefined;
  const json = outputs ? JSON.parse(await readFile(report, 'utf8')) : undefined;
  const failed = (outputs?.['failed-checks'] ?? '').split(',').filter(Boolean) as string[];
  const messages = (json?.checks ?? [])
    .filter((c: { status: string }) => c.status !== 'pass')
    .map((c: { message: string }) => c.message)
    .join('\n');
  return { ...r, outputs, json, failed, messages };
}

describe('validate-data on bad data, through the CLI', () => {
  it('ragged rows: set aside with their lines, a failed readable check', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'ragged.csv', 'a,b\n1,x\n2\n3,y,extra\n4,z\n');
    assert.equal(r.code, 1);
    assert.deepEqual(r.failed, ['data.readable']);
    assert.match(r.messages, /2 rows could not be parsed.*ragged\.csv:3.*ragged\.csv:4/);
    assert.equal(r.outputs.rows, 2);
  });

  it('a byte-order mark does not end up in the first column name', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'bom.csv', '\ufeffa,b\n1,x\n2,y\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.data.columns, ['a', 'b']);
  });

  it('invalid UTF-8: the row is set aside and named', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'latin1.csv', Buffer.from('a,b\n1,caf\xe9\n2,ok\n', 'latin1'));
    assert.equal(r.code, 1);
    assert.deepEqual(r.failed, ['data.readable']);
    assert.match(r.messages, /latin1\.csv:2 Invalid unicode/);
  });

  it('a non-numeric value in an integer column fails the type check with its line', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'types.csv', 'a,b\n1,x\nabc,y\n3,z\n');
    assert.equal(r.code, 1);
    assert.deepEqual(r.failed, ['column.a.type']);
    assert.match(r.messages, /1 value of 'a' is not integer .*types\.csv:3/);
  });

  it('an empty file is a failed check, not a crash', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'empty.csv', '');
    assert.equal(r.code, 1);
    assert.deepEqual(r.failed.sort(), ['data.readable', 'dataset.rows']);
    assert.match(r.messages, /empty/);
  });

  it('a header-only file has zero rows', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'header.csv', 'a,b\n');
    assert.equal(r.code, 1);
    assert.deepEqual(r.failed, ['dataset.rows']);
    assert.equal(r.outputs.rows, 0);
  });

  it('a glob that matches nothing is a configuration error naming the pattern', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'contract.yml'), CONTRACT);
    const r = await run(
      NODE,
      [CLI, 'validate-data', '--data', join(dir, 'nope/*.csv'), '--contract', join(dir, 'contract.yml')],
      {
        env: cleanEnv(),
      },
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: data '.*nope\/\*\.csv' matched no files\. Check the pattern/m);
    assert.equal(r.stdout, '');
  });

  it('malformed JSON Lines is a failed readable check', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'bad.jsonl', '{"a":1,"b":"x"}\n{"a":2,"b":\n');
    assert.equal(r.code, 1);
    assert.ok(r.failed.includes('data.readable'), r.failed.join());
    assert.match(r.messages, /Malformed JSON/);
  });

  it('reads Parquet, JSON Lines and gzip-compressed CSV alike, and casts declared types', async (t) => {
    const dir = await tempDir(t);
    const { Engine } = await import('../packages/core/src/data/engine.ts');
    const { LocalPlatform } = await import('../packages/core/src/platform/local.ts');
    const engine = await Engine.open(new LocalPlatform({}));
    t.after(() => engine.close());
    const rows = `SELECT range AS a, 'v' || range AS b FROM range(50)`;
    await engine.run(`COPY (${rows}) TO '${join(dir, 'd.parquet')}' (FORMAT parquet)`);
    await engine.run(`COPY (${rows}) TO '${join(dir, 'd.csv.gz')}' (HEADER, COMPRESSION gzip)`);
    await engine.run(
      `COPY (SELECT a::VARCHAR AS a, b FROM (${rows})) TO '${join(dir, 'd.jsonl')}' (FORMAT json)`,
    );
    await writeFile(join(dir, 'contract.yml'), CONTRACT);
    for (const f of ['d.parquet', 'd.csv.gz', 'd.jsonl']) {
      const r = await run(
        NODE,
        [
          CLI,
          'validate-data',
          '--data',
          join(dir, f),
          '--contract',
          join(dir, 'contract.yml'),
          '--report',
          join(dir, `${f}.json`),
        ],
        { env: cleanEnv() },
      );
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).rows, 50, f);
    }
  });

  it('a glob of several files is read as one dataset with one digest', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'part-1.csv'), 'a,b\n1,x\n');
    await writeFile(join(dir, 'part-2.csv'), 'a,b\n2,y\n');
    await writeFile(join(dir, 'contract.yml'), CONTRACT);
    const r = await run(
      NODE,
      [
        CLI,
        'validate-data',
        '--data',
        join(dir, 'part-*.csv'),
        '--contract',
        join(dir, 'contract.yml'),
        '--report',
        join(dir, 'r.json'),
      ],
      { env: cleanEnv() },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.rows, 2);
    assert.match(out['data-digest'], /^sha256:[0-9a-f]{64}$/);
  });

  it('fail-on decides what fails the step: warning fails on warnings, never only reports', async (t) => {
    const dir = await tempDir(t);
    await writeFile(
      join(dir, 'contract.yml'),
      'columns:\n  a: { type: integer, min: { value: 10, severity: warning } }\n',
    );
    const lenient = await validate(dir, 'w.csv', 'a\n1\n20\n');
    assert.equal(lenient.code, 0);
    assert.deepEqual(lenient.failed, ['column.a.min']);
    assert.equal(lenient.json.checks.find((c: { id: string }) => c.id === 'column.a.min').status, 'warn');
    const strict = await validate(dir, 'w.csv', 'a\n1\n20\n', ['--fail-on', 'warning']);
    assert.equal(strict.code, 1);
    await writeFile(join(dir, 'contract.yml'), 'columns:\n  a: { type: integer, min: 10 }\n');
    const never = await validate(dir, 'w.csv', 'a\n1\n20\n', ['--fail-on', 'never']);
    assert.equal(never.code, 0);
    assert.equal(never.json.summary.failed, 1);
  });

  it('dataset rules: duplicates, label balance, leakage and SQL checks', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'test.csv'), 'a,b\n7,q\n8,r\n');
    await writeFile(
      join(dir, 'contract.yml'),
      `columns:
  a: { type: integer, unique: true }
  b: { type: category }
dataset:
  max_duplicate_rows: 0
  label: { column: b, min_class_fraction: 0.3 }
  leakage: [{ against: ${join(dir, 'test.csv')} }]
checks:
  - { id: small, query: "SELECT count(*) FROM data WHERE a > 5", max: 1 }
`,
    );
    const r = await validate(dir, 'd.csv', 'a,b\n1,p\n1,p\n2,p\n3,p\n7,q\n8,p\n9,p\n');
    assert.equal(r.code, 1);
    assert.deepEqual(r.failed.sort(), [
      'column.a.unique',
      'dataset.duplicates',
      'dataset.label.b',
      'dataset.leakage.test.csv',
      'sql.small',
    ]);
    assert.match(r.messages, /1 distinct row also in/);
    assert.match(r.messages, /smallest class of 'b' is "q" at 0\.14286/);
  });

  it('prints the step help generated from the schema', async () => {
    const r = await run(NODE, [CLI, 'validate-data', '--help'], { env: cleanEnv() });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--fail-on <error\|warning\|never>/);
    assert.match(r.stdout, /--data <path> .*\(required\)/);
  });

  it('an unknown option is a usage error with a suggestion', async () => {
    const r = await run(NODE, [CLI, 'validate-data', '--contrakt', 'x.yml'], { env: cleanEnv() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--contrakt'.*Did you mean --contract\?/);
  });
});

describe('the report is never half-written', () => {
  it('writes through a temporary file', async (t) => {
    const dir = await tempDir(t);
    const r = await validate(dir, 'ok.csv', 'a,b\n1,x\n');
    assert.equal(r.code, 0);
    assert.ok(existsSync(join(dir, 'ok.csv.report.json')));
    assert.ok(!existsSync(join(dir, `ok.csv.report.json.${process.pid}.tmp`)));
    assert.ok(ROOT);
  });
});
