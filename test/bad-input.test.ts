/**
 * Hostile and mistaken input through what users run (the CLI, the bundled action): each is one
 * line that says what, where and how to fix, exit 2, never a stack trace or a crash; and a failed
 * check points its annotation at the contract line of the rule that failed.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { linearClassifier } from '../packages/core/src/onnx/models.ts';
import { runAction } from './support/action.ts';
import { imageClassifier, writeModelFiles } from './support/models.ts';
import { CLI, cleanEnv, NODE, ROOT, run, STACK, tempDir } from './support/run.ts';

const IRIS = join(ROOT, 'examples/data/iris-test.csv');
const SPECIES = ['setosa', 'versicolor', 'virginica'];

async function cli(
  dir: string,
  step: string,
  flags: Record<string, string>,
  env: Record<string, string> = {},
) {
  const args = Object.entries({ report: join(dir, 'report.json'), ...flags }).flatMap(([k, v]) => [
    `--${k}`,
    v,
  ]);
  const r = await run(NODE, [CLI, step, ...args], { cwd: dir, env: cleanEnv(env) });
  assert.doesNotMatch(r.stdout + r.stderr, STACK, 'no stack trace');
  return r;
}

/** The one error line of a configuration error, after checking that it is alone and exit is 2. */
function errorLine(r: { code: number | null; stderr: string }): string {
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.equal(errors.length, 1, r.stderr);
  return errors[0]!;
}

describe('a hostile or broken contract is one line, exit 2', () => {
  const billionLaughs = () => {
    let yaml = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i++) {
      const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
      yaml += `${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
    }
    return `${yaml}columns: { a: { type: integer } }\n`;
  };
  const cases: [string, string | Buffer, RegExp][] = [
    [
      'alias bomb',
      billionLaughs(),
      /^error: c\.yml:2:\d+: .*aliases expand .*\(an alias bomb\)\. Write the values out/,
    ],
    [
      'dangling alias',
      'columns:\n  a: { type: integer, allowed: *v }\n',
      /^error: c\.yml:2:\d+: alias '\*v' names no anchor/,
    ],
    [
      'deep nesting',
      `columns: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
      /^error: c\.yml:1:\d+: the contract nests deeper than 64 levels/,
    ],
    [
      'duplicate key',
      'columns:\n  a: { type: integer }\n  a: { type: string }\n',
      /^error: c\.yml:3:3: duplicate key 'a'/,
    ],
    ['a list', '- columns\n', /^error: c\.yml:1:1: the contract is a list; it must be a YAML mapping/],
    [
      'binary junk',
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
      /^error: c\.yml:1:1: the contract is not YAML text/,
    ],
  ];
  for (const [name, contract, expected] of cases) {
    it(name, async (t) => {
      const dir = await tempDir(t);
      await writeFile(join(dir, 'c.yml'), contract);
      await writeFile(join(dir, 'd.csv'), 'a\n1\n');
      const line = errorLine(await cli(dir, 'validate-data', { data: 'd.csv', contract: 'c.yml' }));
      assert.match(line, expected);
    });
  }
});

describe('evaluate-model refuses what it cannot run in one line', () => {
  const iris = () =>
    linearClassifier({
      weights: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
      ],
      bias: [0, 0, 0],
      classLabels: SPECIES,
    });

  it('a gate nested thousands of parentheses deep names the gate and the limit', async (t) => {
    const dir = await tempDir(t);
    const { model } = await writeModelFiles(t, { model: iris() });
    for (const depth of [40, 3000, 20_000]) {
      const gate = `${'('.repeat(depth)}accuracy${')'.repeat(depth)} >= 0.9`;
      // As GitLab passes inputs: onnxruntime 1.30 segfaults on a command line over ~28 KB.
      const line = errorLine(
        await cli(
          dir,
          'evaluate-model',
          { model, data: IRIS, 'label-column': 'species' },
          { MODELSHIP_INPUT_GATES: gate },
        ),
      );
      const limit = depth === 40 ? /nested more than 32 levels deep/ : /characters long; the limit is 1000/;
      assert.match(line, /^error: gates\[0\]: gate '\(\(\(/);
      assert.match(line, limit);
    }
  });

  it("quotes the user's input exactly, '..' included", async (t) => {
    const dir = await tempDir(t);
    const { model } = await writeModelFiles(t, { model: iris() });
    const missing = await cli(dir, 'evaluate-model', {
      model,
      data: '../no/such/train.csv',
      'label-column': 'y',
    });
    assert.match(errorLine(missing), /'\.\.\/no\/such\/train\.csv'/);
    const base = { model, data: IRIS, 'label-column': 'species' };
    const gate = await cli(dir, 'evaluate-model', { ...base, gates: 'accuracy >= 0..5' });
    assert.match(errorLine(gate), /gate 'accuracy >= 0\.\.5'/);
    const label = await cli(dir, 'evaluate-model', { ...base, 'label-column': 'a..b' });
    assert.match(errorLine(label), /label column 'a\.\.b'/);
  });

  it('an image model is told which input ranks the step supports', async (t) => {
    const dir = await tempDir(t);
    const { model } = await writeModelFiles(t, { model: imageClassifier() });
    const csv = join(dir, 'rgb.csv');
    await writeFile(csv, 'red,green,blue,label\n0.1,0.2,0.3,2\n0.9,0.1,0.0,0\n');
    const line = errorLine(await cli(dir, 'evaluate-model', { model, data: csv, 'label-column': 'label' }));
    assert.match(line, /input pixels float32\[N,3,224,224\] has rank 4/);
    assert.match(line, /one input of rank 2 \[N, features\], or one input per column of rank 1/);
    assert.doesNotMatch(line, /Set feature-columns/);
  });
});

describe('a failed check points its annotation at the contract line', () => {
  it('the bundled action annotates file, line and column of the rule', async (t) => {
    const dir = await tempDir(t);
    const contract = join(dir, 'contract.yml');
    await writeFile(
      contract,
      'columns:\n  a:\n    type: integer\n    min: 0\n  b: { type: string, allowed: [x, y] }\n',
    );
    await writeFile(join(dir, 'd.csv'), 'a,b\n1,x\n-4,y\n2,z\n');
    const r = await runAction('validate-data', dir, {
      data: join(dir, 'd.csv'),
      contract,
      report: join(dir, 'report.json'),
    });
    assert.equal(r.code, 1, r.stdout);
    const file = relative(ROOT, contract).replace(/:/g, '%3A').replace(/,/g, '%2C');
    assert.match(r.stdout, new RegExp(`^::error title=column\\.a\\.min,file=${file},line=4,col=10::`, 'm'));
    assert.match(
      r.stdout,
      new RegExp(`^::error title=column\\.b\\.allowed,file=${file},line=5,col=\\d+::`, 'm'),
    );
  });
});
