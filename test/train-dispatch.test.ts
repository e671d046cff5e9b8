/**
 * train-dispatch on the real test node (test/support/kube-node.ts): the example trainer's image runs
 * as Jobs, trains iris and pushes it to the node's registry; evaluate-model takes the model by
 * reference; two workers really meet at rank 0's port through a Service; failures come back with
 * the cluster's reason and the log tail; a cancelled training leaves nothing behind; the same
 * inputs twice train once; and the `local` target does the same on this machine.
 *
 * Pods cannot reach the registry on 127.0.0.1 (their loopback is their own), so a TCP door on the
 * node's bridge address (10.213.0.1, which pods reach and this machine owns) leads to it: the model
 * reference the step outputs names that address, and works from here too. The CLI runs from the
 * sources (packages/cli/src/bin.ts) and the image carries a CLI bundled from them, so nothing here
 * depends on a fresh dist/.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { Registry } from '../packages/core/src/oci/client.ts';
import { until } from './support/kube-api.ts';
import { type KubeNode, kubeNodeFixture } from './support/kube-node.ts';
import { startRegistry } from './support/registry.ts';
import { cleanEnv, NODE, ROOT, run, tempDir } from './support/run.ts';
import { podRegistry } from './support/tcp-proxy.ts';
import { trainerImage } from './support/trainer-image.ts';

const kube = kubeNodeFixture();
const SOURCE_CLI = join(ROOT, 'packages/cli/src/bin.ts');
const TRAINING = 'modelship.dev/training';

interface Trained {
  code: number | null;
  stdout: string;
  stderr: string;
  out: Record<string, string>;
  report: Record<string, unknown> & { reason?: string; logTail: string[]; status: string };
}

const uniqueRepo = (registry: string) => `${registry}/acme/iris-trained-${randomBytes(4).toString('hex')}`;

function args(flags: Record<string, string>): string[] {
  return Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
}

async function trainDispatch(
  t: TestContext,
  flags: Record<string, string>,
  kubeconfig?: string,
): Promise<Trained> {
  const dir = await tempDir(t);
  const report = join(dir, 'train-dispatch.json');
  // The kubeconfig travels in the environment, as a CI secret would, never on the command line.
  const r = await run(NODE, [SOURCE_CLI, 'train-dispatch', ...args({ report, ...flags })], {
    cwd: ROOT,
    env: cleanEnv(kubeconfig ? { MODELSHIP_INPUT_KUBECONFIG: kubeconfig } : {}),
  });
  const out = r.code === 0 || r.code === 1 ? (JSON.parse(r.stdout) as Record<string, string>) : {};
  const parsed = out.report ? JSON.parse(await readFile(report, 'utf8')) : { logTail: [], status: 'none' };
  return { ...r, out, report: parsed };
}

async function kubernetesFlags(
  t: TestContext,
  node: KubeNode,
  ns: string,
  extra: Record<string, string> = {},
) {
  const registry = await podRegistry(t, node);
  return {
    target: 'kubernetes',
    image: await trainerImage(t, node.registry),
    namespace: ns,
    registry: uniqueRepo(registry),
    'insecure-registry': 'true',
    'data-digest': `sha256:${'a'.repeat(64)}`,
    'code-paths': 'examples/data',
    deadline: '5m',
    ...extra,
  };
}

/** Everything a training leaves in the namespace: Jobs, pods, Services, ConfigMaps, Secrets by its label. */
async function leftovers(node: KubeNode, ns: string): Promise<string[]> {
  const selector = encodeURIComponent(TRAINING);
  const paths = {
    job: `/apis/batch/v1/namespaces/${ns}/jobs`,
    pod: `/api/v1/namespaces/${ns}/pods`,
    service: `/api/v1/namespaces/${ns}/services`,
    configmap: `/api/v1/namespaces/${ns}/configmaps`,
    secret: `/api/v1/namespaces/${ns}/secrets`,
  };
  const found: string[] = [];
  for (const [kind, path] of Object.entries(paths)) {
    const list = await node.api.call<{ items: { metadata: { name: string } }[] }>(
      'GET',
      `${path}?labelSelector=${selector}`,
    );
    for (const o of list.items) found.push(`${kind}/${o.metadata.name}`);
  }
  return found;
}

/**
 * After a training ends its objects are deleted; Kubernetes removes the stopped pods a moment later
 * (on a loaded machine the kubelet takes its time over a pod it must kill: a generous deadline).
 */
const nothingLeft = (node: KubeNode, ns: string) =>
  until(
    'nothing of the training left',
    async () => ((await leftovers(node, ns)).length ? undefined : true),
    180_000,
    async () => (await leftovers(node, ns)).join(', '),
  );

describe('train-dispatch on Kubernetes', { timeout: 30 * 60_000 }, () => {
  it('trains iris in a Job that pushes the model, which evaluate-model takes by reference; the same inputs again are a skip', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const flags = await kubernetesFlags(t, node, ns, {
      params: 'iterations=200',
      cpu: '500m',
      memory: '256Mi',
    });
    const first = await trainDispatch(t, flags, node.kubeconfig);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.out.skipped, 'false');
    assert.match(
      first.out.model!,
      new RegExp(`^${flags.registry.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`),
    );
    assert.match(first.out.key!, /^sha256:[0-9a-f]{64}$/);
    // The pod's log streamed into the step's, prefixed by rank.
    assert.match(first.stderr, /\[rank 0\] rank=0 world_size=1/);
    assert.match(first.stderr, /\[rank 0\] training accuracy \d+/);
    await nothingLeft(node, ns);

    const dir = await tempDir(t);
    const evaluated = await run(
      NODE,
      [
        SOURCE_CLI,
        'evaluate-model',
        ...args({
          model: first.out.model!,
          data: join(ROOT, 'examples/data/iris-test.csv'),
          'label-column': 'species',
          'insecure-registry': 'true',
          report: join(dir, 'evaluate.json'),
        }),
      ],
      { cwd: dir, env: cleanEnv() },
    );
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const metrics = JSON.parse(evaluated.stdout) as { accuracy: number };
    assert.ok(metrics.accuracy > 0.8, `accuracy ${metrics.accuracy}`);

    const second = await trainDispatch(t, flags, node.kubeconfig);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.out.skipped, 'true');
    assert.equal(second.out.model, first.out.model);
    assert.equal(second.out.key, first.out.key);
    assert.doesNotMatch(second.stderr, /\[rank 0\]/, 'nothing ran');
  });

  it('with workers: 2, each pod gets its rank and rank 1 meets rank 0 at the Service', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const flags = await kubernetesFlags(t, node, ns, { workers: '2', params: 'iterations=50' });
    const r = await trainDispatch(t, flags, node.kubeconfig);
    assert.equal(r.code, 0, r.stderr);
    const addr = /MASTER_ADDR (10\.214\.\d+\.\d+):29500/.exec(r.stderr)?.[1];
    assert.ok(addr, `the step names the Service's ClusterIP: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`\\[rank 0\\] rank=0 world_size=2 master=${addr}:29500 pet_nnodes=2 pet_node_rank=0`),
    );
    assert.match(
      r.stderr,
      new RegExp(`\\[rank 1\\] rank=1 world_size=2 master=${addr}:29500 pet_nnodes=2 pet_node_rank=1`),
    );
    assert.match(r.stderr, /\[rank 0\] rendezvous: rank 1 connected/);
    assert.match(
      r.stderr,
      new RegExp(`\\[rank 1\\] rendezvous: rank 1 connected to rank 0 at ${addr}:29500`),
    );
    assert.match(r.out.model!, /@sha256:/);
    await nothingLeft(node, ns);
  });

  it('a training that exits 3 fails with the exit code and the last log lines', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const r = await trainDispatch(
      t,
      await kubernetesFlags(t, node, ns, { params: 'fail-with=3' }),
      node.kubeconfig,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.report.status, 'failed');
    assert.equal(r.report.reason, 'rank 0: exit code 3');
    assert.ok(
      r.report.logTail.some((l) => l.includes('training diverged: loss is NaN')),
      r.report.logTail.join('\n'),
    );
    assert.equal(r.out.model, '');
    await nothingLeft(node, ns);
  });

  it('a training over its memory limit fails as OOMKilled', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const flags = await kubernetesFlags(t, node, ns, { memory: '96Mi', params: 'allocate-mib=400' });
    const r = await trainDispatch(t, flags, node.kubeconfig);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.report.reason ?? '', /^rank 0: OOMKilled/);
  });

  it('a training past its deadline fails with the deadline as the reason', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const flags = await kubernetesFlags(t, node, ns, { params: 'sleep-seconds=300', deadline: '15s' });
    const r = await trainDispatch(t, flags, node.kubeconfig);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.report.reason ?? '', /^deadline: /);
    await nothingLeft(node, ns);
  });

  it('a cancelled training leaves nothing behind', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const flags = await kubernetesFlags(t, node, ns, { workers: '2', params: 'sleep-seconds=600' });
    const report = join(await tempDir(t), 'train-dispatch.json');
    const child = spawn(NODE, [SOURCE_CLI, 'train-dispatch', ...args({ ...flags, report })], {
      cwd: ROOT,
      env: cleanEnv({ MODELSHIP_INPUT_KUBECONFIG: node.kubeconfig }),
    });
    t.after(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Cancel once both ranks are really running (their first log lines arrived).
    await until(
      'both ranks running',
      async () => (/\[rank 1\] rank=1/.test(stderr) && /\[rank 0\] rank=0/.test(stderr) ? true : undefined),
      180_000,
      () => stderr,
    );
    assert.notDeepEqual(await leftovers(node, ns), []);
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 143, stderr);
    assert.deepEqual(await leftovers(node, ns), [], stderr);
  });
});

describe('train-dispatch on the runner (local target)', { timeout: 10 * 60_000 }, () => {
  it('trains with the command here, pushes the model annotated with its key, skips an unchanged training, and trains again when forced', async (t) => {
    const registry = await startRegistry(t);
    const repository = `${registry.host}/acme/iris-local`;
    const flags = {
      target: 'local',
      command: `${NODE}\nexamples/trainer/main.ts`,
      params: 'iterations=40',
      'data-digest': `sha256:${'b'.repeat(64)}`,
      'code-paths': 'examples/data',
      registry: repository,
    };
    const first = await trainDispatch(t, flags);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.out.skipped, 'false');
    assert.match(first.stderr, /\[local\] training accuracy/);
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(first.out.model!)?.[1];
    assert.ok(digest, first.out.model);
    const client = await Registry.connect(registry.host);
    const manifest = JSON.parse((await client.getManifest('acme/iris-local', digest)).bytes.toString()) as {
      annotations: Record<string, string>;
    };
    assert.equal(manifest.annotations['dev.modelship.training.key'], first.out.key);
    assert.equal(manifest.annotations['dev.modelship.training.param.iterations'], '40');
    assert.equal(manifest.annotations['dev.modelship.training.data-digest'], flags['data-digest']);

    // The trained model as evaluate-model's baseline (the champion), by reference like `model`.
    const dir = await tempDir(t);
    const compared = await run(
      NODE,
      [
        SOURCE_CLI,
        'evaluate-model',
        ...args({
          model: join(ROOT, 'examples/models/challenger.onnx'),
          baseline: first.out.model!,
          data: join(ROOT, 'examples/data/iris-test.csv'),
          'label-column': 'species',
          report: join(dir, 'evaluate.json'),
        }),
      ],
      { cwd: dir, env: cleanEnv() },
    );
    assert.equal(compared.code, 0, compared.stderr);
    const report = JSON.parse(await readFile(join(dir, 'evaluate.json'), 'utf8')) as {
      baseline: { metrics: { accuracy: number } } | null;
    };
    assert.ok(report.baseline && report.baseline.metrics.accuracy > 0.8, JSON.stringify(report.baseline));

    const second = await trainDispatch(t, flags);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.out.skipped, 'true');
    assert.equal(second.out.model, first.out.model);
    assert.doesNotMatch(second.stderr, /\[local\]/, 'nothing ran');

    const forced = await trainDispatch(t, { ...flags, force: 'true' });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.out.skipped, 'false');
    assert.match(forced.stderr, /\[local\] training accuracy/);
    // The trainer is deterministic: the same data and params give the same bytes, so the same digest.
    assert.equal(forced.out.model, first.out.model);
  });

  it('a failing command is a failed training with its exit code and last lines', async (t) => {
    const r = await trainDispatch(t, {
      target: 'local',
      command: `${NODE}\nexamples/trainer/main.ts`,
      params: 'fail-with=4',
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.report.reason, 'exit code 4');
    assert.ok(r.report.logTail.includes('training diverged: loss is NaN'), r.report.logTail.join('\n'));
  });
});
