/**
 * The workflow runner the GitHub lifecycle test drives (test/support/workflow-runner.ts), on tiny
 * workflows that need no node: needs order, job and step `if:` with the status functions, outputs
 * through steps and jobs, artifacts, environment secrets, masking, and the loud refusals of what
 * it does not run.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from './support/run.ts';
import { runWorkflow, type WorkflowOptions } from './support/workflow-runner.ts';

const TINY = `
name: tiny
on:
  push:
    branches: [main]
env:
  GREETING: hello \${{ github.actor }}
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      word: \${{ steps.say.outputs.word }}
      lines: \${{ steps.say.outputs.lines }}
    steps:
      - uses: actions/checkout@v4
      - id: say
        run: |
          test -f examples/data/iris.csv
          test "$(git rev-parse HEAD)" = "$GITHUB_SHA"
          echo "word=$GREETING-\${{ github.run_number }}" >> "$GITHUB_OUTPUT"
          printf 'lines<<EOF\\na\\nb\\nEOF\\n' >> "$GITHUB_OUTPUT"
          echo report > report.txt
      - uses: actions/upload-artifact@v4
        with:
          name: report
          path: report.txt
  second:
    runs-on: ubuntu-latest
    needs: first
    environment: production
    env:
      WORD: \${{ needs.first.outputs.word }}
    outputs:
      seen: \${{ steps.cleanup.outputs.seen }}
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: report
          path: got
      - id: fails
        run: |
          test "$(cat got/report.txt)" = report
          test "$WORD" = "hello octocat-7"
          echo "the key is \${{ secrets.DEPLOY_KEY }}"
          exit 3
      - id: never
        run: echo never
      - id: cleanup
        if: failure() && steps.fails.outcome == 'failure'
        run: echo "seen=\${{ steps.fails.outcome }} \${{ steps.never.outcome }}" >> "$GITHUB_OUTPUT"
  after-failure:
    runs-on: ubuntu-latest
    needs: [first, second]
    if: failure() && needs.second.result == 'failure' && needs.first.outputs.word != ''
    steps:
      - id: key
        run: test -z "\${{ secrets.DEPLOY_KEY }}"
  after-success:
    runs-on: ubuntu-latest
    needs: second
    steps:
      - run: echo never
`;

async function tiny(t: TestContext, yaml: string, extra: Partial<WorkflowOptions> = {}) {
  const file = join(await tempDir(t), 'tiny.yml');
  await writeFile(file, yaml);
  return runWorkflow(t, {
    file,
    checkout: ['examples/data'],
    github: {
      run_number: 7,
      repository: 'acme/iris',
      actor: 'octocat',
      ref_name: 'main',
      event_name: 'push',
    },
    secrets: { GITHUB_TOKEN: 'not-a-real-token' },
    environments: { production: { DEPLOY_KEY: 'correct-horse-battery' } },
    ...extra,
  });
}

describe('the workflow runner', () => {
  it('runs jobs in needs order with if:, outputs, artifacts and environment secrets as GitHub does', async (t) => {
    const run = await tiny(t, TINY);
    assert.deepEqual(run.order, ['first', 'second', 'after-failure', 'after-success']);
    assert.deepEqual(Object.fromEntries(Object.entries(run.jobs).map(([id, j]) => [id, j.result])), {
      first: 'success',
      second: 'failure',
      'after-failure': 'success',
      'after-success': 'skipped',
    });
    assert.deepEqual(run.jobs.first!.outputs, { word: 'hello octocat-7', lines: 'a\nb' });
    const second = run.jobs.second!;
    assert.deepEqual(
      second.steps.map((s) => [s.id, s.outcome]),
      [
        ['__0', 'success'],
        ['fails', 'failure'],
        ['never', 'skipped'],
        ['cleanup', 'success'],
      ],
    );
    assert.equal(second.steps[1]!.code, 3);
    assert.equal(second.steps[1]!.stdout.trim(), 'the key is ***', 'secrets are masked in the log');
    assert.deepEqual(second.outputs, { seen: 'failure skipped' });
    // The environment's secret reached the job that names it, and not the one after.
    assert.equal(run.jobs['after-failure']!.steps[0]!.outcome, 'success');
  });

  it('refuses what it does not run, and overrides of nothing, by name', async (t) => {
    const uses = TINY.replace('actions/upload-artifact@v4', 'actions/cache@v4');
    await assert.rejects(
      tiny(t, uses),
      /jobs\.first\.steps\[2\]: uses actions\/cache@v4, which this runner does not emulate/,
    );
    const shell = TINY.replace('      - id: never\n', '      - id: never\n        shell: pwsh\n');
    await assert.rejects(tiny(t, shell), /jobs\.second\.steps\[2\]: shell: not something this runner runs/);
    await assert.rejects(
      tiny(t, TINY, { overrides: { inputs: { 'first.nope': { x: '1' } } } }),
      /override of first\.nope's inputs: .* has no step nope in job first/,
    );
    await assert.rejects(tiny(t, TINY, { overrides: { env: { IMAGE: 'x' } } }), /override of env IMAGE/);
    await assert.rejects(
      tiny(t, TINY, { environments: {} }),
      /environment production, which the test does not give/,
    );
    const typo = TINY.replace("steps.fails.outcome == 'failure'", 'step.fails.outcome');
    await assert.rejects(tiny(t, typo), /expression .*step\.fails\.outcome/);
  });
});
