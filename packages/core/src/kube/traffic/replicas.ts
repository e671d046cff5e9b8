/**
 * The `replicas` router: one Service over the stable and canary pods, so each gets a share of
 * connections in proportion to its ready pods (kube-proxy picks an endpoint at random). The
 * weight is approximated by pod counts, keeping the total at `replicas`:
 *
 *   canary pods = round(replicas × weight / 100), at least 1 and at most replicas − 1;
 *   stable pods = replicas − canary pods (at least 1: with replicas = 1 there are 2 pods, 50/50).
 *
 * So 3 replicas give 33% or 67%, never 10%; use more replicas (or the gateway-api router) for
 * finer steps. The share really set is what the timeline records.
 */
import type { Routed, RouterContext, TrafficRouter } from './router.ts';

export function podSplit(replicas: number, weight: number): { canary: number; stable: number } {
  const canary = Math.min(Math.max(Math.round((replicas * weight) / 100), 1), Math.max(replicas - 1, 1));
  return { canary, stable: Math.max(replicas - canary, 1) };
}

export function replicasRouter(ctx: RouterContext): TrafficRouter {
  return {
    async setWeight(weight): Promise<Routed> {
      const { canary, stable } = podSplit(ctx.replicas, weight);
      await ctx.kube.apply({ ...ctx.canary, spec: { ...ctx.canary.spec, replicas: canary } });
      await ctx.kube.scale(ctx.namespace, 'Deployment', ctx.stable, stable);
      const actual = Math.round((canary / (canary + stable)) * 1000) / 10;
      return { actual, detail: `${canary} canary, ${stable} stable pods` };
    },
    async reset() {
      await ctx.kube.apply({ ...ctx.canary, spec: { ...ctx.canary.spec, replicas: 0 } });
      await ctx.kube.scale(ctx.namespace, 'Deployment', ctx.stable, ctx.replicas);
    },
  };
}
