/**
 * examples/github/lifecycle.yml run on the real test node by test/support/workflow-runner.ts:
 * the file itself, its jobs in `needs` order, its `if:` and `${{ }}` wiring evaluated by GitHub's
 * evaluator, modelship's bundled actions (dist/) as the runner starts them, against the node, its
 * registry and real traffic. v1 is in production first (seeded through the CLI, as an earlier
 * run would have left it: an image built from a model artifact, deployed, and the registry's
 * `production` stage on it); then the push that makes run 2: validate → train (a Job on the node)
 * → evaluate against the model production holds → package → a canary with analysis, promoted →
 * the watch passes → no rollback.
 *
 * Pods cannot reach the registry on 127.0.0.1 (their loopback is their own), so the trained
 * model goes through a TCP door on the node's bridge address (as in train-dispatch.test.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { Registry } from '../packages/core/src/oci/client.ts';
import { resolveStage, stageHistory } from '../packages/core/src/versions/stages.ts';
import { pushNodeBaseImage } from './support/kube-base-image.ts';
import { deployRollout, narrowKubeconfig, releases, servesOnly } from './support/kube-deploy.ts';
import { type KubeNode, kubeNodeFixture } from './support/kube-node.ts';
import { startLoad } from './support/load-generator.ts';
import { irisRows } from './support/monitor-models.ts';
import { CLI, cleanEnv, NODE, ROOT, run, tempDir } from './support/run.ts';
import { podRegistry } from './support/tcp-proxy.ts';
import { trainerImage } from './support/trainer-image.ts';
import { runWorkflow, type WorkflowRun } from './support/workflow-runner.ts';

const kube = kubeNodeFixture();

/** build-image through the CLI, for the seed: its `image` output. */
async function buildImage(t: TestContext, flags: Record<string, string>): Promise<string> {
  const args = Object.entries({ push: 'true', ...flags }).flatMap(([k, v]) => [`--${k}`, v]);
  const r = await run(NODE, [CLI, 'build-image', ...args], {
    cwd: await tempDir(t),
    env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }),
  });
  if (r.code !== 0) throw new Error(`build-image failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { image: string }).image;
}

/**
 * Production before the run: the example's default model as an artifact, v1 built from it (so
 * the image records the artifact, as the workflow's package job does), deployed and promoted.
 */
async function seedV1(
  t: TestContext,
  node: KubeNode,
  repos: { image: string; artifact: string },
  ns: string,
) {
  const artifact = await buildImage(t, {
    model: join(ROOT, 'examples/models/challenger.onnx'),
    name: repos.artifact,
    tags: 'seed',
    runtime: 'artifact',
  });
  const image = await buildImage(t, {
    model: artifact,
    name: repos.image,
    tags: 'v1',
    'base-image': await pushNodeBaseImage(node.registry),
  });
  const deployed = await deployRollout(t, node, {
    image,
    app: 'iris',
    namespace: ns,
    replicas: '4',
    'promote-stage': 'production',
  });
  assert.equal(deployed.code, 0, deployed.stderr);
  return { artifact, image };
}

const results = (r: WorkflowRun) => Object.fromEntries(r.order.map((id) => [id, r.jobs[id]!.result]));
const step = (r: WorkflowRun, job: string, id: string) => r.jobs[job]!.steps.find((s) => s.id === id)!;

/** Every step's log, for a failure message. */
const logs = (r: WorkflowRun) =>
  r.order
    .flatMap((j) => r.jobs[j]!.steps.map((s) => `--- ${j}.${s.id} ${s.outcome}\n${s.stdout}\n${s.stderr}`))
    .join('\n');

describe('the GitHub lifecycle workflow on a real node', { timeout: 30 * 60_000 }, () => {
  it('a push with v1 in production: trained, evaluated against production, packaged, canaried, promoted and watched, with no rollback', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const training = await node.namespace(t);
    const models = await node.namespace(t);
    // Repositories of this test's own (the node's registry is shared by every test running now),
    // ending in `iris`: build-image names the model after the repository's last component.
    const owner = `acme-${randomBytes(4).toString('hex')}`;
    const door = await podRegistry(t, node);
    const repos = {
      image: `${node.registry}/${owner}/iris`,
      trained: `${door}/${owner}/iris-trained`,
      artifact: `${node.registry}/${owner}/iris-trained`,
    };
    const [v1, trainer, base, monitorKubeconfig] = await Promise.all([
      seedV1(t, node, repos, models),
      trainerImage(t, node.registry),
      pushNodeBaseImage(node.registry),
      // What the workflow's header says monitoring needs: read-only, list pods and get pods/proxy.
      narrowKubeconfig(node, models, 'monitor', [
        { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
        { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
      ]),
    ]);
    const admin = await readFile(node.kubeconfig, 'utf8');
    const svc = await node.api.call<{ spec: { clusterIP: string } }>(
      'GET',
      `/api/v1/namespaces/${models}/services/iris`,
    );
    const rows = await irisRows();
    let load: ReturnType<typeof startLoad> | undefined;

    const started = Date.now();
    const wf = await runWorkflow(t, {
      file: 'examples/github/lifecycle.yml',
      checkout: ['examples'],
      github: {
        run_number: 2,
        repository: 'acme/iris',
        actor: 'octocat',
        ref_name: 'main',
        event_name: 'push',
      },
      vars: { TRAINER_IMAGE: trainer },
      // The node's registry asks for no credentials: any token will do.
      secrets: {
        GITHUB_TOKEN: 'ghs_not-a-real-token',
        TRAINING_KUBECONFIG: admin,
        MONITOR_KUBECONFIG: monitorKubeconfig,
      },
      environments: { production: { KUBECONFIG: admin }, 'production-rollback': { KUBECONFIG: admin } },
      // Where this machine differs from github.com; everything else comes from the file.
      overrides: {
        env: {
          // The node's registry instead of ghcr.io, in repositories of this test's own.
          IMAGE: repos.image,
          TRAINED: repos.trained,
          // The test's namespace instead of `models`.
          NAMESPACE: models,
        },
        inputs: {
          // The test's namespace instead of `training`; the registry door speaks plain HTTP and
          // is not on localhost, so each step that pulls the trained model is told so.
          'train.train': { namespace: training, 'insecure-registry': 'true' },
          'evaluate.eval': { 'insecure-registry': 'true' },
          // The node's own Node 24 base (nothing is pulled from Docker Hub here), and no
          // attestation: it needs GitHub's OIDC token, which only a GitHub job has.
          'package.build': { 'base-image': base, attest: 'false', 'insecure-registry': 'true' },
          // Shorter timings: minutes of analysis are for production.
          'deploy.deploy': { 'analysis-interval': '10s', 'analysis-count': '2' },
          'monitor.watch': { interval: '10s', count: '2' },
        },
      },
      // Real traffic from the canary's first step to the end of the watch.
      beforeJob: (job) => {
        if (job === 'deploy') load = startLoad(t, { host: svc.spec.clusterIP, rows });
      },
      log: (line) => t.diagnostic(line),
    });
    t.diagnostic(`the workflow ran in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const traffic = await load?.stop();
    t.diagnostic(`traffic while deploy and monitor ran: ${JSON.stringify(traffic)}`);

    assert.deepEqual(
      results(wf),
      {
        data: 'success',
        train: 'success',
        evaluate: 'success',
        package: 'success',
        deploy: 'success',
        monitor: 'success',
        rollback: 'skipped',
      },
      logs(wf),
    );
    const {
      data,
      train,
      evaluate,
      package: pkg,
      deploy,
      monitor,
    } = wf.jobs as Record<string, WorkflowRun['jobs'][string]>;
    const warnings = wf.order.flatMap((j) =>
      wf.jobs[j]!.steps.flatMap((s) => s.warnings.map((w) => `${j}.${s.id}: ${w}`)),
    );
    assert.deepEqual(warnings, [], 'every input the workflow gives, the action declares');

    await t.test('the traffic was answered all along (endpoints moving aside)', () => {
      const { network: _, ...answered } = traffic!.byStatus;
      assert.deepEqual(Object.keys(answered), ['200'], JSON.stringify(traffic));
    });

    await t.test('outputs flow as the file wires them', () => {
      assert.match(data!.outputs['data-digest']!, /^sha256:[0-9a-f]{64}$/);
      assert.equal(step(wf, 'train', 'train').with['data-digest'], data!.outputs['data-digest']);
      assert.deepEqual(train!.outputs.skipped, 'false', 'a real training ran');
      assert.ok(train!.outputs.model!.startsWith(`${repos.trained}@sha256:`), train!.outputs.model);
      assert.equal(step(wf, 'evaluate', 'eval').with.model, train!.outputs.model);
      assert.equal(step(wf, 'package', 'build').with.model, train!.outputs.model);
      assert.equal(step(wf, 'package', 'build').with.tags, `v2\n${wf.sha}\n`);
      assert.ok(pkg!.outputs.image!.startsWith(`${repos.image}@sha256:`), pkg!.outputs.image);
      assert.equal(pkg!.outputs.image, `${repos.image}@${pkg!.outputs.digest}`);
      assert.equal(step(wf, 'deploy', 'deploy').with.image, pkg!.outputs.image);
      assert.equal(deploy!.outputs.status, 'promoted');
      assert.equal(deploy!.outputs['previous-image'], v1.image);
      assert.equal(step(wf, 'monitor', 'watch').with['canary-version'], 'v2');
      assert.deepEqual(monitor!.outputs, { verdict: 'passed', 'failed-metrics': '' });
    });

    await t.test('evaluate compared with the model production held, found through its image', async () => {
      const evalStep = step(wf, 'evaluate', 'eval');
      assert.equal(evalStep.with.baseline, `${repos.image}:production`);
      // The log line that says which model the stage's image was built from.
      const resolved = evalStep.stdout.split('\n').find((l) => l.startsWith(`${repos.image}:production `));
      assert.ok(resolved?.endsWith(` the model ${v1.artifact}`), resolved ?? evalStep.stdout);
      assert.equal(evaluate!.outputs.passed, 'true');
      const report = JSON.parse(
        await readFile(join(wf.artifacts, 'evaluate-model-report', 'evaluate-model.json'), 'utf8'),
      );
      // The seed's model (26 of 30 right), not the fallback the file names (examples/models/baseline.onnx).
      const seed = await stat(join(ROOT, 'examples/models/challenger.onnx'));
      assert.equal(report.baseline.bytes, seed.size);
      assert.equal(report.baseline.metrics.accuracy, 26 / 30);
    });

    await t.test(
      'v2 serves alone, with the release history and the production stage to show it',
      async () => {
        await servesOnly(node, models, 'v2');
        const [latest, previous] = await releases(node, models, 'iris');
        assert.equal(latest!.image, pkg!.outputs.image);
        assert.equal(latest!.version, 'v2');
        assert.equal(latest!.facts?.['org.opencontainers.image.version'], 'v2');
        assert.equal(latest!.status, 'promoted');
        assert.equal(latest!.commit, wf.sha);
        assert.equal(latest!.stage, 'production');
        assert.equal(String(latest!.revision), deploy!.outputs.revision);
        assert.deepEqual(
          latest!.steps.map((s) => [s.name, s.outcome]),
          [
            ['apply', 'done'],
            ['25%', 'done'],
            ['analysis', 'done'],
            ['50%', 'done'],
            ['analysis', 'done'],
            ['100%', 'done'],
          ],
        );
        assert.equal(previous!.image, v1.image);
        const registry = await Registry.connect(node.registry);
        const repo = repos.image.slice(node.registry.length + 1);
        assert.equal(await resolveStage(registry, repo, 'production'), pkg!.outputs.digest);
        const [moved] = await stageHistory(registry, repo, 'production');
        assert.equal(moved!.previous, v1.image.split('@')[1]);
      },
    );

    await t.test('each job that writes a report uploaded it', async () => {
      assert.deepEqual((await readdir(wf.artifacts)).sort(), [
        'deploy-rollout-report',
        'evaluate-model-report',
        'monitor-gate-report',
        'validate-data-report',
      ]);
    });
  });
});
