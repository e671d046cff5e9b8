/**
 * A minimal HTTPRoute CRD (schema left open), as a cluster without a Gateway controller has it. It is
 * cluster-wide: removed after the test only by the test that created it, so two test files on the
 * same node do not pull it from under each other.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { until } from './kube-api.ts';
import type { KubeNode } from './kube-node.ts';

export async function installHttpRouteCrd(t: Pick<TestContext, 'after'>, node: KubeNode) {
  const name = 'httproutes.gateway.networking.k8s.io';
  const created = await node.api.raw('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // *.k8s.io groups need this annotation; the real Gateway API CRDs carry the same.
    metadata: {
      name,
      annotations: {
        'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/2466',
      },
    },
    spec: {
      group: 'gateway.networking.k8s.io',
      scope: 'Namespaced',
      names: { plural: 'httproutes', singular: 'httproute', kind: 'HTTPRoute', listKind: 'HTTPRouteList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  assert.ok(created.status === 201 || created.status === 409, created.body);
  if (created.status === 201)
    t.after(() => node.api.raw('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`));
  await until(
    'the HTTPRoute CRD to be established',
    async () => {
      const crd = await node.api.call<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    },
    30_000,
  );
}
