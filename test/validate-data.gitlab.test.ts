/**
 * The GitLab component, included `@$CI_COMMIT_SHA` from a project that mirrors
 * gitlab-components/ (templates at its root, as GitLab wants), run by gitlab-ci-local with the
 * shell executor. A second job reads the outputs through `needs:` and the dotenv report.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gcl, including as including_, project } from './support/gitlab.ts';
import { tempDir } from './support/run.ts';

const including = (inputs: Record<string, string>, rest = '') => including_('validate-data', inputs, rest);

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

  it('leaves dotenv, JUnit and summary reports when the configuration is wrong', async (t) => {
    const dir = await tempDir(t);
    await project(
      dir,
      including(
        { data: 'examples/data/iris-train.csv', contract: 'examples/no-such-contract.yml' },
        `
stages: [test, build]

report:
  stage: build
  needs: [validate-data]
  when: always
  script:
    - echo "passed=$VALIDATE_DATA_PASSED error=$VALIDATE_DATA_ERROR"
`,
      ),
    );
    const r = await gcl(dir);
    assert.notEqual(r.code, 0);
    const line = /error: (.*no-such-contract\.yml.*)$/m.exec(r.stdout)?.[1];
    assert.ok(line, r.stdout);
    assert.ok(r.stdout.includes(`passed=false error=${line}`), r.stdout);
    const reports = join(dir, 'modelship-reports');
    const dotenv = await readFile(join(reports, 'validate-data.env'), 'utf8');
    assert.equal(dotenv, `VALIDATE_DATA_PASSED=false\nVALIDATE_DATA_ERROR=${line}\n`);
    const junit = await readFile(join(reports, 'validate-data.junit.xml'), 'utf8');
    assert.match(junit, /<testsuite name="validate-data" tests="1" failures="1"/);
    assert.match(
      junit,
      /<testcase classname="validate-data.configuration" name="validate-data could not run"/,
    );
    assert.ok(junit.includes(`<failure message="${line}"`), junit);
    const summary = await readFile(join(reports, 'validate-data.md'), 'utf8');
    assert.equal(summary, `## ❌ modelship validate-data\n\n**${line}**\n`);
  });
});
