/**
 * The lifecycle as a user copies it: examples/gitlab/.gitlab-ci.yml itself, run by gitlab-ci-local
 * with the components of this commit, against the real node, its registry and a training Job on
 * it. Three pushes and a button:
 *
 *   1. the first commit trains and releases v1 (nothing in production yet: the committed baseline);
 *   2. a commit that trains longer gives a good v2, compared with v1 (production's model), rolled
 *      out by canary with analysis, promoted, watched;
 *   3. a commit whose data export swapped two labels in both splits — evaluation on the equally
 *      wrong test split cannot see it, validate-data's univariate checks cannot either — gives a v3
 *      that answers `virginica` for versicolor flowers; live traffic (mostly versicolor) shows the
 *      canary's class mix shifted, its analysis fails, every request goes back to v2, and the
 *      automatic rollback job stays out of it (it is for a failed watch after promotion);
 *   4. the release manager's manual rollback job returns to v1.
 *
 * What differs from a GitLab project is set in one place (`machine`): where the registry is (plain
 * HTTP on this machine, and reached from pods through a door on the node's address), the node's
 * base image, the namespaces, and timings cut from minutes to seconds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Release } from '../packages/core/src/kube/release.ts';
import { Registry } from '../packages/core/src/oci/client.ts';
import { resolveStage, stageHistory } from '../packages/core/src/versions/stages.ts';
import { commit, gcl, project } from './support/gitlab.ts';
import { until } from './support/kube-api.ts';
import { pushNodeBaseImage } from './support/kube-base-image.ts';
import { deployedImage, releases, servesOnly } from './support/kube-deploy.ts';
import { type KubeNode, kubeNodeFixture } from './support/kube-node.ts';
import { startLoad } from './support/load-generator.ts';
import { CLI, NODE, ROOT, tempDir } from './support/run.ts';
import { podRegistry } from './support/tcp-proxy.ts';
import { trainerImage } from './support/trainer-image.ts';

const kube = kubeNodeFixture();
const EXAMPLES = ['data', 'contract.yml', 'models', 'train.ts', 'trainer'];

/** The example pipeline, its components pinned to the commit under test instead of release 1. */
async function examplePipeline(): Promise<string> {
  const text = await readFile(join(ROOT, 'examples/gitlab/.gitlab-ci.yml'), 'utf8');
  const pinned = text.replaceAll(
    /(\$CI_SERVER_FQDN\/modelship\/components\/[\w-]+)@1\b/g,
    '$1@$CI_COMMIT_SHA',
  );
  assert.equal(pinned.match(/@\$CI_COMMIT_SHA/g)?.length, 8, 'every component include was pinned');
  return pinned;
}

interface Machine {
  registry: string;
  repo: string;
  models: string;
  /** `--input component:name=value`: where this machine differs from a GitLab runner. */
  inputs: string[];
  /** Project variables (Settings → CI/CD → Variables), kubeconfigs among them: a file, never a command line. */
  variables: Record<string, string>;
}

async function machine(t: TestContext, node: KubeNode): Promise<Machine> {
  const [training, models] = [await node.namespace(t), await node.namespace(t)];
  // Pods cannot reach 127.0.0.1: the training Job pushes through a door on the node's address, and
  // the steps that pull its model go through the same door, which is plain HTTP too.
  const door = await podRegistry(t, node);
  // A project of its own on the node's registry, which outlives a test run.
  const repo = `acme/lifecycle-${randomBytes(4).toString('hex')}`;
  const kubeconfig = await readFile(node.kubeconfig, 'utf8');
  return {
    registry: node.registry,
    repo,
    models,
    inputs: [
      `cli=${NODE} ${CLI}`, // the CLI bundled from this checkout, not the published one
      `train-dispatch:namespace=${training}`,
      `train-dispatch:registry=${door}/${repo}/iris-trained`,
      'train-dispatch:insecure-registry=true',
      'evaluate-model:insecure-registry=true',
      'build-image:insecure-registry=true',
      // No Docker Hub here: the node's Node 24 base.
      `build-image:base-image=${await pushNodeBaseImage(node.registry)}`,
      'deploy-rollout:analysis-interval=5s',
      'deploy-rollout:analysis-count=2',
      'deploy-rollout:analysis-min-samples=3',
      'monitor-gate:interval=5s',
      'monitor-gate:count=2',
      'monitor-gate:min-samples=3',
    ].flatMap((i) => ['--input', i]),
    variables: {
      CI_REGISTRY: node.registry,
      CI_REGISTRY_IMAGE: `${node.registry}/${repo}`,
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: 'job-token', // the node's registry asks for none
      NAMESPACE: models,
      TRAINING_KUBECONFIG: kubeconfig,
      KUBECONFIG_CONTENT: kubeconfig,
    },
  };
}

/** A push to main: the pipeline with this commit's training image (the team's image job builds it from the commit). */
async function push(t: TestContext, node: KubeNode, dir: string, m: Machine, extra: string[] = []) {
  const trainer = await trainerImage(t, node.registry, join(dir, 'examples/data/iris-train.csv'));
  const variables = { ...m.variables, TRAINER_IMAGE: trainer };
  await writeFile(join(dir, '.gitlab-ci-local-variables.yml'), JSON.stringify(variables));
  const r = await gcl(dir, {}, [...m.inputs, ...extra]);
  return { ...r, log: r.stdout + r.stderr };
}

/** versicolor ↔ virginica in a CSV's label column: the data export's bug. */
async function swapLabels(file: string) {
  const text = await readFile(file, 'utf8');
  const swapped = text.replaceAll(/,(versicolor|virginica)$/gm, (_, s: string) =>
    s === 'versicolor' ? ',virginica' : ',versicolor',
  );
  assert.notEqual(swapped, text);
  await writeFile(file, swapped);
}

/** Live traffic: mostly versicolor flowers, some setosa, as a shop selling one kind would see. */
async function liveRows(): Promise<number[][]> {
  const lines = (await readFile(join(ROOT, 'examples/data/iris.csv'), 'utf8')).trim().split('\n').slice(1);
  const row = (l: string) => l.split(',').slice(0, 4).map(Number);
  const of = (s: string) => lines.filter((l) => l.endsWith(`,${s}`)).map(row);
  return [...of('versicolor'), ...of('setosa').slice(0, 10)];
}

/** The pattern in a pipeline's log; else the failure shows the log's end, where the jobs' verdicts are. */
function seen(run: { log: string }, pattern: RegExp) {
  if (!pattern.test(run.log))
    assert.fail(`${pattern} not in the pipeline's log; its end:\n${run.log.slice(-12_000)}`);
}
function notSeen(run: { log: string }, pattern: RegExp) {
  if (pattern.test(run.log)) assert.fail(`${pattern} in the pipeline's log:\n${run.log.slice(-12_000)}`);
}

const history = (record: Release[]) =>
  record.map((r) => [r.revision, r.kind ?? 'deploy', r.status, r.version]);

describe('the GitLab lifecycle pipeline (examples/gitlab/.gitlab-ci.yml) on the real node', () => {
  it('releases v1, promotes a better v2 by canary, stops a v3 with swapped labels at its analysis, and the manual rollback returns to v1', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const m = await machine(t, node);
    const dir = await tempDir(t);
    await project(dir, await examplePipeline(), EXAMPLES);
    // GitLab numbers a project's pipelines from 1 (CI_PIPELINE_IID, the version here); gitlab-ci-local from 0.
    await mkdir(join(dir, '.gitlab-ci-local'));
    await writeFile(join(dir, '.gitlab-ci-local', 'state.yml'), 'pipelineIid: 0\n');
    // Production has traffic from the moment the app's Service exists: the watch after the first release judges it.
    const load = (async () => {
      const ip = await until(
        'the Service iris',
        async () =>
          (
            await node.api
              .call<{ spec: { clusterIP: string } }>('GET', `/api/v1/namespaces/${m.models}/services/iris`)
              .catch(() => undefined)
          )?.spec.clusterIP,
        600_000,
      );
      return startLoad(t, { host: ip, rows: await liveRows() });
    })();
    const registry = await Registry.connect(m.registry);
    const production = () => resolveStage(registry, `${m.repo}/iris`, 'production');
    const imageOf = async (version: string) =>
      `${m.registry}/${m.repo}/iris@${(await registry.getManifest(`${m.repo}/iris`, version)).digest}`;

    // 1. The first release: nothing holds `production`, so the committed baseline is the model to beat.
    const first = await push(t, node, dir, m);
    assert.equal(first.code, 0, first.log);
    seen(
      first,
      /nothing holds \S+\/acme\/lifecycle-\w+\/iris:production yet: comparing with examples\/models\/baseline\.onnx/,
    );
    seen(first, /has no stable version yet, so there is nothing to compare a canary with/);
    await servesOnly(node, m.models, 'v1', 'iris');
    const v1 = await imageOf('v1');
    assert.equal(await production(), v1.split('@')[1]);

    // 2. Trained longer: a new model, judged against v1's (followed from the stage to its artifact).
    const pipeline = join(dir, '.gitlab-ci.yml');
    const tuned = (await readFile(pipeline, 'utf8')).replace(
      'params: iterations=300',
      'params: iterations=400',
    );
    await writeFile(pipeline, tuned);
    await commit(dir, 'train longer');
    const second = await push(t, node, dir, m);
    assert.equal(second.code, 0, second.log);
    seen(second, /\/iris:production holds the model \S+\/iris-trained@sha256:[0-9a-f]{64}/);
    seen(second, /passed \(score 100\) at 25%/);
    notSeen(second, /rollback-automatic.*(?:started|starting)/i);
    await servesOnly(node, m.models, 'v2', 'iris');
    const v2 = await imageOf('v2');
    assert.equal(await production(), v2.split('@')[1]);

    // 3. The swapped labels: evaluation passes (the test split is wrong the same way), the canary's analysis does not.
    for (const split of ['iris-train.csv', 'iris-test.csv'])
      await swapLabels(join(dir, 'examples/data', split));
    await commit(dir, 'data export: new label mapping');
    const third = await push(t, node, dir, m);
    assert.notEqual(third.code, 0, third.log);
    seen(third, /gates passed|all \d+ gates passed|passed: true/i);
    seen(third, /prediction-shift/);
    await servesOnly(node, m.models, 'v2', 'iris');
    assert.equal(await deployedImage(node, m.models, 'iris'), v2);
    assert.equal(await production(), v2.split('@')[1], 'production still holds v2');
    const afterThird = await releases(node, m.models, 'iris');
    assert.deepEqual(history(afterThird), [
      [3, 'deploy', 'aborted', 'v3'],
      [2, 'deploy', 'promoted', 'v2'],
      [1, 'deploy', 'promoted', 'v1'],
    ]);
    assert.match(afterThird[0]!.reason ?? '', /^analysis at 25%: failed/);

    // 4. The release manager's button, with a target and a reason.
    const manual = await push(t, node, dir, m, [
      'rollback',
      '--variable',
      'ROLLBACK_TARGET=v1',
      '--variable',
      'ROLLBACK_REASON=v2 answers slower than the SLO at peak',
    ]);
    assert.equal(manual.code, 0, manual.log);
    await servesOnly(node, m.models, 'v1', 'iris');
    assert.equal(await production(), v1.split('@')[1]);
    const final = await releases(node, m.models, 'iris');
    assert.deepEqual(history(final).slice(0, 2), [
      [4, 'rollback', 'rolled-back', 'v1'],
      [3, 'deploy', 'aborted', 'v3'],
    ]);
    assert.equal(final[0]!.reason, 'v2 answers slower than the SLO at peak');
    assert.deepEqual(
      (await stageHistory(registry, `${m.repo}/iris`, 'production')).map((p) => p.digest),
      [v1, v2, v1].map((i) => i.split('@')[1]),
    );
    const traffic = await (await load).stop();
    assert.ok(traffic.sent > 0);
  });
});
