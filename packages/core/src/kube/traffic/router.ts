/**
 * A traffic router: how a canary's share of requests is set. One small interface, one file per
 * kind, a table of kinds (kinds.ts); the strategy never knows which one it talks to.
 */
import type { Kube } from '../client.ts';
import type { KubeObject } from '../types.ts';

/** Which track a pod is on: `stable` (the app's Deployment) or `canary`. */
export const TRACK_LABEL = 'modelship.dev/track';

export interface RouterContext {
  kube: Kube;
  namespace: string;
  app: string;
  /** The app's Service, as a model for the per-track Services a router may need. */
  service: KubeObject;
  /** gateway-api: the Gateway the app's HTTPRoute attaches to. */
  gateway?: { name: string; namespace?: string };
  /** gateway-api: the percentage of requests also copied to the canary (a RequestMirror filter). */
  mirror?: number;
  /** The stable Deployment's name and its replicas when it has all the traffic. */
  stable: string;
  replicas: number;
  /** The canary Deployment, complete; the router may set its replicas. */
  canary: KubeObject;
}

export interface Routed {
  /** The share the canary really gets, 0–100 (a router may only approximate the one asked for). */
  actual: number;
  /** What was set, in words, for the timeline. */
  detail: string;
}

export interface TrafficRouter {
  /** Sends about `weight`% of requests to the canary (0 < weight < 100). */
  setWeight(weight: number): Promise<Routed>;
  /** Every request back on the stable version, the canary scaled to zero (after an abort, or once promoted). */
  reset(): Promise<void>;
}
