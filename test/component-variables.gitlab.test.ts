/**
 * CI/CD variables in component inputs, as GitLab users write them (`name: $CI_REGISTRY_IMAGE/model`):
 * GitLab expands them in the job variables the template passes, `$$` is a literal `$`, and no
 * input ever passes through a shell, whatever it holds. Run by gitlab-ci-local, which expands job
 * variables as GitLab and its runner do.
 */
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gcl, including, project } from './support/gitlab.ts';
import { startRegistry } from './support/registry.ts';
import { run, tempDir } from './support/run.ts';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('CI/CD variables in component inputs', () => {
  it('expands variables in inputs, and `$$` stands for a literal `$`', async (t) => {
    const dir = await tempDir(t);
    await project(
      dir,
      `variables:
  DATASET: iris-train
  DATA_DIR: examples/data
${including('validate-data', {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitLab's ${VAR}, not a template literal
  data: '$DATA_DIR/${DATASET}.csv',
  contract: 'examples/contract.yml',
  report: 'modelship-reports/cost-$$DATASET.json',
})}
check:
  stage: build
  needs: [validate-data]
  script:
    - echo "rows=$VALIDATE_DATA_ROWS"
stages: [test, build]
`,
    );
    const r = await gcl(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // 90 rows: the step read examples/data/iris-train.csv, not a file named after the variables.
    assert.match(r.stdout, /rows=90/);
    const dotenv = await readFile(join(dir, 'modelship-reports', 'validate-data.env'), 'utf8');
    assert.match(dotenv, /^VALIDATE_DATA_REPORT=modelship-reports\/cost-\$DATASET\.json$/m);
    const report = JSON.parse(await readFile(join(dir, 'modelship-reports', 'cost-$DATASET.json'), 'utf8'));
    assert.match(JSON.stringify(report), /examples\/data\/iris-train\.csv/);
  });

  it('hands shell metacharacters to the step verbatim and runs none of them', async (t) => {
    const dir = await tempDir(t);
    const data = 'examples/`touch tick`; touch semi | touch pipe && rm -rf examples $(touch sub)*.csv';
    await project(dir, including('validate-data', { data, contract: 'examples/contract.yml' }));
    const r = await gcl(dir);
    assert.notEqual(r.code, 0);
    assert.ok(r.stdout.includes(`data '${data}' matched no files`), r.stdout);
    for (const f of ['tick', 'semi', 'pipe', 'sub']) assert.equal(await exists(join(dir, f)), false, f);
    assert.equal(await exists(join(dir, 'examples', 'contract.yml')), true);
  });

  it('runs the documented build-image pipeline: name, tags and user from CI/CD variables', async (t) => {
    const registry = await startRegistry(t, { auth: 'htpasswd' });
    const alice = registry.credentials.alice!;
    const dir = await tempDir(t);
    // On GitLab the CI_REGISTRY_* variables are predefined; gitlab-ci-local needs them spelled out.
    await project(
      dir,
      `variables:
  CI_REGISTRY_IMAGE: ${registry.host}/acme/fraud
  CI_REGISTRY_USER: ${alice.username}
  CI_REGISTRY_PASSWORD: ${alice.password}
${including('build-image', {
  model: 'examples/models/challenger.onnx',
  name: '$CI_REGISTRY_IMAGE/model',
  tags: '$CI_COMMIT_SHORT_SHA, candidate',
  runtime: 'artifact',
  push: true,
  'registry-username': '$CI_REGISTRY_USER',
})}
build-image:
  variables:
    MODELSHIP_INPUT_REGISTRY_PASSWORD: $CI_REGISTRY_PASSWORD
`,
      ['models'],
    );
    const r = await gcl(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const sha = (await run('git', ['rev-parse', '--short=8', 'HEAD'], { cwd: dir })).stdout.trim();
    const dotenv = await readFile(join(dir, 'modelship-reports', 'build-image.env'), 'utf8');
    assert.match(dotenv, new RegExp(`^BUILD_IMAGE_TAGS=${sha},candidate$`, 'm'));
    assert.match(
      dotenv,
      new RegExp(`^BUILD_IMAGE_IMAGE=${registry.host}/acme/fraud/model@sha256:[0-9a-f]{64}$`, 'm'),
    );
    const tags = await fetch(`${registry.url}/v2/acme/fraud/model/tags/list`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`,
      },
    });
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags.sort(), ['candidate', sha].sort());
    assert.doesNotMatch(r.stdout, new RegExp(alice.password));
  });
});
