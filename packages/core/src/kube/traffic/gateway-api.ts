/**
 * The `gateway-api` router: exact weights on the app's HTTPRoute (gateway.networking.k8s.io/v1),
 * whatever the pod counts. Two Services select the tracks (`<app>-stable`, `<app>-canary`); the
 * route's default rule splits between them by `backendRefs` weights, and a rule matching the
 * header `x-model-version: canary` always reaches the canary, so a tester (or an A/B client)
 * can pick it. The canary runs enough pods for its share; the stable one keeps all of its own.
 */
import type { KubeObject } from '../types.ts';
import { type Routed, type RouterContext, TRACK_LABEL, type TrafficRouter } from './router.ts';

export const CANARY_HEADER = 'x-model-version';

export function gatewayApiRouter(ctx: RouterContext): TrafficRouter {
  const { app, namespace } = ctx;
  const services = (['stable', 'canary'] as const).map((track) =>
    trackService(ctx.service, `${app}-${track}`, track),
  );
  const route = (canaryWeight: number): KubeObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: app, namespace, labels: ctx.service.metadata?.labels ?? {} },
    spec: {
      parentRefs: [
        { name: ctx.gateway?.name, ...(ctx.gateway?.namespace && { namespace: ctx.gateway.namespace }) },
      ],
      rules: [
        {
          matches: [{ headers: [{ name: CANARY_HEADER, value: 'canary' }] }],
          backendRefs: [{ name: `${app}-canary`, port: portOf(ctx.service) }],
        },
        {
          backendRefs: [
            { name: `${app}-stable`, port: portOf(ctx.service), weight: 100 - canaryWeight },
            { name: `${app}-canary`, port: portOf(ctx.service), weight: canaryWeight },
          ],
        },
      ],
    },
  });
  return {
    async setWeight(weight): Promise<Routed> {
      for (const s of services) await ctx.kube.apply(s);
      // The canary gets the pods its share needs; the route, not the pod count, sets the share.
      const pods = Math.max(1, Math.ceil((ctx.replicas * weight) / 100));
      await ctx.kube.apply({ ...ctx.canary, spec: { ...ctx.canary.spec, replicas: pods } });
      await ctx.kube.apply(route(weight));
      return { actual: weight, detail: `HTTPRoute ${app}: ${100 - weight}/${weight}, ${pods} canary pods` };
    },
    async reset() {
      await ctx.kube.apply(route(0));
      await ctx.kube.apply({ ...ctx.canary, spec: { ...ctx.canary.spec, replicas: 0 } });
      await ctx.kube.scale(namespace, 'Deployment', ctx.stable, ctx.replicas);
    },
  };
}

function trackService(service: KubeObject, name: string, track: string): KubeObject {
  const s = structuredClone(service);
  s.metadata = { ...s.metadata, name };
  s.spec.selector = { ...s.spec.selector, [TRACK_LABEL]: track };
  s.spec.type = 'ClusterIP';
  for (const p of s.spec.ports ?? []) delete p.nodePort;
  return s;
}

const portOf = (service: KubeObject): number => service.spec?.ports?.[0]?.port ?? 80;
