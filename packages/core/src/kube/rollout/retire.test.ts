import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kube } from '../client.ts';
import type { KubeObject } from '../types.ts';
import { retiring } from './retire.ts';
import type { RolloutContext, RolloutOutcome, Strategy } from './strategy.ts';
import { VERSION_LABEL } from './versions.ts';

const APP = { 'app.kubernetes.io/name': 'iris' };

/**
 * The app's Deployments by name with their replicas, as a Kube that scales them; with `route`, a
 * cluster with the Gateway API and that HTTPRoute for the app, which `applied` records changes of.
 */
function cluster(replicas: Record<string, number>, route?: KubeObject) {
  const applied: KubeObject[] = [];
  const of = (name: string): KubeObject => {
    const version = /^iris-(v\d+)$/.exec(name)?.[1];
    return {
      metadata: { name, labels: { ...APP, ...(version && { [VERSION_LABEL]: version }) } },
      spec: { replicas: replicas[name] },
    };
  };
  const kube = {
    serves: async (_v: string, kind: string) => kind === 'HTTPRoute' && route !== undefined,
    get: async (_v: string, kind: string, _ns: string, name: string) =>
      kind === 'HTTPRoute' ? (name === 'iris' ? route : undefined) : name in replicas ? of(name) : undefined,
    apply: async (obj: KubeObject) => {
      applied.push(obj);
      return obj;
    },
    list: async () => ({
      items: Object.keys(replicas)
        .map(of)
        .filter((d) => d.metadata?.labels?.[VERSION_LABEL]),
    }),
    scale: async (_ns: string, _k: string, name: string, n: number) => {
      replicas[name] = n;
      return of(name);
    },
  } as unknown as Kube;
  return { kube, replicas, applied };
}

function run(
  kind: string,
  status: RolloutOutcome['status'],
  replicas: Record<string, number>,
  route?: KubeObject,
) {
  const c = cluster(replicas, route);
  const logged: string[] = [];
  const strategy: Strategy = {
    current: async () => undefined,
    run: async () => ({
      status,
      steps: [{ name: 'rollout', weight: 100, seconds: 1, outcome: 'done', seen: '' }],
    }),
  };
  const ctx = {
    kube: c.kube,
    namespace: 'm',
    app: 'iris',
    deployment: { metadata: { name: 'iris' }, spec: { selector: { matchLabels: APP } } },
    service: { metadata: { name: 'iris', labels: APP }, spec: { ports: [{ port: 8080 }] } },
    signal: new AbortController().signal,
    log: { info: (m: string) => logged.push(m) },
  } as unknown as RolloutContext;
  return retiring(kind, strategy)
    .run(ctx)
    .then((outcome) => ({ outcome, replicas: c.replicas, applied: c.applied, logged }));
}

describe('retiring what other strategies left running', () => {
  it('scales the versions and the blue-green slots to zero once a rolling deploy promotes, in the steps and the log', async () => {
    const { outcome, replicas, logged } = await run('rolling', 'promoted', {
      iris: 2,
      'iris-v1': 1,
      'iris-v2': 1,
      'iris-v3': 0,
      'iris-blue': 2,
      'iris-green': 0,
    });
    assert.deepEqual(replicas, {
      iris: 2,
      'iris-v1': 0,
      'iris-v2': 0,
      'iris-v3': 0,
      'iris-blue': 0,
      'iris-green': 0,
    });
    assert.deepEqual(
      outcome.steps.map((s) => [s.name, s.seen]),
      [
        ['rollout', ''],
        ['retire', 'iris-blue (from an earlier blue-green deploy) scaled to zero'],
        ['retire', 'iris-v1, iris-v2 (from an earlier versions deploy) scaled to zero'],
      ],
    );
    assert.deepEqual(logged, [
      'retired: iris-blue (from an earlier blue-green deploy) scaled to zero',
      'retired: iris-v1, iris-v2 (from an earlier versions deploy) scaled to zero',
    ]);
  });

  it('leaves a strategy its own layout: blue-green its slots, versions its versions', async () => {
    const layout = { 'iris-v1': 1, 'iris-blue': 2 };
    assert.deepEqual((await run('blue-green', 'promoted', { ...layout })).replicas, {
      'iris-v1': 0,
      'iris-blue': 2,
    });
    assert.deepEqual((await run('versions', 'promoted', { ...layout })).replicas, {
      'iris-v1': 1,
      'iris-blue': 0,
    });
  });

  it('touches nothing when the rollout did not promote', async () => {
    for (const status of ['aborted', 'paused', 'cancelled', 'applied'] as const) {
      const { outcome, replicas } = await run('canary', status, { 'iris-v1': 1, 'iris-green': 1 });
      assert.deepEqual(replicas, { 'iris-v1': 1, 'iris-green': 1 }, status);
      assert.equal(outcome.steps.length, 1);
    }
  });

  it("points the versions' HTTPRoute at the app's Service once they are retired, and leaves any other route alone", async () => {
    const parentRefs = [{ name: 'public', namespace: 'infra' }];
    const rule = (...names: string[]) => ({ backendRefs: names.map((name) => ({ name, port: 8080 })) });
    const versions = { spec: { parentRefs, rules: [rule('iris-v1'), rule('iris-v1', 'iris-v2')] } };
    const layout = { iris: 2, 'iris-v1': 1, 'iris-v2': 1 };
    const moved = await run('rolling', 'promoted', { ...layout }, versions);
    assert.deepEqual(moved.applied, [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'iris', namespace: 'm', labels: APP },
        spec: { parentRefs, rules: [{ backendRefs: [{ name: 'iris', port: 8080 }] }] },
      },
    ]);
    assert.deepEqual(
      moved.outcome.steps.at(-1)?.seen,
      'HTTPRoute iris sends to Service iris (it sent to the retired versions)',
    );
    assert.ok(
      moved.logged.includes(
        'retired: HTTPRoute iris sends to Service iris (it sent to the retired versions)',
      ),
    );

    // A canary's tracks, or the app's Service already: not the versions' route.
    for (const other of [rule('iris-stable', 'iris-canary'), rule('iris'), rule('iris-v1', 'iris')]) {
      const kept = await run('rolling', 'promoted', { ...layout }, { spec: { parentRefs, rules: [other] } });
      assert.deepEqual(kept.applied, [], JSON.stringify(other));
    }
    // Without the Gateway API, or without versions, nothing is asked of it.
    assert.deepEqual((await run('rolling', 'promoted', { ...layout })).applied, []);
    assert.deepEqual((await run('rolling', 'promoted', { iris: 2 }, versions)).applied, []);
    // Not promoted: the versions and their route serve as they were.
    assert.deepEqual((await run('rolling', 'aborted', { ...layout }, versions)).applied, []);
  });
});
