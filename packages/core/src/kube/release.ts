/**
 * The release record: every deploy of an app, newest first, in a ConfigMap beside it, so a release
 * manager (or the rollback step) can see who shipped what, from where, and what served before —
 * without the CI system that ran it. Bounded: the oldest entries fall off. The same facts, for the
 * current release, are an annotation on each object the deploy applied.
 */
import type { Kube } from './client.ts';
import type { KubeObject } from './types.ts';

export const RELEASE_ANNOTATION = 'modelship.dev/release';
const KEY = 'releases.json';

/** `planned` is a dry run's, which is reported but never recorded. */
export type ReleaseStatus =
  | 'in-progress'
  | 'promoted'
  | 'aborted'
  | 'failed'
  | 'paused'
  | 'applied'
  | 'cancelled'
  | 'planned';

export interface StepRecord {
  name: string;
  /** Share of traffic on the new version during the step, 0–100. */
  weight: number;
  seconds: number;
  outcome: 'done' | 'failed' | 'cancelled' | 'skipped';
  /** What was seen, e.g. `3/3 ready` or the failure's reason. */
  seen: string;
}

export interface Release {
  revision: number;
  status: ReleaseStatus;
  app: string;
  image: string;
  version: string;
  previousImage: string | null;
  strategy: string;
  startedAt: string;
  finishedAt: string | null;
  actor: string | null;
  commit: string | null;
  runUrl: string | null;
  reason: string | null;
  steps: StepRecord[];
  /** What build-image recorded on the image: model, data and evaluation facts, source (null when unreadable). */
  facts: Record<string, string> | null;
  /** The registry stage moved to this image on success (`promote-stage`). */
  stage: string | null;
}

export const recordName = (app: string) => `${app}-modelship-releases`;

export interface ReleaseRecord {
  releases: Release[];
  /** The ConfigMap's version, so two deploys that read the same record cannot both write it. */
  resourceVersion: string | undefined;
}

export async function readRecord(kube: Kube, namespace: string, app: string): Promise<ReleaseRecord> {
  const cm = await kube.get<KubeObject>('v1', 'ConfigMap', namespace, recordName(app));
  const text = cm?.data?.[KEY] as string | undefined;
  let releases: Release[] = [];
  if (text) {
    try {
      releases = JSON.parse(text) as Release[];
    } catch {
      releases = []; // a hand-edited record that no longer parses starts over rather than blocking deploys
    }
  }
  return { releases, resourceVersion: cm?.metadata?.resourceVersion };
}

/** The stable release now: the newest promoted one. */
export const stableOf = (r: ReleaseRecord) => r.releases.find((x) => x.status === 'promoted');

export const nextRevision = (r: ReleaseRecord) => (r.releases[0]?.revision ?? 0) + 1;

/** `release` replaces the entry of its revision (or goes first), and only `keep` entries stay. */
export function withRelease(releases: Release[], release: Release, keep: number): Release[] {
  const rest = releases.filter((r) => r.revision !== release.revision);
  return [release, ...rest].sort((a, b) => b.revision - a.revision).slice(0, keep);
}

/** Writes the record; with `resourceVersion`, a concurrent writer makes this a 409 conflict. */
export async function writeRecord(
  kube: Kube,
  namespace: string,
  app: string,
  releases: Release[],
  resourceVersion?: string,
): Promise<string | undefined> {
  const cm = await kube.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: recordName(app),
      namespace,
      labels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/managed-by': 'modelship' },
      ...(resourceVersion && { resourceVersion }),
    },
    data: { [KEY]: JSON.stringify(releases, null, 1) },
  });
  return cm.metadata?.resourceVersion;
}

/** The annotation's value: the facts a person looking at the object needs to trace it back. */
export function releaseAnnotation(r: Release): string {
  return JSON.stringify({
    revision: r.revision,
    image: r.image,
    commit: r.commit,
    run: r.runUrl,
    actor: r.actor,
    at: r.startedAt,
  });
}
