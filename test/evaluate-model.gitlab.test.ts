/**
 * evaluate-model as a GitLab component: gates as JUnit test cases, a metrics report, outputs in
 * the dotenv report for later jobs; and the GPU example pipeline, which on a runner without a GPU
 * falls back to CPU with a notice.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gcl, including, project } from './support/gitlab.ts';
import { CLI, NODE, ROOT, tempDir } from './support/run.ts';

const EXAMPLES = ['data', 'models'];

describe('evaluate-model as a GitLab CI/CD component', () => {
  it('gates as JUnit test cases, a metrics report, and outputs for a later job', async (t) => {
    const dir = await tempDir(t);
    await project(
      dir,
      including(
        'evaluate-model',
        {
          model: 'examples/models/challenger.onnx',
          baseline: 'examples/models/baseline.onnx',
          data: 'examples/data/iris-test.csv',
          'label-column': 'species',
          gates: 'accuracy >= 0.8\nf1_macro >= baseline.f1_macro + 0.5',
        },
        `
stages: [test, build]

package:
  stage: build
  needs: [evaluate-model]
  when: always
  script:
    - echo "passed=$EVALUATE_MODEL_PASSED accuracy=$EVALUATE_MODEL_ACCURACY"
`,
      ),
      EXAMPLES,
    );
    const r = await gcl(dir);
    assert.notEqual(r.code, 0, 'a failed gate fails the job');
    assert.match(r.stdout, /passed=false accuracy=0\.\d+/);
    const reports = join(dir, 'modelship-reports');
    const junit = await readFile(join(reports, 'evaluate-model.junit.xml'), 'utf8');
    assert.match(junit, /<testsuite name="evaluate-model" tests="2" failures="1"/);
    assert.match(
      junit,
      /name="gate: f1_macro &gt;= baseline.f1_macro \+ 0.5"[^>]*>\s*<failure message="observed 0\.\d+, required &gt;= 1\.\d+/,
    );
    const metrics = await readFile(join(reports, 'evaluate-model.metrics.txt'), 'utf8');
    assert.match(metrics, /^accuracy 0\.\d+$/m);
    assert.match(metrics, /^latency_p95_ms \d/m);
    const summary = await readFile(join(reports, 'evaluate-model.md'), 'utf8');
    assert.match(summary, /## ❌ modelship evaluate-model/);
    assert.match(summary, /```mermaid/);
  });

  it('runs the GPU example pipeline, falling back to CPU on a runner without a GPU', async (t) => {
    const dir = await tempDir(t);
    const example = await readFile(join(ROOT, 'examples/gitlab/evaluate-gpu.gitlab-ci.yml'), 'utf8');
    // The component at the commit under test, and the CLI from this checkout instead of npx.
    const pipeline = example
      .replace('/evaluate-model@1', '/evaluate-model@$CI_COMMIT_SHA')
      .replace(/( {6}stage: evaluate\n)/, `$1      cli: ${JSON.stringify(`${NODE} ${CLI}`)}\n`);
    assert.notEqual(pipeline, example);
    await project(dir, pipeline, EXAMPLES);
    const r = await gcl(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /notice: device auto: running on CPU, because no NVIDIA GPU is visible/);
    const dotenv = await readFile(join(dir, 'modelship-reports', 'evaluate-model.env'), 'utf8');
    assert.match(dotenv, /^EVALUATE_MODEL_PASSED=true$/m);
  });
});
