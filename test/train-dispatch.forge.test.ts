/**
 * train-dispatch --target github and --target gitlab through the CLI, against the recorded-shape
 * fakes of both APIs (test/support/forge-train-fakes.ts) and a real registry: the trained model
 * comes back from the run's artifact, is pushed as an OCI artifact and named by digest; the same
 * inputs again are a skip without a dispatch; a failed pipeline is exit 1 with its reason and log
 * tail; a refused token is exit 2 with one line. The CLI runs from the sources, so nothing here
 * depends on a fresh dist/; tokens travel in the environment, as CI secrets do.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { Registry } from '../packages/core/src/oci/client.ts';
import { FakeGitHubActions, FakeGitLabPipelines } from './support/forge-train-fakes.ts';
import { imageClassifier } from './support/models.ts';
import { startRegistry } from './support/registry.ts';
import { cleanEnv, NODE, ROOT, run, tempDir } from './support/run.ts';

const SOURCE_CLI = join(ROOT, 'packages/cli/src/bin.ts');
const TOKEN = 'ghp_e2eForgeToken0123456789';
const TRIGGER = 'glptt-e2eTrigger0123456789';
const MODEL = Buffer.from(imageClassifier());

async function trainDispatch(t: TestContext, flags: Record<string, string>, secrets: Record<string, string>) {
  const dir = await tempDir(t);
  const report = join(dir, 'train-dispatch.json');
  const argv = Object.entries({ report, ...flags }).flatMap(([k, v]) => [`--${k}`, v]);
  const env = cleanEnv({
    ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [`MODELSHIP_INPUT_${k}`, v])),
    // What the step downloads lands in the test's own folder, removed with it.
    TMPDIR: dir,
  });
  const r = await run(NODE, [SOURCE_CLI, 'train-dispatch', ...argv], { cwd: ROOT, env });
  const out = r.code === 0 || r.code === 1 ? (JSON.parse(r.stdout) as Record<string, string>) : {};
  const parsed = out.report ? JSON.parse(await readFile(report, 'utf8')) : {};
  return { ...r, out, report: parsed as { reason?: string; logTail?: string[]; status?: string } };
}

async function fakeGitHub(t: TestContext) {
  const gh = await new FakeGitHubActions(TOKEN).start();
  t.after(() => gh.close());
  return gh;
}

test('github: the run trains, its artifact becomes the model by digest, and the same inputs again are a skip', async (t) => {
  const [gh, registry] = await Promise.all([fakeGitHub(t), startRegistry(t)]);
  gh.plan({ polls: 2, artifacts: { model: [{ name: 'iris.onnx', data: MODEL }] } });
  const repository = `${registry.host}/acme/iris-trained`;
  const flags = {
    target: 'github',
    repository: gh.repository,
    workflow: gh.workflow,
    'api-url': gh.url,
    params: 'epochs=3',
    inputs: 'dataset=s3://acme/v7',
    registry: repository,
    'insecure-registry': 'true',
  };
  const first = await trainDispatch(t, flags, { TOKEN });
  assert.equal(first.code, 0, first.stderr);
  const runId = gh.runs.at(-1)!.id;
  assert.equal(first.out['run-url'], `https://github.com/acme/trainer/actions/runs/${runId}`);
  assert.equal(first.out.skipped, 'false');
  assert.match(first.out.model!, new RegExp(`^${repository}@sha256:[0-9a-f]{64}$`));
  assert.deepEqual(gh.runs.at(-1)!.inputs, { dataset: 's3://acme/v7', epochs: '3' });
  assert.doesNotMatch(first.stdout + first.stderr, new RegExp(TOKEN));

  // The pushed artifact's one layer is the model, byte for byte.
  const reg = await Registry.connect(registry.host, { insecure: true });
  const digest = first.out.model!.split('@')[1]!;
  const manifest = JSON.parse((await reg.getManifest('acme/iris-trained', digest)).bytes.toString('utf8'));
  const chunks: Buffer[] = [];
  for await (const c of await reg.readBlob('acme/iris-trained', manifest.layers[0].digest))
    chunks.push(c as Buffer);
  assert.ok(Buffer.concat(chunks).equals(MODEL));

  const dispatches = gh.seen.filter((s) => s.url.endsWith('/dispatches')).length;
  const second = await trainDispatch(t, flags, { TOKEN });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.out.skipped, 'true');
  assert.equal(second.out.model, first.out.model);
  assert.equal(gh.seen.filter((s) => s.url.endsWith('/dispatches')).length, dispatches);
});

test('github: a refused token is exit 2 and one line naming the token input', async (t) => {
  const gh = await fakeGitHub(t);
  const r = await trainDispatch(
    t,
    { target: 'github', repository: gh.repository, workflow: gh.workflow, 'api-url': gh.url },
    { TOKEN: 'ghp_notTheRightOne0000' },
  );
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => /rejected/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /token.*GitHub rejected the token \(401: Bad credentials\)/);
  assert.doesNotMatch(r.stderr, /ghp_notTheRightOne|\n\s+at /);
});

test('gitlab: a pipeline that fails is exit 1 with the failed job, its reason and the tail of its trace', async (t) => {
  const gl = await new FakeGitLabPipelines(TOKEN, TRIGGER).start();
  t.after(() => gl.close());
  gl.plan({ conclusion: 'failure', log: 'loading data\nRuntimeError: CUDA out of memory\n' });
  const r = await trainDispatch(
    t,
    { target: 'gitlab', project: gl.projectPath, 'gitlab-url': gl.url, params: 'epochs=3' },
    { TOKEN, 'TRIGGER-TOKEN': TRIGGER },
  );
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.out.skipped, 'false');
  assert.equal(r.out['run-url'], `https://gitlab.com/acme/trainer/-/pipelines/${gl.runs.at(-1)!.id}`);
  assert.match(
    r.report.reason!,
    /^the pipeline ended failed after .*: job 'train' failed \(script_failure\)$/,
  );
  assert.deepEqual(r.report.logTail, ['[train] loading data', '[train] RuntimeError: CUDA out of memory']);
  // The pipeline got the params and what the job needs to know about the training.
  assert.equal(gl.runs.at(-1)!.inputs.epochs, '3');
  assert.match(gl.runs.at(-1)!.inputs.MODELSHIP_TRAINING_KEY ?? '', /^sha256:/);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${TOKEN}|${TRIGGER}`));
});

test('gitlab: a pipeline that succeeds hands its job artifact on as the model', async (t) => {
  const [registry, gl] = await Promise.all([
    startRegistry(t),
    new FakeGitLabPipelines(TOKEN, TRIGGER).start(),
  ]);
  t.after(() => gl.close());
  gl.plan({ artifacts: { model: [{ name: 'out/iris.onnx', data: MODEL }] } });
  const r = await trainDispatch(
    t,
    {
      target: 'gitlab',
      project: gl.projectId,
      'gitlab-url': gl.url,
      registry: `${registry.host}/acme/iris-gl`,
      'insecure-registry': 'true',
    },
    { TOKEN, 'TRIGGER-TOKEN': TRIGGER },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.out.model!, /^127\.0\.0\.1:\d+\/acme\/iris-gl@sha256:[0-9a-f]{64}$/);
  assert.equal(r.out.skipped, 'false');
  assert.match(r.out['run-url']!, /^https:\/\/gitlab\.com\/acme\/trainer\/-\/pipelines\/\d+$/);
});

test('gitlab: SIGTERM cancels the pipeline before the step exits 143', async (t) => {
  const gl = await new FakeGitLabPipelines(TOKEN, TRIGGER).start();
  t.after(() => gl.close());
  gl.plan({ polls: 1_000_000 });
  const dir = await tempDir(t);
  const flags = {
    target: 'gitlab',
    project: gl.projectPath,
    'gitlab-url': gl.url,
    report: join(dir, 'r.json'),
  };
  const argv = Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
  const child = spawn(NODE, [SOURCE_CLI, 'train-dispatch', ...argv], {
    cwd: ROOT,
    env: cleanEnv({ MODELSHIP_INPUT_TOKEN: TOKEN, 'MODELSHIP_INPUT_TRIGGER-TOKEN': TRIGGER, TMPDIR: dir }),
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Once the step is following the pipeline, the runner cancels the job.
  while (!gl.seen.some((s) => /\/pipelines\/\d+\/jobs/.test(s.url)))
    await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  assert.equal(await exited, 143, stderr);
  const run = gl.runs.at(-1)!;
  assert.deepEqual(gl.cancelled, [run.id]);
  assert.equal(run.status, 'canceled');
  assert.match(stderr, new RegExp(`cancelled https://gitlab\\.com/acme/trainer/-/pipelines/${run.id}`));
});
