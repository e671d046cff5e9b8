/**
 * The bundled action, run exactly as the GitHub runner runs it: `node dist/actions/…` with
 * INPUT_* variables and the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runAction as runAction_ } from './support/action.ts';
import { ROOT, STACK, tempDir } from './support/run.ts';
import { scipy } from './support/scipy.ts';

const runAction = (dir: string, inputs: Record<string, string>) => runAction_('validate-data', dir, inputs);

const example = {
  data: 'examples/data/iris-train.csv',
  contract: 'examples/contract.yml',
  reference: 'examples/data/iris-reference.csv',
};

describe('validate-data as a GitHub Action', () => {
  it('passes the example, sets every output and writes the job summary', async (t) => {
    const dir = await tempDir(t);
    const report = join(dir, 'report.json');
    const r = await runAction(dir, { ...example, report });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.outputs.passed, 'true');
    assert.equal(r.outputs.rows, '90');
    assert.equal(r.outputs.report, report);
    assert.equal(r.outputs['failed-checks'], '');
    const bytes = await readFile(join(ROOT, example.data));
    assert.equal(r.outputs['data-digest'], `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    assert.match(r.summary, /## ✅ modelship validate-data/);
    assert.match(r.summary, /All \d+ checks passed on 90 rows/);
    assert.match(r.summary, /\| sepal_length \| ks \|/);
    const json = JSON.parse(await readFile(report, 'utf8'));
    assert.equal(json.run_url, 'https://github.com/acme/fraud/actions/runs/42');
    assert.equal(json.profile.length, 5);
    assert.ok(json.checks.every((c: { status: string }) => c.status === 'pass'));
  });

  it('reports drift statistics equal to scipy on the same columns', async (t) => {
    const dir = await tempDir(t);
    const report = join(dir, 'report.json');
    const r = await runAction(dir, { ...example, report });
    assert.equal(r.code, 0, r.stdout);
    const json = JSON.parse(await readFile(report, 'utf8'));
    const csv = async (p: string) =>
      (await readFile(join(ROOT, p), 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
    const [data, ref] = [await csv(example.data), await csv(example.reference)];
    const numeric = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    const expected = scipy(
      numeric.map((_, i) => ({
        fn: 'ks_2samp',
        args: [ref.map((row) => Number(row[i])), data.map((row) => Number(row[i]))],
      })),
    ) as [number, number][];
    for (const [i, col] of numeric.entries()) {
      const d = json.drift.find((x: { column: string }) => x.column === col);
      assert.equal(d.test, 'ks');
      assert.ok(Math.abs(d.statistic - expected[i]![0]) <= 1e-6, `${col} statistic`);
      assert.ok(
        Math.abs(d.p_value - expected[i]![1]) <= 1e-4,
        `${col} p-value ${d.p_value} vs ${expected[i]![1]}`,
      );
    }
  });

  it('fails bad data with one annotation per failed check and exit 1', async (t) => {
    const dir = await tempDir(t);
    const data = join(dir, 'bad.csv');
    const rows = (await readFile(join(ROOT, example.data), 'utf8')).trim().split('\n');
    rows.push('9.5,3,1.5,0.2,setosa', '5,3,1.5,0.2,daisy', 'abc,3,1.5,0.2,setosa', '5,3');
    await writeFile(data, `${rows.join('\n')}\n`);
    const r = await runAction(dir, { ...example, data, report: join(dir, 'r.json') });
    assert.equal(r.code, 1, r.stdout);
    const failed = r.outputs['failed-checks']!.split(',');
    for (const id of [
      'data.readable',
      'column.sepal_length.type',
      'column.sepal_length.max',
      'column.species.allowed',
    ]) {
      assert.ok(failed.includes(id), `${id} in ${failed}`);
    }
    assert.match(
      r.stdout,
      // The annotation points at the contract's rule: file, line and column of `allowed:`.
      /::error title=column.species.allowed,file=examples\/contract.yml,line=30,col=14::1 value of 'species' outside the allowed set, e.g. "daisy"/,
    );
    assert.match(r.stdout, /bad\.csv:94/); // the unparseable value's line
    assert.equal(r.outputs.passed, 'false');
    assert.match(r.summary, /## ❌ modelship validate-data/);
    assert.doesNotMatch(r.stdout + r.stderr, STACK);
  });

  it('annotates a contract mistake on its line and exits 2', async (t) => {
    const dir = await tempDir(t);
    const contract = join(dir, 'contract.yml');
    const text = (await readFile(join(ROOT, example.contract), 'utf8')).replace(
      '    min: 2.0\n',
      '    minn: 2.0\n',
    );
    await writeFile(contract, text);
    const line = text.split('\n').findIndex((l) => l.includes('minn:')) + 1;
    const r = await runAction(dir, { ...example, contract });
    assert.equal(r.code, 2);
    assert.match(r.stdout, new RegExp(`::error file=[^,]*contract.yml,line=${line},col=5::`));
    assert.match(r.stdout, /unknown key 'minn'.*Did you mean 'min'\?/);
    assert.equal(r.outputs.passed, undefined, 'no outputs on a configuration error');
    assert.doesNotMatch(r.stdout + r.stderr, STACK);
  });

  it('names a missing required input and how to set it', async (t) => {
    const dir = await tempDir(t);
    const r = await runAction(dir, { contract: example.contract });
    assert.equal(r.code, 2);
    assert.match(r.stdout, /::error::missing required input 'data'.*with: data:/);
  });
});
