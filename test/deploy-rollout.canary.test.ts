/**
 * deploy-rollout's canaries on the real test node (a file of their own so the slowest rollouts run
 * beside the other deploy tests): the share of answers from each version at each step of the
 * replicas router, the HTTPRoute weights of the gateway-api router, and every request back on
 * stable when a canary cannot start or the job is cancelled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installHttpRouteCrd } from './support/gateway-crd.ts';
import { until } from './support/kube-api.ts';
import {
  deployedImage,
  deployRollout,
  releases,
  serveImage,
  startCli,
  versionAnswering,
} from './support/kube-deploy.ts';
import { kubeNodeFixture } from './support/kube-node.ts';
import { tempDir } from './support/run.ts';

const kube = kubeNodeFixture();

const deploy = deployRollout;

describe('deploy-rollout canaries on a real node', { timeout: 20 * 60_000 }, () => {
  it('canary through the replicas router: at each step the share of answers from the new version is what the pod split says (binomial tolerance), then promotes', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '4' };
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const svc = await node.api.call<{ spec: { clusterIP: string } }>(
      'GET',
      `/api/v1/namespaces/${ns}/services/iris`,
    );

    const dir = await tempDir(t);
    const cli = startCli(t, dir, node.kubeconfig, [
      'deploy-rollout',
      '--image',
      v2,
      '--strategy',
      'canary',
      '--steps',
      '25%, pause 30s, 50%, pause 30s',
      ...Object.entries(app)
        .flat()
        .map((v, i) => (i % 2 ? v : `--${v}`)),
    ]);
    const { exited } = cli;

    for (const canaryPods of [1, 2]) {
      // The split is in place once the Service's ready endpoints are it and the new version has answered.
      await until(
        `${canaryPods} canary and ${4 - canaryPods} stable endpoints`,
        async () => {
          const ep = await node.api.call<{ subsets?: { addresses?: { targetRef?: { name: string } }[] }[] }>(
            'GET',
            `/api/v1/namespaces/${ns}/endpoints/iris`,
          );
          const pods = (ep.subsets ?? [])
            .flatMap((s) => s.addresses ?? [])
            .map((a) => a.targetRef?.name ?? '');
          const canary = pods.filter((p) => p.startsWith('iris-canary-')).length;
          return canary === canaryPods && pods.length === 4 ? true : undefined;
        },
        60_000,
        () => cli.stderr,
      );
      await until(
        'an answer from the canary',
        async () => ((await versionAnswering(svc.spec.clusterIP)) === 'v2' ? true : undefined),
        20_000,
      );
      const n = 200;
      const p = canaryPods / 4;
      const tolerance = 4.5 * Math.sqrt(n * p * (1 - p));
      const sample = async () => {
        let k = 0;
        for (let i = 0; i < n; i++) if ((await versionAnswering(svc.spec.clusterIP)) === 'v2') k++;
        return k;
      };
      // kube-proxy programs the new endpoints a moment after the API server lists them: a sample
      // that straddles the change is taken again, once, before the split is judged.
      let fromCanary = await sample();
      if (Math.abs(fromCanary - n * p) > tolerance) fromCanary = await sample();
      t.diagnostic(`${canaryPods}/4 canary pods: ${fromCanary} of ${n} answers from the canary`);
      assert.ok(
        Math.abs(fromCanary - n * p) <= tolerance,
        `${fromCanary} of ${n} answers from the canary at ${p * 100}% (expected ${n * p} ± ${tolerance.toFixed(1)})`,
      );
    }

    assert.equal(await exited, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).status, 'promoted');
    assert.equal(await deployedImage(node, ns, 'iris'), v2);
    const canary = await node.api.call<{ spec: { replicas: number } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/iris-canary`,
    );
    assert.equal(canary.spec.replicas, 0);
    const [release] = await releases(node, ns, 'iris');
    assert.deepEqual(
      release!.steps.map((s) => [s.name, s.weight, s.outcome]),
      [
        ['apply', 0, 'done'],
        ['25%', 25, 'done'],
        ['pause 30s', 25, 'done'],
        ['50%', 50, 'done'],
        ['pause 30s', 50, 'done'],
        ['100%', 100, 'done'],
      ],
    );
  });

  it('canary: a canary that cannot start aborts with every request back on stable; SIGTERM mid-canary does the same before exiting', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '2' };
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const replicas = async (name: string) =>
      (
        await node.api.call<{ spec: { replicas: number } }>(
          'GET',
          `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
        )
      ).spec.replicas;

    const crashing = await deploy(t, node, {
      ...app,
      image: v2,
      strategy: 'canary',
      steps: '50%',
      env: 'MODELSHIP_MODEL=/models/missing.onnx',
    });
    assert.equal(crashing.code, 1, crashing.stderr);
    assert.equal(crashing.out.status, 'aborted');
    assert.match(crashing.stderr, /CrashLoopBackOff \(pod iris-canary-/);
    assert.deepEqual(
      [await replicas('iris'), await replicas('iris-canary')],
      [2, 0],
      'stable back to 2 pods, canary to none',
    );
    assert.equal(
      await deployedImage(node, ns, 'iris'),
      v1,
      "the stable Deployment's template was never touched",
    );

    const dir = await tempDir(t);
    const cli = startCli(t, dir, node.kubeconfig, [
      'deploy-rollout',
      '--image',
      v2,
      '--app',
      'iris',
      '--namespace',
      ns,
      '--replicas',
      '2',
      '--strategy',
      'canary',
      '--steps',
      '50%, pause 10m',
    ]);
    const { child, exited } = cli;
    await until(
      'the canary to hold at 50%',
      async () => (/step 2 of 3: pause 600s/.test(cli.stderr) ? true : undefined),
      120_000,
      () => cli.stderr,
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 143, cli.stderr);
    assert.deepEqual([await replicas('iris'), await replicas('iris-canary')], [2, 0]);
    assert.equal(await deployedImage(node, ns, 'iris'), v1);
    const [latest] = await releases(node, ns, 'iris');
    assert.deepEqual(
      [latest!.status, latest!.steps.map((s) => [s.name, s.outcome])],
      [
        'cancelled',
        [
          ['apply', 'done'],
          ['50%', 'done'],
          ['pause 600s', 'cancelled'],
          ['abort', 'done'],
        ],
      ],
    );
  });

  it("canary through the gateway-api router: the HTTPRoute on the API server carries each step's exact weights and the canary header route", async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    await installHttpRouteCrd(node);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    assert.equal((await deploy(t, node, { image: v1, app: 'iris', namespace: ns, replicas: '2' })).code, 0);
    const dir = await tempDir(t);
    const cli = startCli(t, dir, node.kubeconfig, [
      'deploy-rollout',
      '--image',
      v2,
      '--app',
      'iris',
      '--namespace',
      ns,
      '--replicas',
      '2',
      '--strategy',
      'canary',
      '--traffic',
      'gateway-api',
      '--gateway',
      'infra/public',
      '--steps',
      '25%, pause 20s, 60%, pause 20s',
    ]);
    const { exited } = cli;
    interface Route {
      spec: {
        parentRefs: { name: string; namespace?: string }[];
        rules: {
          matches?: { headers: { name: string; value: string }[] }[];
          backendRefs: { name: string; weight?: number }[];
        }[];
      };
    }
    const route = () =>
      node.api.call<Route>('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/iris`);
    const weights = (r: Route) => r.spec.rules[1]!.backendRefs.map((b) => `${b.name}=${b.weight}`).join(',');
    for (const w of [25, 60]) {
      const seen = await until(
        `the HTTPRoute at ${w}%`,
        async () => {
          const r = await route().catch(() => undefined);
          return r && weights(r) === `iris-stable=${100 - w},iris-canary=${w}` ? r : undefined;
        },
        90_000,
        () => cli.stderr,
      );
      assert.deepEqual(seen.spec.parentRefs, [{ name: 'public', namespace: 'infra' }]);
      assert.deepEqual(seen.spec.rules[0], {
        matches: [{ headers: [{ name: 'x-model-version', value: 'canary' }] }],
        backendRefs: [{ name: 'iris-canary', port: 80 }],
      });
    }
    assert.equal(await exited, 0, cli.stderr);
    assert.equal(
      weights(await route()),
      'iris-stable=100,iris-canary=0',
      'promoted: all traffic on stable, which runs v2',
    );
    assert.equal(await deployedImage(node, ns, 'iris'), v2);
    const svc = await node.api.call<{ spec: { selector: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}/services/iris-canary`,
    );
    assert.equal(svc.spec.selector['modelship.dev/track'], 'canary');
  });
});
