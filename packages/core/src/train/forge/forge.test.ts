/**
 * The github and gitlab targets against recorded-shape fakes of both APIs on 127.0.0.1: the
 * model comes back byte for byte, failures carry the forge's words and the log tail, a run that
 * never appears is a failure, a refused token one line, a 429 another attempt, and a cancelled
 * step cancels the remote run.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  FakeGitHubActions,
  FakeGitLabPipelines,
  MODEL_BYTES,
} from '../../../../../test/support/forge-train-fakes.ts';
import { InputError } from '../../errors.ts';
import type { Logger } from '../../platform/port.ts';
import type { TrainDispatchInputs } from '../../steps/train-dispatch/spec.ts';
import type { TrainOutcome, TrainRequest } from '../target.ts';
import { githubTarget } from './github.ts';
import { gitlabTarget } from './gitlab.ts';
import type { ForgeTuning } from './poll.ts';

const TOKEN = 'ghp_forgeTestToken0123456789';
const TRIGGER = 'glptt-triggerToken0123456789';

const tuning: ForgeTuning = {
  poll: { firstMs: 10, maxMs: 40 },
  appearMs: 300,
  retry: { tries: 3, baseMs: 10, maxMs: 1_000 },
};

const request: TrainRequest = {
  key: 'sha256:77a1',
  params: { epochs: '3' },
  env: {},
  artifactRepository: undefined,
  annotations: {},
};

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (m: string) => void lines.push(`${level}: ${m}`);
  return {
    lines,
    info: put('info'),
    warn: put('warn'),
    notice: put('notice'),
    debug: put('debug'),
    progress: put('progress'),
  };
}

const baseInputs = {
  ref: 'main',
  inputs: [] as string[],
  artifact: 'model',
  'gitlab-url': 'https://gitlab.com',
} as const;

const asInputs = (o: Record<string, unknown>) => ({ ...baseInputs, ...o }) as unknown as TrainDispatchInputs;

const outcomes: TrainOutcome[] = [];
const leftovers = async () =>
  (await readdir(tmpdir())).filter((n) => n.startsWith('modelship-forge-')).sort();
after(async () => {
  for (const o of outcomes) if (o.modelFile) await rm(dirname(o.modelFile), { recursive: true, force: true });
});

async function train(
  run: (r: TrainRequest, ctx: { log: Logger; signal: AbortSignal }) => Promise<TrainOutcome>,
  signal = new AbortController().signal,
) {
  const log = recorder();
  const outcome = await run(request, { log, signal });
  outcomes.push(outcome);
  return { outcome, log };
}

describe('github', () => {
  let gh: FakeGitHubActions;
  before(async () => {
    gh = await new FakeGitHubActions(TOKEN).start();
  });
  after(() => gh.close());
  beforeEach(() => {
    gh.runDetails = 'details';
    gh.plans.length = 0;
    gh.failures.length = 0;
    gh.seen.length = 0;
    gh.blobSeen.length = 0;
  });
  const target = (o: Record<string, unknown> = {}) =>
    githubTarget(
      asInputs({
        target: 'github',
        repository: gh.repository,
        workflow: gh.workflow,
        token: TOKEN,
        'api-url': gh.url,
        ...o,
      }),
      tuning,
    );

  test('a run that succeeds hands on the model from its artifact; the token never reaches the blob store', async () => {
    gh.plan({
      polls: 3,
      artifacts: {
        model: [
          { name: 'out/model.onnx', data: MODEL_BYTES },
          { name: 'metrics.json', data: '{}' },
        ],
      },
    });
    const { outcome, log } = await train(target({ inputs: ['dataset=s3://acme/v7'] }).run);
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    assert.ok((await readFile(outcome.modelFile!)).equals(MODEL_BYTES));
    const run = gh.runs.at(-1)!;
    assert.equal(outcome.runUrl, `https://github.com/acme/trainer/actions/runs/${run.id}`);
    assert.deepEqual(run.inputs, { dataset: 's3://acme/v7', epochs: '3' });
    assert.ok(
      log.lines.some((l) => /^progress: run \d+ in_progress, \d of 2 jobs done/.test(l)),
      log.lines.join('\n'),
    );
    assert.equal(gh.blobSeen.length, 1);
    assert.equal(gh.blobSeen[0]!.headers.authorization, undefined);
    assert.ok(gh.seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}` && !s.url.includes(TOKEN)));
  });

  test('without run details, the marker input finds the run', async () => {
    gh.runDetails = 'refused';
    // A run of someone else's, dispatched at the same moment, is not ours.
    gh.dispatchedElsewhere({ polls: 1, artifacts: {} });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    const dispatches = gh.seen.filter((s) => s.url.endsWith('/dispatches'));
    assert.equal(dispatches.length, 2);
    const marker = gh.runs.at(-1)!.inputs['modelship-dispatch-id'];
    assert.match(marker ?? '', /^[0-9a-f-]{36}$/);
    assert.ok((await readFile(outcome.modelFile!)).equals(MODEL_BYTES));
  });

  test('a server that ignores return_run_details: the one new run is ours, two at once are refused', async () => {
    gh.runDetails = 'ignored';
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    assert.equal(outcome.runUrl, `https://github.com/acme/trainer/actions/runs/${gh.runs.at(-1)!.id}`);

    gh.dispatchedElsewhere();
    const other = await train(target().run);
    assert.equal(other.outcome.status, 'succeeded', 'a run from before the dispatch is not a candidate');
    gh.dispatchedElsewhere({}, { withNext: true });
    const again = await train(target().run);
    assert.equal(again.outcome.status, 'failed');
    assert.match(again.outcome.reason!, /^2 runs of train\.yml were dispatched on main at the same time/);
  });

  test('an artifact with several models needs its path, and leaves nothing behind', async () => {
    const files = [
      { name: 'a.onnx', data: 'a' },
      { name: 'b.onnx', data: 'b' },
    ];
    gh.plan({ artifacts: { model: files } });
    const before = await leftovers();
    const e = await target()
      .run(request, { log: recorder(), signal: new AbortController().signal })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InputError, String(e));
    assert.equal(
      e.render(),
      "artifact: the artifact 'model' holds 2 files and 2 .onnx files (a.onnx, b.onnx). Name the model file inside it: model:path/of/the/model.",
    );
    assert.deepEqual(await leftovers(), before);
    gh.plan({ artifacts: { model: files } });
    const { outcome } = await train(target({ artifact: 'model:b.onnx' }).run);
    assert.equal(await readFile(outcome.modelFile!, 'utf8'), 'b');
  });

  test('an API that is not there is one line naming api-url', async () => {
    const closed = await new FakeGitHubActions(TOKEN).start();
    await closed.close();
    const e = await target({ 'api-url': closed.url })
      .run(request, { log: recorder(), signal: new AbortController().signal })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.where?.path, 'api-url');
    assert.match(e.render(), /no API answers at http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED|refused/);
  });

  test('a run that fails gives its conclusion, its URL and the tail of the failed job', async () => {
    gh.plan({
      conclusion: 'failure',
      log: '2024-05-02T09:14:07.1234567Z epoch 1\n2024-05-02T09:14:08.0000000Z CUDA out of memory\n',
    });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.reason!, /^the workflow run concluded failure after/);
    assert.match(outcome.runUrl!, /\/actions\/runs\/\d+$/);
    assert.deepEqual(outcome.logTail, ['[train] epoch 1', '[train] CUDA out of memory']);
  });

  test('a run that never appears is a failure that says how to make it findable', async () => {
    gh.runDetails = 'refused';
    gh.plan({ hidden: true });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.reason!,
      /did not appear within .* must declare the input modelship-dispatch-id and put it in its run-name/,
    );
  });

  test('a refused token is one line naming the token input and what it needs', async () => {
    const e = await target({ token: 'ghp_wrong0123456789' })
      .run(request, { log: recorder(), signal: new AbortController().signal })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.where?.path, 'token');
    assert.match(
      e.render(),
      /GitHub rejected the token \(401: Bad credentials\)\. Pass a fine-grained token with "Actions: read and write"/,
    );
    assert.doesNotMatch(e.render(), /ghp_wrong/);
  });

  test('an unknown workflow names the repository and the workflow', async () => {
    const e = await target({ workflow: 'nope.yml' })
      .run(request, { log: recorder(), signal: new AbortController().signal })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InputError);
    assert.match(e.render(), /^workflow: workflow 'nope\.yml' of acme\/trainer was not found at http/);
  });

  test('429 on the dispatch and on a poll is waited out and tried again', async () => {
    gh.failures.push(
      { method: 'POST', status: 429, headers: { 'Retry-After': '0' }, path: /dispatches$/ },
      { method: 'GET', status: 429, headers: { 'Retry-After': '0' }, path: /runs\/\d+$/ },
    );
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    assert.equal(gh.seen.filter((s) => s.url.endsWith('/dispatches')).length, 2);
    assert.equal(gh.runs.filter((r) => r.inputs.epochs === '3').length >= 1, true);
    assert.equal(gh.failures.length, 0);
  });

  test('a 502 on the dispatch is not sent again: it may have started a run', async () => {
    gh.failures.push({ method: 'POST', status: 502, path: /dispatches$/ });
    const before = gh.runs.length;
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.equal(
      outcome.reason,
      'the forge failed: POST /repos/acme/trainer/actions/workflows/train.yml/dispatches: 502 Server Error; a run may have started anyway',
    );
    assert.equal(gh.seen.filter((s) => s.url.endsWith('/dispatches')).length, 1);
    assert.equal(gh.runs.length, before);
  });

  test('cancelling the step cancels the run', async () => {
    gh.plan({ polls: 1_000_000 });
    const stop = new AbortController();
    const running = train(target().run, stop.signal);
    while (!gh.seen.some((s) => /\/runs\/\d+\/jobs/.test(s.url))) await new Promise((r) => setTimeout(r, 10));
    stop.abort(new Error('SIGTERM'));
    const { outcome } = await running;
    assert.equal(outcome.status, 'cancelled');
    const run = gh.runs.at(-1)!;
    assert.deepEqual(gh.cancelled.slice(-1), [run.id]);
    assert.equal(run.conclusion, 'cancelled');
  });

  test('a missing artifact is a failure naming those there are', async () => {
    gh.plan({ artifacts: { logs: [{ name: 'a.txt', data: 'x' }] } });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.reason, "the run succeeded but uploaded no artifact named 'model' (it has 'logs')");
  });
});

describe('gitlab', () => {
  let gl: FakeGitLabPipelines;
  before(async () => {
    gl = await new FakeGitLabPipelines(TOKEN, TRIGGER).start();
  });
  after(() => gl.close());
  beforeEach(() => {
    gl.plans.length = 0;
    gl.failures.length = 0;
    gl.seen.length = 0;
  });
  const target = (o: Record<string, unknown> = {}) =>
    gitlabTarget(
      asInputs({
        target: 'gitlab',
        project: gl.projectPath,
        token: TOKEN,
        'trigger-token': TRIGGER,
        'gitlab-url': gl.url,
        ...o,
      }),
      tuning,
    );

  test('a triggered pipeline that succeeds hands on the model from the job artifacts', async () => {
    gl.plan({ polls: 3 });
    const { outcome, log } = await train(target({ inputs: ['DATASET=v7'] }).run);
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    assert.ok((await readFile(outcome.modelFile!)).equals(MODEL_BYTES));
    const run = gl.runs.at(-1)!;
    assert.equal(outcome.runUrl, `https://gitlab.com/acme/trainer/-/pipelines/${run.id}`);
    assert.deepEqual(run.inputs, { DATASET: 'v7', epochs: '3' });
    assert.ok(
      log.lines.some((l) => /^progress: pipeline \d+ running, \d of 2 jobs done/.test(l)),
      log.lines.join('\n'),
    );
    const trigger = gl.seen.find((s) => s.url.endsWith('/trigger/pipeline'))!;
    assert.equal(trigger.headers['private-token'], undefined);
    assert.ok(gl.seen.every((s) => !s.url.includes(TRIGGER) && !s.url.includes(TOKEN)));
  });

  test('without a trigger token the pipeline is created with the token; job:path takes one file', async () => {
    gl.plan({
      artifacts: {
        model: [
          { name: 'out/model.onnx', data: MODEL_BYTES },
          { name: 'out/other.onnx', data: 'x' },
        ],
      },
    });
    const { outcome } = await train(
      target({ 'trigger-token': undefined, artifact: 'model:out/model.onnx' }).run,
    );
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    assert.ok((await readFile(outcome.modelFile!)).equals(MODEL_BYTES));
    assert.ok(gl.seen.some((s) => s.method === 'POST' && s.url.endsWith('/pipeline')));
  });

  test('a pipeline that fails names the job, its reason, and the tail of its trace', async () => {
    gl.plan({
      conclusion: 'failure',
      log: '\x1b[32;1m$ python train.py\x1b[0;m\nsection_end:1714641247:step_script\r\x1b[0KKilled\n',
    });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.reason!,
      /^the pipeline ended failed after .*: job 'train' failed \(script_failure\)$/,
    );
    assert.deepEqual(outcome.logTail, [
      '[train] $ python train.py',
      '[train] \x1b[0KKilled'.replace('\x1b[0K', ''),
    ]);
  });

  test('a wrong trigger token is one line naming trigger-token', async () => {
    const e = await target({ 'trigger-token': 'glptt-wrong' })
      .run(request, { log: recorder(), signal: new AbortController().signal })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.where?.path, 'trigger-token');
    assert.doesNotMatch(e.render(), /glptt-wrong/);
  });

  test('a refused read token is one line naming token and its scope', async () => {
    const e = await target({ token: 'glpat-wrong0123' })
      .run(request, { log: recorder(), signal: new AbortController().signal })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.where?.path, 'token');
    assert.match(
      e.render(),
      /GitLab rejected the token \(401: 401 Unauthorized\)\. Pass a project, group or personal access token with the read_api scope/,
    );
  });

  test('429 while polling is waited out', async () => {
    gl.failures.push({
      method: 'GET',
      status: 429,
      headers: { 'Retry-After': '0' },
      path: /pipelines\/\d+$/,
    });
    gl.failures.push({ method: 'POST', status: 429, headers: { 'Retry-After': '0' }, path: /trigger/ });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'succeeded', outcome.reason);
    assert.equal(gl.failures.length, 0);
  });

  test('a GitLab that keeps failing while the pipeline runs is a failed training with its link, not a crash', async () => {
    gl.plan({ polls: 5 });
    for (let i = 0; i < 3; i++) gl.failures.push({ method: 'GET', status: 503, path: /pipelines\/\d+$/ });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.reason!,
      /^the forge failed: GET \/api\/v4\/projects\/acme%2Ftrainer\/pipelines\/\d+: 503 503 Internal Server Error \(after 3 attempts\)$/,
    );
    assert.equal(outcome.runUrl, `https://gitlab.com/acme/trainer/-/pipelines/${gl.runs.at(-1)!.id}`);
  });

  test('cancelling the step cancels the pipeline', async () => {
    gl.plan({ polls: 1_000_000 });
    const stop = new AbortController();
    const running = train(target().run, stop.signal);
    while (!gl.seen.some((s) => /\/pipelines\/\d+\/jobs/.test(s.url)))
      await new Promise((r) => setTimeout(r, 10));
    stop.abort(new Error('SIGTERM'));
    const { outcome } = await running;
    assert.equal(outcome.status, 'cancelled');
    const run = gl.runs.at(-1)!;
    assert.deepEqual(gl.cancelled.slice(-1), [run.id]);
    assert.equal(run.status, 'canceled');
  });

  test('a job that does not exist is a failure listing the jobs there are', async () => {
    const { outcome } = await train(target({ artifact: 'export' }).run);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.reason, "the pipeline has no job named 'export' (jobs: 'train', 'model')");
  });

  test('a job without artifacts is a failure that says so', async () => {
    gl.plan({ artifacts: {} });
    const { outcome } = await train(target().run);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.reason!,
      /^job 'model' kept no artifacts \(https:\/\/gitlab\.com\/acme\/trainer\/-\/jobs\/\d+\)$/,
    );
  });
});
