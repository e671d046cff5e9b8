/**
 * deploy-rollout on the real test node, beyond test/deploy-rollout.test.ts: a canary held at a bare
 * `pause` and resumed by a later run; a shadow canary that gets a mirrored copy of requests; several
 * versions live at once behind one route. The CLI is the bundle (dist/cli.mjs), as users run it:
 * bundle again before running these against changed sources.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installHttpRouteCrd } from './support/gateway-crd.ts';
import { until } from './support/kube-api.ts';
import {
  deployment,
  deployRollout,
  releases,
  serveImage,
  servesOnly,
  versionAnswering,
} from './support/kube-deploy.ts';
import { kubeNodeFixture } from './support/kube-node.ts';
import { STACK } from './support/run.ts';

const kube = kubeNodeFixture();

const deploy = deployRollout;

describe('deploy-rollout on a real node, more', { timeout: 20 * 60_000 }, () => {
  it('a bare pause holds the canary (status paused, exit 0); another image is refused naming it; the same image resumes the same release to promotion', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '2' };
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const canary = { ...app, image: v2, strategy: 'canary', steps: '50%, pause, 100%' };

    const held = await deploy(t, node, canary);
    assert.equal(held.code, 0, held.stderr);
    assert.equal(held.out.status, 'paused');
    assert.match(held.stderr, /paused at step 2 of 3 with the canary at 50%/);
    const [paused] = await releases(node, ns, 'iris');
    assert.equal(paused!.status, 'paused');
    assert.deepEqual(paused!.pausedAt, { step: 2, of: 3, weight: 50 });
    assert.equal((await deployment(node, ns, 'iris-canary')).spec.replicas, 1, 'the canary keeps its pod');
    assert.equal((await deployment(node, ns, 'iris')).spec.replicas, 1);

    const other = await deploy(t, node, { ...app, image: v1 });
    assert.equal(other.code, 2, other.stderr);
    const line = other.stderr.trim().split('\n').at(-1)!;
    assert.match(
      line,
      new RegExp(
        `--image: release ${paused!.revision} of iris \\(.+\\) is paused at step 2 of 3 with the canary at 50%; .* Resume it by running deploy-rollout again with that image`,
      ),
    );
    assert.doesNotMatch(other.stderr, STACK);
    assert.equal((await deployment(node, ns, 'iris-canary')).spec.replicas, 1, 'nothing was touched');

    const resumed = await deploy(t, node, canary);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.out.status, 'promoted');
    assert.equal(resumed.out.revision, paused!.revision, 'the same release goes on');
    const [done] = await releases(node, ns, 'iris');
    assert.equal(done!.revision, paused!.revision);
    assert.equal(done!.status, 'promoted');
    assert.equal(done!.pausedAt, undefined);
    assert.deepEqual(
      done!.steps.map((s) => [s.name, s.weight, s.outcome]),
      [
        ['apply', 0, 'done'],
        ['50%', 50, 'done'],
        ['pause', 50, 'done'],
        ['resume', 50, 'done'],
        ['100%', 100, 'done'],
      ],
    );
    assert.equal((await deployment(node, ns, 'iris')).spec.template.spec.containers[0]!.image, v2);
    assert.equal((await deployment(node, ns, 'iris-canary')).spec.replicas, 0);
  });

  it('gateway-api with mirror: the HTTPRoute copies that share to the canary from a shadow phase at 0% through each step, and drops the filter at promotion', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    await installHttpRouteCrd(node);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '2' };
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const canary = {
      ...app,
      image: v2,
      strategy: 'canary',
      traffic: 'gateway-api',
      gateway: 'infra/public',
      mirror: '20',
      steps: 'pause, 25%, pause, 100%',
    };
    interface Rule {
      filters?: unknown[];
      backendRefs: { name: string; weight?: number }[];
    }
    const rule = async () =>
      (
        await node.api.call<{ spec: { rules: Rule[] } }>(
          'GET',
          `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/iris`,
        )
      ).spec.rules[1]!;
    const weights = (r: Rule) => r.backendRefs.map((b) => `${b.name}=${b.weight}`).join(',');
    const mirror = [
      {
        type: 'RequestMirror',
        requestMirror: { backendRef: { name: 'iris-canary', port: 80 }, percent: 20 },
      },
    ];

    const shadow = await deploy(t, node, canary);
    assert.equal(shadow.code, 0, shadow.stderr);
    assert.equal(shadow.out.status, 'paused');
    let r = await rule();
    assert.equal(weights(r), 'iris-stable=100,iris-canary=0', 'the shadow answers no one');
    assert.deepEqual(r.filters, mirror);
    assert.equal(
      (await deployment(node, ns, 'iris-canary')).spec.replicas,
      1,
      'a shadow pod takes the copies',
    );

    const quarter = await deploy(t, node, canary);
    assert.equal(quarter.code, 0, quarter.stderr);
    assert.match(quarter.stderr, /paused at step 3 of 4 with the canary at 25%/);
    r = await rule();
    assert.equal(weights(r), 'iris-stable=75,iris-canary=25');
    assert.deepEqual(r.filters, mirror);

    const promoted = await deploy(t, node, canary);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(promoted.out.status, 'promoted');
    r = await rule();
    assert.equal(weights(r), 'iris-stable=100,iris-canary=0');
    assert.equal(r.filters, undefined, 'no copies once promoted');
    const [release] = await releases(node, ns, 'iris');
    assert.deepEqual(
      release!.steps.map((s) => [s.name, s.weight]),
      [
        ['apply', 0],
        ['0%', 0],
        ['pause', 0],
        ['resume', 0],
        ['25%', 25],
        ['pause', 25],
        ['resume', 25],
        ['100%', 100],
      ],
    );
  });

  it('mirror without gateway-api is refused in one line before the cluster is touched', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const r = await deploy(t, node, {
      app: 'iris',
      namespace: 'nowhere',
      image: `${node.registry}/acme/iris@sha256:${'0'.repeat(64)}`,
      strategy: 'canary',
      mirror: '10',
    });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim().split('\n').at(-1),
      "error: --mirror: mirroring requests needs traffic gateway-api (the HTTPRoute's RequestMirror filter), not replicas. Set --traffic to gateway-api, or --mirror to 0.",
    );
  });

  it('versions: each version its own Deployment and Service, one HTTPRoute splitting by weight with a header rule per version; the single Deployment goes, a second new version is refused', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    await installHttpRouteCrd(node);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '2' };
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const routed = { ...app, strategy: 'versions', traffic: 'gateway-api', gateway: 'infra/public' };

    const first = await deploy(t, node, { ...routed, image: v1, versions: 'v1=100' });
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await deployment(node, ns, 'iris-v1')).spec.replicas, 2);
    assert.equal((await deployment(node, ns, 'iris')).spec.replicas, 0, 'the single Deployment is replaced');

    const both = await deploy(t, node, { ...routed, image: v2, versions: 'v1=80, v2=20' });
    assert.equal(both.code, 0, both.stderr);
    assert.equal(both.out.status, 'promoted');
    assert.equal((await deployment(node, ns, 'iris-v1')).spec.replicas, 2, 'ceil(2 × 80%)');
    const v2d = await deployment(node, ns, 'iris-v2');
    assert.equal(v2d.spec.replicas, 1, 'ceil(2 × 20%)');
    assert.equal(v2d.spec.template.spec.containers[0]!.image, v2);
    const route = await node.api.call<{
      spec: { rules: { matches?: unknown[]; backendRefs: { name: string; weight?: number }[] }[] };
    }>('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/iris`);
    assert.deepEqual(route.spec.rules, [
      {
        matches: [{ headers: [{ name: 'x-model-version', value: 'v1' }] }],
        backendRefs: [{ name: 'iris-v1', port: 80 }],
      },
      {
        matches: [{ headers: [{ name: 'x-model-version', value: 'v2' }] }],
        backendRefs: [{ name: 'iris-v2', port: 80 }],
      },
      {
        backendRefs: [
          { name: 'iris-v1', port: 80, weight: 80 },
          { name: 'iris-v2', port: 80, weight: 20 },
        ],
      },
    ]);
    // Each version's own Service answers with that version's model alone, through the node's kube-proxy.
    for (const v of ['v1', 'v2']) await servesOnly(node, ns, v, `iris-${v}`);

    const two = await deploy(t, node, { ...routed, image: v2, versions: 'v1=50, v5=25, v6=25' });
    assert.equal(two.code, 2, two.stderr);
    assert.match(
      two.stderr.trim().split('\n').at(-1)!,
      /^error: --versions: versions v5 and v6 are not running, and one deploy brings up one version\. Deploy them one at a time/,
    );
    assert.doesNotMatch(two.stderr, STACK);
    assert.equal((await deployment(node, ns, 'iris-v2')).spec.replicas, 1, 'nothing was touched');
  });

  it('versions through the replicas router: the shares are pod counts behind the app Service, which answers from both versions', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '4', strategy: 'versions' };
    assert.equal((await deploy(t, node, { ...app, image: v1, versions: 'v1=100' })).code, 0);
    const both = await deploy(t, node, { ...app, image: v2, versions: 'v1=75, v2=25' });
    assert.equal(both.code, 0, both.stderr);
    assert.equal((await deployment(node, ns, 'iris-v1')).spec.replicas, 3, 'round(4 × 75%)');
    assert.equal((await deployment(node, ns, 'iris-v2')).spec.replicas, 1, 'round(4 × 25%)');
    const svc: { spec: { clusterIP: string } } = await node.api.call(
      'GET',
      `/api/v1/namespaces/${ns}/services/iris`,
    );
    // kube-proxy picks an endpoint per connection, so answers come from both versions; polled (a
    // refused connection included), because it reprograms the Service a moment after the API server changed.
    const seen = new Set<string>();
    await until(
      'answers from both versions through the app Service',
      async () => {
        const version = await versionAnswering(svc.spec.clusterIP).catch(() => undefined);
        if (version) seen.add(version);
        return seen.size >= 2 ? true : undefined;
      },
      90_000,
      () => [...seen].join(', '),
    );
    assert.deepEqual([...seen].sort(), ['v1', 'v2']);
  });

  it('versions, then rolling: a failed deploy leaves the versions serving as they were; a promoted one scales them to zero, and the Service answers with the new version alone', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2, v3] = await Promise.all([
      serveImage(t, node, 'v1'),
      serveImage(t, node, 'v2'),
      serveImage(t, node, 'v3'),
    ]);
    const app = { app: 'iris', namespace: ns, replicas: '2' };
    const replicas = () =>
      Promise.all(
        ['iris-v1', 'iris-v2', 'iris'].map(async (name) => (await deployment(node, ns, name)).spec.replicas),
      );
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const versioned = { ...app, strategy: 'versions' };
    assert.equal((await deploy(t, node, { ...versioned, image: v1, versions: 'v1=100' })).code, 0);
    const both = await deploy(t, node, { ...versioned, image: v2, versions: 'v1=50, v2=50' });
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(await replicas(), [1, 1, 0]);

    const missing = `${node.registry}/acme/iris@sha256:${'2'.repeat(64)}`;
    const failed = await deploy(t, node, { ...app, image: missing });
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.out.status, 'aborted');
    assert.deepEqual(
      await replicas(),
      [1, 1, 0],
      'the versions serve as before, and the app Deployment they had retired stays at zero',
    );

    const rolled = await deploy(t, node, { ...app, image: v3 });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(rolled.out.status, 'promoted');
    await servesOnly(node, ns, 'v3');
    assert.deepEqual(await replicas(), [0, 0, 2], 'the versions are kept, at zero');
    const retired = 'iris-v1, iris-v2 (from an earlier versions deploy) scaled to zero';
    assert.deepEqual(rolled.report.release.steps.map((s) => [s.name, s.outcome, s.seen]).at(-1), [
      'retire',
      'done',
      retired,
    ]);
    assert.ok(rolled.stderr.includes(`retired: ${retired}`), rolled.stderr);
  });

  it("versions through gateway-api, then rolling: the promoted deploy points the HTTPRoute at the app's Service on the same gateway, not at the retired versions", async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    await installHttpRouteCrd(node);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '1' };
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const routed = { ...app, strategy: 'versions', traffic: 'gateway-api', gateway: 'infra/public' };
    const versioned = await deploy(t, node, { ...routed, image: v1, versions: 'v1=100' });
    assert.equal(versioned.code, 0, versioned.stderr);
    type Route = {
      spec: { parentRefs: unknown[]; rules: { backendRefs: { name: string; port: number }[] }[] };
    };
    const route = () =>
      node.api.call<Route>('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/iris`);
    assert.deepEqual((await route()).spec.rules.at(-1)?.backendRefs, [
      { name: 'iris-v1', port: 80, weight: 100 },
    ]);

    const rolled = await deploy(t, node, { ...app, image: v2 });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(rolled.out.status, 'promoted');
    assert.equal((await deployment(node, ns, 'iris-v1')).spec.replicas, 0);
    const after = await route();
    assert.deepEqual(after.spec.parentRefs, [{ name: 'public', namespace: 'infra' }]);
    assert.deepEqual(after.spec.rules, [{ backendRefs: [{ name: 'iris', port: 80 }] }]);
    const moved = 'HTTPRoute iris sends to Service iris (it sent to the retired versions)';
    assert.ok(rolled.stderr.includes(`retired: ${moved}`), rolled.stderr);
    // The Service the route now names answers with the new version.
    await servesOnly(node, ns, 'v2');
  });

  it('versions, then canary: the app Deployment they retired is no stable version, so the canary is rolled out, and its abort brings nothing old back', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '2' };
    const replicas = () =>
      Promise.all(['iris-v1', 'iris'].map(async (name) => (await deployment(node, ns, name)).spec.replicas));
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const versioned = await deploy(t, node, { ...app, strategy: 'versions', image: v1, versions: 'v1=100' });
    assert.equal(versioned.code, 0, versioned.stderr);
    assert.deepEqual(await replicas(), [2, 0]);

    const canaried = { ...app, strategy: 'canary', steps: '50%, 100%' };
    const missing = `${node.registry}/acme/iris@sha256:${'3'.repeat(64)}`;
    const failed = await deploy(t, node, { ...canaried, image: missing });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /iris's own Deployment is scaled to zero .*rolling it out/);
    assert.deepEqual(await replicas(), [2, 0], 'the version serves alone; the retired one stays at zero');

    const promoted = await deploy(t, node, { ...canaried, image: v2 });
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(promoted.out.status, 'promoted');
    assert.deepEqual(
      promoted.report.release.steps.map((s) => s.name),
      ['apply', 'rollout', 'retire'],
      'rolled out, then the versions retired',
    );
    assert.deepEqual(await replicas(), [0, 2]);
    await servesOnly(node, ns, 'v2');
  });
});
