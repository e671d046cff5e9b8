import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kube } from '../client.ts';
import type { KubeObject } from '../types.ts';
import { retiring } from './retire.ts';
import type { RolloutContext, RolloutOutcome, Strategy } from './strategy.ts';
import { VERSION_LABEL } from './versions.ts';

const APP = { 'app.kubernetes.io/name': 'iris' };

/** The app's Deployments by name with their replicas, as a Kube that scales them. */
function cluster(replicas: Record<string, number>) {
  const of = (name: string): KubeObject => {
    const version = /^iris-(v\d+)$/.exec(name)?.[1];
    return {
      metadata: { name, labels: { ...APP, ...(version && { [VERSION_LABEL]: version }) } },
      spec: { replicas: replicas[name] },
    };
  };
  const kube = {
    get: async (_v: string, _k: string, _ns: string, name: string) =>
      name in replicas ? of(name) : undefined,
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
  return { kube, replicas };
}

function run(kind: string, status: RolloutOutcome['status'], replicas: Record<string, number>) {
  const c = cluster(replicas);
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
    signal: new AbortController().signal,
    log: { info: (m: string) => logged.push(m) },
  } as unknown as RolloutContext;
  return retiring(kind, strategy)
    .run(ctx)
    .then((outcome) => ({ outcome, replicas: c.replicas, logged }));
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
});
