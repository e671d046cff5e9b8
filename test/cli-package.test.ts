/**
 * @modelship/cli as a stranger installs it: the packed tarball into an empty project outside this
 * checkout (no workspace, nothing private), `npx modelship` there, and a real step whose native
 * engine (DuckDB) is installed at run time into a fresh cache, as on a new runner.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { it } from 'node:test';
import { VERSION } from '../packages/core/src/version.ts';
import { packCli } from './support/cli-package.ts';
import { cleanEnv, NODE, ROOT, run, STACK, tempDir } from './support/run.ts';

/** What the published tarball may weigh (gzip); today about 0.3 MB. */
const TARBALL_LIMIT = 1024 * 1024;

it('the packed CLI installs into an empty project and runs a step there', async (t) => {
  const tgz = await packCli();
  const size = (await stat(tgz)).size;
  assert.ok(size < TARBALL_LIMIT, `the tarball is ${size} bytes`);
  const listed = await run('tar', ['-tzf', tgz]);
  const files = listed.stdout.trim().split('\n');
  assert.ok(files.includes('package/dist/cli.mjs') && files.includes('package/dist/serve.mjs'), files.join());
  assert.deepEqual(
    files.filter((f) => !/^package\/(dist\/.+\.mjs|package\.json|README\.md)$/.test(f)),
    [],
    'only built JavaScript, the manifest and the README',
  );

  const project = await tempDir(t, 'modelship-consumer-');
  assert.ok(!project.startsWith(ROOT), 'outside the checkout');
  await writeFile(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
  const env = cleanEnv({
    // npx and the bin's `#!/usr/bin/env node` find the Node 24 the tests run on first.
    PATH: `${dirname(NODE)}${delimiter}${process.env.PATH}`,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    MODELSHIP_CACHE_DIR: join(project, 'cache'),
    XDG_CACHE_HOME: join(project, 'cache'),
    npm_config_update_notifier: 'false',
  });
  const install = await run('npm', ['install', '--no-audit', '--no-fund', tgz], { cwd: project, env });
  assert.equal(install.code, 0, install.stderr);
  const manifest = JSON.parse(
    await readFile(join(project, 'node_modules', '@modelship', 'cli', 'package.json'), 'utf8'),
  );
  assert.equal(manifest.dependencies, undefined, 'no dependency, private or public, to install');
  assert.deepEqual(await readdir(join(project, 'node_modules', '@modelship')), ['cli']);

  const npx = (args: string[]) => run('npx', ['--no', '--', 'modelship', ...args], { cwd: project, env });
  const version = await npx(['--version']);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), VERSION);

  await cp(join(ROOT, 'examples', 'data'), join(project, 'examples', 'data'), { recursive: true });
  await cp(join(ROOT, 'examples', 'contract.yml'), join(project, 'examples', 'contract.yml'));
  const step = await npx([
    'validate-data',
    '--data',
    'examples/data/iris-train.csv',
    '--contract',
    'examples/contract.yml',
  ]);
  assert.doesNotMatch(step.stderr, STACK);
  assert.equal(step.code, 0, step.stderr);
  assert.match(step.stderr, /@duckdb\/node-api@[\w.-]+: installing into .*cache\/modelship-native/);
  assert.match(step.stderr, /validate-data: PASSED/);
  const outputs = JSON.parse(step.stdout);
  assert.equal(outputs.passed, true);
  assert.equal(outputs.rows, 90);

  const mistake = await npx(['validate-data', '--data']);
  assert.equal(mistake.code, 2);
  assert.match(mistake.stderr, /^error: option '--data' needs a value/m);
});
