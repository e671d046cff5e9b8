/**
 * The bundled evaluate-model action, run as the GitHub runner runs it, in a pull request whose
 * comments live in a recorded-shape fake of GitHub's API on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { linearClassifier } from '../packages/core/src/onnx/models.ts';
import { runAction as runAction_ } from './support/action.ts';
import { FakeGitHub } from './support/forge-fakes.ts';
import { trainReference, writeModelFiles } from './support/models.ts';
import { ROOT, tempDir } from './support/run.ts';

const TOKEN = 'ghs_evaluateModelToken0123456789abcdef';

const runAction = (dir: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction_('evaluate-model', dir, inputs, { GITHUB_REPOSITORY: 'octo-org/models', ...env });

describe('evaluate-model as a GitHub Action', () => {
  let gh: FakeGitHub;
  before(async () => {
    gh = await new FakeGitHub(TOKEN).start();
  });
  after(() => gh?.close());

  it('gates, writes outputs and the job summary, and keeps one pull request comment up to date', async (t) => {
    const dir = await tempDir(t);
    const event = join(dir, 'event.json');
    await writeFile(event, JSON.stringify({ pull_request: { number: gh.pull } }));
    const inputs = {
      model: 'examples/models/challenger.onnx',
      baseline: 'examples/models/baseline.onnx',
      data: 'examples/data/iris-test.csv',
      'label-column': 'species',
      gates: 'accuracy >= 0.8\nf1_macro >= baseline.f1_macro - 0.01',
      report: join(dir, 'report.json'),
      comment: 'true',
      token: TOKEN,
    };
    const env = { GITHUB_EVENT_PATH: event, GITHUB_API_URL: gh.url };
    const first = await runAction(dir, inputs, env);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(first.outputs.passed, 'true');
    assert.equal(first.outputs.report, inputs.report);
    assert.match(first.outputs.accuracy!, /^0\.\d+$/);
    assert.deepEqual(Object.keys(JSON.parse(first.outputs.metrics!)).slice(0, 2), [
      'accuracy',
      'balanced_accuracy',
    ]);
    assert.match(first.summary, /^## ✅ modelship evaluate-model\n\n\*\*All 2 gates passed/);
    assert.match(first.summary, /\| ✅ \| `accuracy >= 0.8` \|/);
    assert.match(first.summary, /\| accuracy \| 0\.\d+ \| 0\.\d+ \| \+0\.\d+ ▲ better \| \[/);
    assert.match(first.summary, /```mermaid\nxychart-beta/);
    assert.ok(
      !first.stdout.includes(TOKEN) || /::add-mask::/.test(first.stdout),
      'the token is only ever masked',
    );
    assert.ok(!first.stdout.replace(`::add-mask::${TOKEN}`, '').includes(TOKEN));

    const second = await runAction(dir, { ...inputs, gates: 'accuracy >= 0.99' }, env);
    assert.equal(second.code, 1);
    assert.match(
      second.stdout,
      /^::error title=gate%3A accuracy >= 0.99::observed 0\.\d+, required >= 0.99$/m,
    );
    const ours = gh.comments.filter((c) => c.body.startsWith('<!-- modelship:evaluate-model -->'));
    assert.equal(ours.length, 1, 'one comment, updated');
    assert.match(ours[0]!.body, /❌ modelship evaluate-model/);
  });

  it('runs the GPU example workflow on a runner without a GPU by falling back to CPU', async (t) => {
    const workflow = parse(await readFile(join(ROOT, 'examples/github/evaluate-gpu.yml'), 'utf8'));
    const steps = Object.values(
      workflow.jobs as Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>,
    )
      .flatMap((j) => j.steps)
      .filter((s) => s.uses?.includes('actions/evaluate-model'));
    assert.equal(steps.length, 1);
    const dir = await tempDir(t);
    const withInputs = { ...steps[0]!.with!, device: 'auto', report: join(dir, 'report.json') };
    const r = await runAction(dir, withInputs);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /::notice::device auto: running on CPU, because no NVIDIA GPU is visible/);
    const cuda = await runAction(dir, { ...steps[0]!.with! });
    assert.equal(cuda.code, 2);
    assert.match(cuda.stdout, /::error.*device 'cuda' was requested but no NVIDIA GPU is visible/);
  });

  it('scores a model sklearn fitted exactly as sklearn does, from the bundle', async (t) => {
    const ref = trainReference({
      task: 'classification',
      data: { csv: join(ROOT, 'examples/data/iris-train.csv'), label: 'species' },
      evaluate: { csv: join(ROOT, 'examples/data/iris-test.csv') },
    });
    const models = await writeModelFiles(t, {
      model: linearClassifier({ weights: ref.weights, bias: ref.bias, classLabels: ref.classes.map(String) }),
    });
    const dir = await tempDir(t);
    const r = await runAction(dir, {
      model: models.model,
      data: 'examples/data/iris-test.csv',
      'label-column': 'species',
      report: join(dir, 'report.json'),
    });
    assert.equal(r.code, 0, r.stdout);
    const correct = ref.predict.filter((p, i) => p === ref.evaluate.y![i]).length;
    assert.equal(Number(r.outputs.accuracy), correct / ref.predict.length);
  });
});
