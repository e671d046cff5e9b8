/**
 * The GitLab component, included `@$CI_COMMIT_SHA` from a project that mirrors
 * gitlab-components/ (templates at its root, as GitLab wants), run by gitlab-ci-local with the
 * shell executor. A second job reads the outputs through `needs:` and the dotenv report.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, cleanEnv, NODE, ROOT, run, tempDir } from './support/run.ts';

const GCL = join(ROOT, 'node_modules', '.bin', 'gitlab-ci-local');

async function project(dir: string, pipeline: string) {
  await cp(join(ROOT, 'gitlab-components', 'templates'), join(dir, 'templates'), { recursive: true });
  await mkdir(join(dir, 'examples'), { recursive: true });
  await cp(join(ROOT, 'examples', 'data'), join(dir, 'examples', 'data'), { recursive: true });
  await cp(join(ROOT, 'examples', 'contract.yml'), join(dir, 'examples', 'contract.yml'));
  await writeFile(join(dir, '.gitlab-ci.yml'), pipeline);
  const git = (...args: string[]) => run('git', args, { cwd: dir, env: cleanEnv() });
  await git('init', '-q', '-b', 'main');
  await git('remote', 'add', 'origin', 'git@gitlab.com:modelship/components.git');
  await git('add', '-A');
  await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'components under test');
}

const gcl = (dir: string) =>
  run(NODE, [GCL, '--force-shell-executor', '--no-color', '--cwd', '.'], {
    cwd: dir,
    env: cleanEnv({ HOME: dir }),
  });

/** A pipeline including the component at the commit under test, the CLI bundle from this checkout. */
function including(inputs: Record<string, string>, rest = ''): string {
  const lines = Object.entries({ cli: `${NODE} ${CLI}`, ...inputs }).map(
    ([k, v]) => `      ${k}: ${JSON.stringify(v)}`,
  );
  return `include:
  - component: $CI_SERVER_FQDN/modelship/components/validate-data@$CI_COMMIT_SHA
    inputs:
${lines.join('\n')}
${rest}`;
}

describe('validate-data as a GitLab CI/CD component', () => {
  it('runs the job, writes dotenv and JUnit reports, and hands outputs to a later job', async (t) => {
    const dir = await tempDir(t);
    await project(
      dir,
      including(
        {
          as: 'check-data',
          stage: 'test',
          data: 'examples/data/iris-train.csv',
          contract: 'examples/contract.yml',
          reference: 'examples/data/iris-reference.csv',
        },
        `
stages: [test, build]

train:
  stage: build
  needs: [check-data]
  script:
    - echo "passed=$VALIDATE_DATA_PASSED rows=$VALIDATE_DATA_ROWS digest=$VALIDATE_DATA_DATA_DIGEST"
`,
      ),
    );
    const r = await gcl(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /passed=true rows=90 digest=sha256:[0-9a-f]{64}/);
    const junit = await readFile(join(dir, 'modelship-reports', 'validate-data.junit.xml'), 'utf8');
    assert.match(junit, /<testsuite name="validate-data" tests="\d+" failures="0"/);
    assert.match(junit, /<testcase classname="validate-data.column.species" name="column.species.allowed"/);
    const dotenv = await readFile(join(dir, 'modelship-reports', 'validate-data.env'), 'utf8');
    assert.match(dotenv, /^VALIDATE_DATA_PASSED=true$/m);
    const summary = await readFile(join(dir, 'modelship-reports', 'validate-data.md'), 'utf8');
    assert.match(summary, /## ✅ modelship validate-data/);
  });

  it('fails the job on bad data, with each failed check as a JUnit failure', async (t) => {
    const dir = await tempDir(t);
    await project(dir, including({ data: 'examples/data/iris.csv', contract: 'examples/contract.yml' }));
    const r = await gcl(dir);
    assert.notEqual(r.code, 0);
    const junit = await readFile(join(dir, 'modelship-reports', 'validate-data.junit.xml'), 'utf8');
    // iris.csv holds the test split too: the leakage rule catches it.
    assert.match(
      junit,
      /name="dataset\.leakage\.iris-test\.csv"[^>]*>\s*<failure message="30 distinct rows also in/,
    );
  });

  it('passes an input with shell metacharacters through untouched', async (t) => {
    const dir = await tempDir(t);
    await project(
      dir,
      including({ data: 'examples/$(touch pwned)*.csv', contract: 'examples/contract.yml' }),
    );
    const r = await gcl(dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /data 'examples\/\$\(touch pwned\)\*\.csv' matched no files/);
    await assert.rejects(readFile(join(dir, 'pwned')));
  });
});
