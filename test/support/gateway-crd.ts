/**
 * A minimal HTTPRoute CRD (schema left open), as a cluster without a Gateway controller has it. It is
 * cluster-wide and test files run side by side on one node, so it stays until the node goes: a test
 * that removed it when it ended would pull it from under another still using it.
 */
import assert from 'node:assert/strict';
import { until } from './kube-api.ts';
import type { KubeNode } from './kube-node.ts';

export async function installHttpRouteCrd(node: KubeNode) {
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
