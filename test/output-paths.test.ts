/**
 * Output paths through the real CLI: every path a step writes (--report, --predictions, --output,
 * GitLab's report files) is checked before any data is read, a path that cannot be written is one
 * line with exit 2, a device stays a device, and no report says "passed" beside a failed exit.
 */
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { linearClassifier } from '../packages/core/src/onnx/models.ts';
import { fullDevice } from './support/devices.ts';
import { writeModelFiles } from './support/models.ts';
import { CLI, cleanEnv, NODE, ROOT, run, STACK, tempDir } from './support/run.ts';

const CONTRACT = 'columns:\n  a: { type: integer, min: 0 }\n  b: { type: string }\n';
const IRIS = join(ROOT, 'examples/data/iris-test.csv');
const CLASSES = ['setosa', 'versicolor', 'virginica'];

/** A directory with valid data and contract; `missing.csv` is never there. */
async function project(t: TestContext) {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'data.csv'), 'a,b\n1,x\n2,y\n');
  await writeFile(join(dir, 'contract.yml'), CONTRACT);
  return dir;
}

async function modelship(
  dir: string,
  args: string[],
  options: { env?: Record<string, string>; uid?: number; gid?: number } = {},
) {
  const { env, ...ids } = options;
  const r = await run(NODE, [CLI, ...args], { cwd: dir, env: cleanEnv(env), ...ids });
  const out = r.stdout + r.stderr;
  assert.doesNotMatch(out, STACK, 'no stack trace');
  const errors = out.split('\n').filter((l) => l.startsWith('error: '));
  return { ...r, errors };
}

const validate = (dir: string, report: string, data = 'data.csv', options = {}) =>
  modelship(
    dir,
    ['validate-data', '--data', data, '--contract', 'contract.yml', '--report', report],
    options,
  );

describe('output paths, through the CLI', () => {
  it('a full disk at the real write: one line with ENOSPC, exit 2, and the device stays a device', async (t) => {
    const dir = await project(t);
    const device = fullDevice(dir);
    const r = await validate(dir, device);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.errors, [
      `error: --report '${device}' cannot be written: no space left on the device (ENOSPC). Free space there, or set --report to a path on another disk.`,
    ]);
    assert.ok((await lstat(device)).isCharacterDevice());
  });

  it('a path that cannot be written is refused before any data is read', async (t) => {
    const dir = await project(t);
    await mkdir(join(dir, 'taken.json'));
    const cases: [string, RegExp][] = [
      ['taken.json', /it is a directory \(EISDIR\)/],
      ['data.csv/report.json', /a part of the path is a file, not a directory \(ENOTDIR\)/],
      ['data.csv/deeper/report.json', /a part of the path is a file, not a directory \(ENOTDIR\)/],
      [`${'r'.repeat(256)}.json`, /the name is too long .+\(ENAMETOOLONG\)/],
    ];
    for (const [report, why] of cases) {
      // The data does not exist: had it been read first, the error would be about the data.
      const r = await validate(dir, report, 'missing.csv');
      assert.equal(r.code, 2, `${report}: ${r.stderr}`);
      assert.equal(r.errors.length, 1, r.stderr);
      assert.ok(r.errors[0]!.startsWith(`error: --report '${report}' cannot be written: `), r.errors[0]);
      assert.match(r.errors[0]!, why);
    }
  });

  it('a directory the user may not write: EACCES, before any data is read', async (t) => {
    const dir = await project(t);
    const locked = join(dir, 'locked');
    await mkdir(locked);
    // Root writes anywhere, so as root the CLI runs as nobody; anyone else simply loses the bit.
    const root = process.getuid?.() === 0;
    await chmod(dir, 0o755);
    // An empty 0555 directory is still removed with its parent at the end.
    await chmod(locked, root ? 0o755 : 0o555);
    const as = root ? { uid: 65534, gid: 65534 } : {};
    const r = await validate(dir, 'locked/report.json', 'missing.csv', as);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.errors, [
      "error: --report 'locked/report.json' cannot be written: permission denied (EACCES). Give the job write access there, or set --report to a path it can write.",
    ]);
  });

  it('the report output is the path as given, relative or not', async (t) => {
    const dir = await project(t);
    const r = await validate(dir, 'out/report.json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).report, 'out/report.json');
    assert.equal(JSON.parse(await readFile(join(dir, 'out/report.json'), 'utf8')).passed, true);
  });

  it('a report path that is a symbolic link: the target is written and the link kept', async (t) => {
    const dir = await project(t);
    await mkdir(join(dir, 'runs'));
    await symlink('runs/1.json', join(dir, 'latest.json'));
    const r = await validate(dir, 'latest.json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readlink(join(dir, 'latest.json')), 'runs/1.json');
    assert.equal(JSON.parse(await readFile(join(dir, 'runs/1.json'), 'utf8')).step, 'validate-data');
  });

  it('on GitLab, a report file that cannot be written takes the JSON report back with it', async (t) => {
    const dir = await project(t);
    await mkdir(join(dir, 'dotenv'));
    const r = await validate(dir, 'report.json', 'data.csv', {
      env: { GITLAB_CI: 'true', MODELSHIP_DOTENV: 'dotenv' },
    });
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /error: 'dotenv' cannot be written: it is a directory \(EISDIR\)\./);
    await assert.rejects(lstat(join(dir, 'report.json')), { code: 'ENOENT' }, 'no report saying passed');
  });
});

describe('the same class for evaluate-model and build-image', () => {
  const irisModel = (t: TestContext) =>
    writeModelFiles(t, {
      model: linearClassifier({
        weights: [
          [0.4, 0.1, -0.5],
          [1.2, -0.3, -0.9],
          [-2.1, 0.2, 1.9],
          [-1.0, -0.6, 2.3],
        ],
        bias: [0.3, 1.0, -1.3],
        classLabels: CLASSES,
      }),
    });

  it('--predictions is checked before the model is opened', async (t) => {
    const dir = await project(t);
    const r = await modelship(dir, [
      'evaluate-model',
      ...['--model', 'missing.onnx', '--data', IRIS, '--label-column', 'species'],
      ...['--predictions', 'data.csv/predictions.csv'],
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(
      r.errors[0]!,
      /^error: --predictions 'data\.csv\/predictions\.csv' cannot be written: .+\(ENOTDIR\)/,
    );
  });

  it('predictions that fail at the write leave no report claiming the run passed', async (t) => {
    const dir = await project(t);
    const { model } = await irisModel(t);
    const device = fullDevice(dir);
    const r = await modelship(dir, [
      'evaluate-model',
      ...['--model', model, '--data', IRIS, '--label-column', 'species', '--device', 'cpu'],
      ...['--report', 'report.json', '--predictions', device],
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.errors, [
      `error: --predictions '${device}' cannot be written: no space left on the device (ENOSPC). Free space there, or set --predictions to a path on another disk.`,
    ]);
    await assert.rejects(lstat(join(dir, 'report.json')), { code: 'ENOENT' });
    assert.ok((await lstat(device)).isCharacterDevice());
  });

  it('build-image --output that is a file is refused before the model is read', async (t) => {
    const dir = await project(t);
    const r = await modelship(dir, [
      'build-image',
      ...['--model', 'missing.onnx', '--name', 'registry.example/acme/model', '--tags', 'v1'],
      ...['--output', 'data.csv'],
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.errors, [
      "error: --output 'data.csv' cannot be written: it is a file, not a directory. Set --output to the path of a directory (made if missing).",
    ]);
  });
});
