/** The routers, by the name the `traffic` input uses; the step refuses any other before it runs. */
import { gatewayApiRouter } from './gateway-api.ts';
import { replicasRouter } from './replicas.ts';
import type { RouterContext, TrafficRouter } from './router.ts';

export const TRAFFIC_KINDS = { replicas: replicasRouter, 'gateway-api': gatewayApiRouter } satisfies Record<
  string,
  (ctx: RouterContext) => TrafficRouter
>;

export type TrafficKind = keyof typeof TRAFFIC_KINDS;

export const isTrafficKind = (s: string): s is TrafficKind => Object.hasOwn(TRAFFIC_KINDS, s);
