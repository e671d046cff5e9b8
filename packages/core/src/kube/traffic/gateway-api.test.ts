import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kube } from '../client.ts';
import type { KubeObject } from '../types.ts';
import { gatewayApiRouter } from './gateway-api.ts';

/** A Kube that keeps what was applied, by kind and name, as the API server would. */
function recording() {
  const applied = new Map<string, KubeObject>();
  const kube = {
    apply: async (o: KubeObject) => {
      applied.set(`${o.kind}/${o.metadata?.name}`, o);
      return o;
    },
    scale: async () => ({}),
  } as unknown as Kube;
  return { kube, applied };
}

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'iris', namespace: 'm' },
  spec: { selector: { 'app.kubernetes.io/name': 'iris' }, ports: [{ port: 80 }] },
};
const canary: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'iris-canary' },
  spec: {},
};

function router(mirror?: number) {
  const r = recording();
  const ctx = { kube: r.kube, namespace: 'm', app: 'iris', service, stable: 'iris', replicas: 4, canary };
  return {
    ...r,
    router: gatewayApiRouter({ ...ctx, gateway: { name: 'public' }, ...(mirror && { mirror }) }),
  };
}

describe('the gateway-api router', () => {
  it('mirrors the asked percentage of requests to the canary beside the weights, and drops the mirror on reset', async () => {
    const { router: r, applied } = router(20);
    const set = await r.setWeight(10);
    assert.match(set.detail, /90\/10, 20% mirrored to the canary, 1 canary pods/);
    const rule = applied.get('HTTPRoute/iris')!.spec.rules[1];
    assert.deepEqual(rule.filters, [
      {
        type: 'RequestMirror',
        requestMirror: { backendRef: { name: 'iris-canary', port: 80 }, percent: 20 },
      },
    ]);
    assert.deepEqual(
      rule.backendRefs.map((b: { name: string; weight: number }) => [b.name, b.weight]),
      [
        ['iris-stable', 90],
        ['iris-canary', 10],
      ],
    );
    await r.reset();
    assert.equal(applied.get('HTTPRoute/iris')!.spec.rules[1].filters, undefined);
  });

  it('has no filter without a mirror, and a shadow at 0% still runs one canary pod', async () => {
    const { router: r, applied } = router();
    await r.setWeight(0);
    assert.equal(applied.get('HTTPRoute/iris')!.spec.rules[1].filters, undefined);
    assert.equal(applied.get('Deployment/iris-canary')!.spec.replicas, 1);
  });
});
