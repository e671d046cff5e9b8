/**
 * The `gateway-api` router: exact weights on the app's HTTPRoute (gateway.networking.k8s.io/v1),
 * whatever the pod counts. Two Services select the tracks (`<app>-stable`, `<app>-canary`); the
 * route's default rule splits between them by `backendRefs` weights, and a rule matching the
 * header `x-model-version: canary` always reaches the canary, so a tester (or an A/B client)
 * can pick it. The canary runs enough pods for its share; the stable one keeps all of its own.
 * With `mirror`, the default rule also copies that percentage of requests to the canary (a
 * `RequestMirror` filter with `percent`, Gateway API GEP-3171): the gateway ignores its answers,
 * so the canary sees real traffic before (and beside) serving any. The filter goes at promotion
 * or abort, with the canary's pods.
 */
import type { Kube } from '../client.ts';
import type { KubeObject } from '../types.ts';
import { type Routed, type RouterContext, TRACK_LABEL, type TrafficRouter } from './router.ts';

export const CANARY_HEADER = 'x-model-version';
export const HTTP_ROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' } as const;

export function gatewayApiRouter(ctx: RouterContext): TrafficRouter {
  const { app, namespace } = ctx;
  const services = (['stable', 'canary'] as const).map((track) =>
    trackService(ctx.service, `${app}-${track}`, track),
  );
  const route = (canaryWeight: number, mirrored: boolean): KubeObject =>
    httpRoute(ctx, gatewayRefs(ctx.gateway), [
      {
        matches: [{ headers: [{ name: CANARY_HEADER, value: 'canary' }] }],
        backendRefs: [{ name: `${app}-canary`, port: portOf(ctx.service) }],
      },
      {
        ...(mirrored &&
          ctx.mirror && { filters: [mirrorFilter(`${app}-canary`, portOf(ctx.service), ctx.mirror)] }),
        backendRefs: [
          { name: `${app}-stable`, port: portOf(ctx.service), weight: 100 - canaryWeight },
          { name: `${app}-canary`, port: portOf(ctx.service), weight: canaryWeight },
        ],
      },
    ]);
  return {
    async setWeight(weight): Promise<Routed> {
      for (const s of services) await ctx.kube.apply(s);
      // The canary gets the pods its share needs; the route, not the pod count, sets the share.
      const pods = Math.max(1, Math.ceil((ctx.replicas * weight) / 100));
      await ctx.kube.apply({ ...ctx.canary, spec: { ...ctx.canary.spec, replicas: pods } });
      await ctx.kube.apply(route(weight, true));
      const mirror = ctx.mirror ? `, ${ctx.mirror}% mirrored to the canary` : '';
      return {
        actual: weight,
        detail: `HTTPRoute ${app}: ${100 - weight}/${weight}${mirror}, ${pods} canary pods`,
      };
    },
    async reset() {
      await ctx.kube.apply(route(0, false));
      await ctx.kube.apply({ ...ctx.canary, spec: { ...ctx.canary.spec, replicas: 0 } });
      await ctx.kube.scale(namespace, 'Deployment', ctx.stable, ctx.replicas);
    },
  };
}

/**
 * The route of the `versions` strategy: a rule per version for the header `x-model-version:
 * <name>`, then the split by weight over the versions' own Services (`<app>-<name>`).
 */
export function versionsRoute(
  ctx: RouteOwner,
  versions: { name: string; weight: number }[],
  gateway: Gateway | undefined,
): KubeObject {
  const port = portOf(ctx.service);
  const ref = (name: string) => ({ name: `${ctx.app}-${name}`, port });
  return httpRoute(ctx, gatewayRefs(gateway), [
    ...versions.map((v) => ({
      matches: [{ headers: [{ name: CANARY_HEADER, value: v.name }] }],
      backendRefs: [ref(v.name)],
    })),
    { backendRefs: versions.map((v) => ({ ...ref(v.name), weight: v.weight })) },
  ]);
}

/** The app's route to its own Service alone, on the gateways `parentRefs` name: a retired versions route. */
export const appRoute = (ctx: RouteOwner, parentRefs: unknown[]): KubeObject =>
  httpRoute(ctx, parentRefs, [{ backendRefs: [{ name: ctx.app, port: portOf(ctx.service) }] }]);

/** What names an app's route: the app, its namespace, and its Service (whose labels the route wears). */
type RouteOwner = { app: string; namespace: string; service: KubeObject };
type Gateway = { name: string; namespace?: string };

/** The app's HTTPRoute with these parents and rules. */
function httpRoute(owner: RouteOwner, parentRefs: unknown[], rules: unknown[]): KubeObject {
  return {
    ...HTTP_ROUTE,
    metadata: { name: owner.app, namespace: owner.namespace, labels: owner.service.metadata?.labels ?? {} },
    spec: { parentRefs, rules },
  };
}

const gatewayRefs = (gateway: Gateway | undefined) => [
  { name: gateway?.name, ...(gateway?.namespace && { namespace: gateway.namespace }) },
];

/** The app's HTTPRoute, or undefined where there is none or the cluster does not serve the kind. */
export async function readRoute(kube: Kube, namespace: string, app: string): Promise<KubeObject | undefined> {
  if (!(await kube.serves(HTTP_ROUTE.apiVersion, HTTP_ROUTE.kind))) return undefined;
  return kube.get(HTTP_ROUTE.apiVersion, HTTP_ROUTE.kind, namespace, app);
}

/** A copy of `percent`% of the rule's requests to `service`; what it answers goes to no one. */
export function mirrorFilter(service: string, port: number, percent: number) {
  return { type: 'RequestMirror', requestMirror: { backendRef: { name: service, port }, percent } };
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
