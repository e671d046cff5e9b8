/**
 * rollback on the real test node (test/support/kube-node.ts): the serve image of the example model
 * deployed as v1 then v2, and rolled back — cold, warm after blue-green and after a kept-warm
 * canary, during a canary, twice, racing a deploy, across an API server outage — with answers that
 * say which version served, the registry stage moved back, and the record and history of it all.
 * Runs the bundled CLI (dist/cli.mjs), as users do, for both steps; the automatic rollback a failed
 * deploy starts, and the registry's stage, are driven and read through the library's sources.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import { connectKube } from '../packages/core/src/kube/connect.ts';
import type { Release } from '../packages/core/src/kube/release.ts';
import { rollBackAutomatically } from '../packages/core/src/kube/rollback/automatic.ts';
import { Registry } from '../packages/core/src/oci/client.ts';
import { resolveStage } from '../packages/core/src/versions/stages.ts';
import { until } from './support/kube-api.ts';
import {
  deployment,
  deployRollout,
  releases,
  runStep,
  serveImage,
  servesOnly,
  startCli,
} from './support/kube-deploy.ts';
import { type KubeNode, kubeNodeFixture } from './support/kube-node.ts';
import { STACK, tempDir } from './support/run.ts';
import { tcpProxy } from './support/tcp-proxy.ts';

const kube = kubeNodeFixture();

const deploy = (t: TestContext, node: KubeNode, flags: Record<string, string>) =>
  deployRollout(t, node, { app: 'iris', ...flags });

const rollback = (t: TestContext, node: KubeNode, flags: Record<string, string>) =>
  runStep(t, node, 'rollback', { app: 'iris', deadline: '3m', ...flags }, { env: { USER: 'oncall' } });

/** The CLI started as the user `oncall`, for a test that acts while it runs; killed when the test ends. */
const start = async (t: TestContext, args: string[], kubeconfig: string, env: Record<string, string> = {}) =>
  startCli(t, await tempDir(t), kubeconfig, args, { USER: 'oncall', ...env });

/** Until the process has written a line matching `re` to stderr. */
const said = (p: { stderr: string }, re: RegExp, what: string) =>
  until(
    what,
    async () => (re.test(p.stderr) ? true : undefined),
    5 * 60_000,
    () => p.stderr,
  );

const replicasOf = async (node: KubeNode, ns: string, name: string) =>
  (await deployment(node, ns, name)).spec.replicas;

describe('rollback on a real node', { timeout: 20 * 60_000 }, () => {
  it('v1 → v2 promoted → rollback: v1 serves again, production is v1 again, the record and history say who, why and how long; a second rollback changes nothing', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const stage = `production-${ns}`;
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    for (const image of [v1, v2]) {
      const r = await deploy(t, node, { image, namespace: ns, replicas: '2', 'promote-stage': stage });
      assert.equal(r.code, 0, r.stderr);
    }
    await servesOnly(node, ns, 'v2');

    const dry = await rollback(t, node, { namespace: ns, reason: 'checking', 'dry-run': 'true' });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual([dry.out.status, dry.out.from, dry.out.to], ['planned', v2, v1]);
    assert.match(dry.stderr, /cold: redeployed without analysis/);
    assert.equal((await releases(node, ns, 'iris')).length, 2, 'a dry run records nothing');

    const r = await rollback(t, node, { namespace: ns, reason: 'v2 answers wrong (incident 7)' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [r.out.status, r.out.from, r.out.to, r.out.path, r.out.revision],
      ['rolled-back', v2, v1, 'cold', 3],
    );
    assert.ok(Number(r.out['recovery-seconds']) > 0);
    await servesOnly(node, ns, 'v1');
    const registry = await Registry.connect(node.registry);
    assert.equal(await resolveStage(registry, 'acme/iris', stage), v1.split('@')[1], 'the stage is v1 again');

    const [entry, undone] = await releases(node, ns, 'iris');
    assert.deepEqual(
      {
        kind: entry!.kind,
        status: entry!.status,
        image: entry!.image,
        from: entry!.previousImage,
        actor: entry!.actor,
        reason: entry!.reason,
        stage: entry!.stage,
        undid: entry!.rollback?.undid,
        automatic: entry!.rollback?.automatic,
      },
      {
        kind: 'rollback',
        status: 'rolled-back',
        image: v1,
        from: v2,
        actor: 'oncall',
        reason: 'v2 answers wrong (incident 7)',
        stage,
        undid: [2],
        automatic: false,
      },
    );
    assert.equal(entry!.rollback?.recoverySeconds, Number(r.out['recovery-seconds']));
    assert.equal(undone!.rolledBackBy, 3);

    const again = await rollback(t, node, { namespace: ns, reason: 'pressed twice' });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([again.out.status, again.out.revision], ['already-there', '']);
    assert.match(again.stderr, /already serves .* nothing to do/);
    assert.equal((await releases(node, ns, 'iris')).length, 3, 'nothing recorded the second time');

    const history = await runStep(t, node, 'history', { app: 'iris', namespace: ns });
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.trim().split('\n');
    assert.match(
      lines.find((l) => l.startsWith('3 ')) ?? '',
      /rollback .* oncall .*undid 2; cold, recovered in [\d.]+s; why: v2 answers wrong/,
    );
    assert.match(lines.find((l) => l.startsWith('2 ')) ?? '', /promoted, rolled back by 3/);
    const json = await runStep(t, node, 'history', { app: 'iris', namespace: ns, json: 'true' });
    assert.deepEqual(
      (JSON.parse(json.stdout) as Release[]).map((x) => x.revision),
      [3, 2, 1],
    );
  });

  it('the fast path after blue-green: within the scale-down delay the deploy is asked to stop, keeps the old slot, and the Service switches back to it', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { namespace: ns, replicas: '1', strategy: 'blue-green' };
    assert.equal((await deploy(t, node, { ...app, image: v1, 'scale-down-delay': '0s' })).code, 0);
    const d = await start(
      t,
      [
        'deploy-rollout',
        '--app',
        'iris',
        '--image',
        v2,
        ...Object.entries({ ...app, 'scale-down-delay': '10m' }).flatMap(([k, v]) => [`--${k}`, v]),
      ],
      node.kubeconfig,
    );
    await said(d, /stays up for 10m/, 'the deploy to switch and keep the old slot up');
    await servesOnly(node, ns, 'v2');

    const r = await rollback(t, node, { namespace: ns, reason: 'v2 is slow' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.out.status, r.out.path, r.out.to], ['rolled-back', 'warm', v1]);
    assert.match(r.stderr, /asking it to stop first/);
    assert.equal(await d.exited, 0, d.stderr);
    assert.match(d.stderr, /asked this rollout to stop/);
    await servesOnly(node, ns, 'v1');
    assert.equal(await replicasOf(node, ns, 'iris-blue'), 1, 'v1 kept its pod');
    assert.equal(await replicasOf(node, ns, 'iris-green'), 0, 'v2 scaled down after the switch');
    const [entry, deployed] = await releases(node, ns, 'iris');
    assert.deepEqual(
      [
        entry!.rollback?.path,
        entry!.rollback?.undid,
        deployed!.rolledBackBy,
        deployed!.steps.at(-1)?.outcome,
      ],
      ['warm', [2], 3, 'skipped'],
    );
  });

  it('the cold path after blue-green: the old slot was scaled down, so the target comes up in it before the Service switches', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { namespace: ns, replicas: '1', strategy: 'blue-green', 'scale-down-delay': '0s' };
    for (const image of [v1, v2]) assert.equal((await deploy(t, node, { ...app, image })).code, 0);
    assert.equal(await replicasOf(node, ns, 'iris-blue'), 0);

    const r = await rollback(t, node, { namespace: ns, reason: 'v2 is slow' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.out.status, r.out.path], ['rolled-back', 'cold']);
    await servesOnly(node, ns, 'v1');
    assert.deepEqual(
      [await replicasOf(node, ns, 'iris-blue'), await replicasOf(node, ns, 'iris-green')],
      [1, 0],
    );
  });

  it('the fast path after a kept-warm canary, and the cold path once the keep-previous window is over', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const flags = (image: string, keep: string) => [
      'deploy-rollout',
      '--app',
      'iris',
      '--namespace',
      ns,
      '--replicas',
      '2',
      '--image',
      image,
      '--strategy',
      'canary',
      '--steps',
      '50%, 100%',
      '--keep-previous',
      keep,
    ];
    assert.equal((await deploy(t, node, { image: v1, namespace: ns, replicas: '2' })).code, 0);
    const d = await start(t, flags(v2, '10m'), node.kubeconfig);
    await said(d, /iris-previous stays up for 10m/, 'the canary to promote and keep v1 warm');
    await until(
      'iris-previous ready',
      async () => {
        const w = await node.api.call<{ status: { readyReplicas?: number } }>(
          'GET',
          `/apis/apps/v1/namespaces/${ns}/deployments/iris-previous`,
        );
        return w.status.readyReplicas === 2 ? true : undefined;
      },
      180_000,
    );
    await servesOnly(node, ns, 'v2');
    const warm = (await releases(node, ns, 'iris'))[0]!.warm;
    assert.deepEqual(
      [warm?.deployment, warm?.image],
      ['iris-previous', v1],
      'the release says what is kept warm',
    );

    const r = await rollback(t, node, { namespace: ns, reason: 'v2 drifted' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.out.status, r.out.path], ['rolled-back', 'warm']);
    assert.equal(await d.exited, 0, d.stderr);
    await servesOnly(node, ns, 'v1');
    assert.equal(await replicasOf(node, ns, 'iris-previous'), 0, 'the copy goes once iris runs v1 again');
    const svc = await node.api.call<{ spec: { selector: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}/services/iris`,
    );
    assert.deepEqual(
      svc.spec.selector,
      { 'app.kubernetes.io/name': 'iris' },
      'the Service selects the app again',
    );

    // A window that is over leaves nothing warm: the rollback redeploys.
    const late = await start(t, flags(v2, '1s'), node.kubeconfig);
    assert.equal(await late.exited, 0, late.stderr);
    assert.equal(await replicasOf(node, ns, 'iris-previous'), 0);
    const cold = await rollback(t, node, { namespace: ns, reason: 'again' });
    assert.equal(cold.code, 0, cold.stderr);
    assert.deepEqual([cold.out.status, cold.out.path, cold.out.to], ['rolled-back', 'cold', v1]);
    await servesOnly(node, ns, 'v1');
  });

  it('during a canary: the rollout is stopped first (traffic back on stable, recorded as aborted), and the rollback says so', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    assert.equal((await deploy(t, node, { image: v1, namespace: ns, replicas: '2' })).code, 0);
    const d = await start(
      t,
      [
        'deploy-rollout',
        '--app',
        'iris',
        '--namespace',
        ns,
        '--replicas',
        '2',
        '--image',
        v2,
        '--strategy',
        'canary',
        '--steps',
        '50%, pause 10m, 100%',
      ],
      node.kubeconfig,
    );
    await said(d, /step 2 of 3: pause 600s/, 'the canary to reach its pause');

    const r = await rollback(t, node, { namespace: ns, reason: 'canary errors' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out.status, 'rolled-back');
    assert.equal(await d.exited, 1, d.stderr);
    assert.equal(JSON.parse(d.stdout).status, 'aborted');
    await servesOnly(node, ns, 'v1');
    assert.equal(await replicasOf(node, ns, 'iris-canary'), 0);
    const [entry, aborted] = await releases(node, ns, 'iris');
    assert.equal(entry!.kind, 'rollback');
    assert.match(entry!.steps[0]!.seen, /stopped; traffic back on its stable version/);
    assert.deepEqual(
      [aborted!.status, aborted!.reason],
      ['aborted', 'stopped for a rollback by oncall (canary errors)'],
    );
  });

  it('racing a deploy: one holds the Lease at a time, and the record and the cluster agree on what serves', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2, v3] = (await Promise.all(['v1', 'v2', 'v3'].map((v) => serveImage(t, node, v)))) as [
      string,
      string,
      string,
    ];
    for (const image of [v1, v2])
      assert.equal((await deploy(t, node, { image, namespace: ns, replicas: '1' })).code, 0);
    const [d, r] = await Promise.all([
      deploy(t, node, { image: v3, namespace: ns, replicas: '1' }),
      rollback(t, node, { namespace: ns, reason: 'race' }),
    ]);
    assert.ok([0, 1].includes(d.code!), d.stderr);
    assert.equal(r.code, 0, r.stderr);
    const record = await releases(node, ns, 'iris');
    const serving = record.find(
      (x) => (x.status === 'promoted' && !x.rolledBackBy) || x.status === 'rolled-back',
    )!;
    const version = { [v1]: 'v1', [v2]: 'v2', [v3]: 'v3' }[serving.image]!;
    await servesOnly(node, ns, version);
    assert.ok(
      /waiting for the rollout of iris held by rollback by oncall/.test(d.stderr) ||
        /asked this rollout to stop/.test(d.stderr) ||
        d.out.status === 'promoted',
      d.stderr,
    );
  });

  it('rides out the API server going away mid-rollback and still brings the previous version back', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    for (const image of [v1, v2])
      assert.equal((await deploy(t, node, { image, namespace: ns, replicas: '2' })).code, 0);
    const proxy = await tcpProxy(t, { host: '127.0.0.1', port: Number(new URL(node.server).port) });
    const kubeconfig = (await readFile(node.kubeconfig, 'utf8')).replace(
      node.server,
      `https://127.0.0.1:${proxy.port}`,
    );
    const r = await start(
      t,
      ['rollback', '--app', 'iris', '--namespace', ns, '--reason', 'outage drill'],
      kubeconfig,
    );
    await said(r, /rollback of iris: /, 'the rollback to plan');
    await proxy.down();
    await new Promise((done) => setTimeout(done, 4000));
    const before = proxy.accepted;
    await proxy.up();
    assert.equal(await r.exited, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'rolled-back');
    assert.ok(proxy.accepted > before, 'it connected again once the server was back');
    await servesOnly(node, ns, 'v1');
    assert.equal((await releases(node, ns, 'iris'))[0]!.status, 'rolled-back');
  });

  it('the automatic rollback a failure calls (monitor-gate after promotion) is the same module, recorded as automatic', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    for (const image of [v1, v2])
      assert.equal((await deploy(t, node, { image, namespace: ns, replicas: '1' })).code, 0);
    const lines: string[] = [];
    const log = {
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(m),
      notice: (m: string) => lines.push(m),
      debug() {},
      progress() {},
    };
    const client = await connectKube(node.kubeconfig, { describe: 'kubeconfig', env: {} });
    const r = await rollBackAutomatically(client, {
      namespace: ns,
      app: 'iris',
      why: 'error rate 12% > 5% after promotion',
      leaseHeld: false,
      versionLabel: (v) => v,
      deadlineMs: 180_000,
      runUrl: null,
      signal: AbortSignal.timeout(300_000),
      log,
    });
    assert.deepEqual([r.status, r.path, r.target.image], ['rolled-back', 'cold', v1], lines.join('\n'));
    await servesOnly(node, ns, 'v1');
    const [entry] = await releases(node, ns, 'iris');
    assert.deepEqual(
      [entry!.rollback?.automatic, entry!.reason],
      [true, 'automatic: error rate 12% > 5% after promotion'],
    );
  });

  it('a missing or damaged record is one line that offers a rollback by digest', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const r = await rollback(t, node, { namespace: ns, reason: 'no record' });
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, STACK);
    assert.equal(
      r.stderr.trim().split('\n').at(-1),
      `error: --to: iris has no release record (ConfigMap iris-modelship-releases), so 'previous' cannot be found. Roll back to a known-good image by digest instead: to: <image>@sha256:…`,
    );
    await node.api.call('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: 'iris-modelship-releases' },
      data: { 'releases.json': '[{"revision": 1, hand-edited' },
    });
    const damaged = await rollback(t, node, { namespace: ns, reason: 'damaged record' });
    assert.equal(damaged.code, 2, damaged.stderr);
    assert.match(
      damaged.stderr.trim().split('\n').at(-1)!,
      /^error: --to: the release record of iris \(ConfigMap iris-modelship-releases\) is damaged: it no longer parses\. Roll back to a known-good image by digest instead: to: <image>@sha256:…$/,
    );
  });
});
