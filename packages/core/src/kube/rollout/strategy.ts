/**
 * A rollout strategy: given the objects of the new release and what served before, move the app
 * to the new release and say how it went. One file per kind; the table in kinds.ts.
 */
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import type { StepRecord } from '../release.ts';
import type { TrafficKind } from '../traffic/kinds.ts';
import type { KubeObject } from '../types.ts';
import type { CanaryStep } from './canary-steps.ts';
import type { Diagnosis } from './diagnose.ts';
import type { VersionWeight } from './versions.ts';

export interface RolloutContext {
  kube: Kube;
  namespace: string;
  app: string;
  image: string;
  /** The app's Deployment and Service as the step generated them (named after the app). */
  deployment: KubeObject;
  service: KubeObject;
  /** What serves before this release (from `current`); absent on a first deploy. */
  previous: KubeObject | undefined;
  deadlineMs: number;
  /** blue-green: how long the old version stays up after the switch, so a rollback is instant. */
  scaleDownDelayMs: number;
  /** canary: keep-previous, a copy of the previous version left up after promotion (kube/rollback/warm.ts). */
  keepPreviousMs?: number;
  /** canary: the steps and the router that moves traffic. */
  canary?: {
    steps: CanaryStep[];
    traffic: TrafficKind;
    gateway?: { name: string; namespace?: string };
    /** gateway-api: the percentage of requests copied to the canary (RequestMirror) until promotion. */
    mirror?: number;
  };
  /** versions: the versions to keep live with their shares, and how traffic is split between them. */
  versions?: {
    list: VersionWeight[];
    traffic: TrafficKind;
    gateway?: { name: string; namespace?: string };
    /** This image's tag (or short digest): names its version when every listed one runs already. */
    tag: string;
    /** The `versions` input as the user knows it, for errors. */
    input: string;
  };
  /** canary: a release paused at a bare `pause` goes on from where it paused instead of from the start. */
  resume?: PausedAt;
  /** Analysis between canary steps (monitor-gate); without it an `analysis` step is skipped and says so. */
  analysis?: AnalysisHook;
  wait: boolean;
  onFailure: 'abort' | 'pause';
  signal: AbortSignal;
  log: Logger;
}

/** Judges the canary at its current weight; a failed verdict aborts the rollout. */
export type AnalysisHook = (at: {
  weight: number;
  signal: AbortSignal;
}) => Promise<{ passed: boolean; seen: string }>;

export interface RolloutOutcome {
  status: 'promoted' | 'aborted' | 'paused' | 'applied' | 'cancelled';
  steps: StepRecord[];
  /** One line: why it did not promote. */
  reason?: string;
  /** The previous version's copy left up by keep-previous, once promoted. */
  warm?: { deployment: string; image: string };
  diagnosis?: Diagnosis;
  /** Paused at a bare `pause`: where a later run of the same image goes on. */
  pausedAt?: PausedAt;
}

export interface PausedAt {
  /** The step a resumed run begins with (0-based), of `of` steps. */
  step: number;
  of: number;
  /** The canary's share while paused. */
  weight: number;
}

export interface Strategy {
  /** The Deployment serving the app now, as this strategy lays an app out. */
  current(kube: Kube, namespace: string, app: string): Promise<KubeObject | undefined>;
  run(ctx: RolloutContext): Promise<RolloutOutcome>;
}

/** How long the cleanup after a cancellation may take before the process exits anyway. */
export const CLEANUP_MS = 60_000;

/** The label selector of the pods a Deployment manages. */
export function selectorOf(deployment: KubeObject): string {
  const labels = (deployment.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function imageOf(deployment: KubeObject | undefined): string | undefined {
  const containers = (deployment?.spec?.template?.spec?.containers ?? []) as {
    name: string;
    image?: string;
  }[];
  return (containers.find((c) => c.name === 'serve') ?? containers[0])?.image;
}
