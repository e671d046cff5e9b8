/**
 * A component job as a GitLab user gets it, with the default `cli` (`npx --yes
 * @modelship/cli@<release>`): npm installs the CLI from the packed tarball, served by a small
 * registry on 127.0.0.1 that only the @modelship scope points at, and the CLI installs its
 * native engine (DuckDB) from the real npm registry, as on a runner with network access.
 * gitlab-ci-local runs the job with the shell executor, so the `image` input plays no part here:
 * the Node.js 24 and npm on PATH stand for the image's.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PINNED } from '../packages/core/src/platform/native.ts';
import { VERSION } from '../packages/core/src/version.ts';
import { packCli } from './support/cli-package.ts';
import { gcl, including, project } from './support/gitlab.ts';
import { type NpmRegistry, startNpmRegistry } from './support/npm-registry.ts';
import { NODE, ROOT, run, tempDir } from './support/run.ts';

/** Node.js 24 first on PATH, as in the default image: npm's `modelship` bin runs on `node`. */
const PATH = `${dirname(NODE)}${delimiter}${process.env.PATH}`;

describe('a component job with the default cli', () => {
  let registry: NpmRegistry;
  /** One npm cache for both tests, new for each run: the second installs offline from it. */
  let npmCache: string;
  const cleanups: (() => unknown)[] = [];
  const suite = { after: (fn: () => unknown) => cleanups.push(fn) };
  before(async () => {
    registry = await startNpmRegistry(suite, await packCli());
    npmCache = await tempDir(suite, 'modelship-npm-cache-');
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('installs the released CLI with npx, installs DuckDB, and runs the step', async (t) => {
    const dir = await tempDir(t);
    await project(
      dir,
      `include:
  - component: $CI_SERVER_FQDN/modelship/components/validate-data@$CI_COMMIT_SHA
    inputs:
      data: examples/data/iris-train.csv
      contract: examples/contract.yml
`,
    );
    // HOME is the project folder (see gcl): modelship's native cache starts empty.
    const r = await gcl(dir, {
      PATH,
      npm_config_cache: npmCache,
      [`npm_config_${registry.scope}:registry`]: registry.url,
      npm_config_update_notifier: 'false',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The job's own command, not this checkout's bundle: npm fetched the packument and the tarball.
    assert.deepEqual(
      new Set(registry.requests.map((p) => decodeURIComponent(p))),
      new Set([`/${registry.name}`, `/${registry.name}/-/cli-${registry.version}.tgz`]),
    );
    assert.match(r.stdout, /@duckdb\/node-api@\S+: installing into \S+modelship-native/);
    const dotenv = await readFile(join(dir, 'modelship-reports', 'validate-data.env'), 'utf8');
    assert.match(dotenv, /^VALIDATE_DATA_PASSED=true$/m);
    assert.match(dotenv, /^VALIDATE_DATA_ROWS=90$/m);
    const junit = await readFile(join(dir, 'modelship-reports', 'validate-data.junit.xml'), 'utf8');
    assert.match(junit, /<testsuite name="validate-data" tests="\d+" failures="0"/);
    const natives = await readdir(join(dir, '.cache', 'modelship-native'));
    assert.deepEqual(natives, ['@duckdb+node-api']);
  });

  it('runs offline from an image made as the README says, never calling npm', async (t) => {
    const readme = await readFile(join(ROOT, 'gitlab-components', 'README.md'), 'utf8');
    const recipe = /^RUN npm install --global (.*)$/m.exec(readme)?.[1] ?? '';
    for (const pin of [PINNED.duckdb, PINNED.onnxruntime])
      assert.ok(
        recipe.includes(`${pin.name}@${pin.version}`),
        `the README must pin ${pin.name}@${pin.version}`,
      );
    // The image, installed into a prefix: the CLI and DuckDB (validate-data needs no onnxruntime).
    const image = await tempDir(t, 'modelship-image-');
    const installed = await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        image,
        '--prefer-offline',
        `${registry.name}@${VERSION}`,
        `${PINNED.duckdb.name}@${PINNED.duckdb.version}`,
      ],
      {
        env: {
          ...process.env,
          PATH,
          npm_config_cache: npmCache,
          [`npm_config_${registry.scope}:registry`]: registry.url,
        },
      },
    );
    assert.equal(installed.code, 0, installed.stderr);

    const dir = await tempDir(t);
    await project(
      dir,
      including('validate-data', {
        cli: join(image, 'bin', 'modelship'),
        data: 'examples/data/iris-train.csv',
        contract: 'examples/contract.yml',
      }),
    );
    // No registry to reach: npm would fail at once if the CLI called it.
    const r = await gcl(dir, {
      PATH,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_offline: 'true',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /installing into/);
    const dotenv = await readFile(join(dir, 'modelship-reports', 'validate-data.env'), 'utf8');
    assert.match(dotenv, /^VALIDATE_DATA_ROWS=90$/m);
  });
});
