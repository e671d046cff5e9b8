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
  | 'planned'
  /** A rollback's own entry, once it brought the app back (kube/rollback/). */
  | 'rolled-back';

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
  /** A deploy's entry unless `rollback`; entries written before rollbacks existed have none. */
  kind?: 'deploy' | 'rollback';
  /** A rollback entry's facts: from → to, which path, how long until it served again. */
  rollback?: RollbackFacts;
  /** Set on a release a rollback undid: that rollback's revision. */
  rolledBackBy?: number;
  /** The previous version kept up after promotion (blue-green's delay, keep-previous), so a rollback is a switch. */
  warm?: { deployment: string; image: string; until: string } | null;
  /** A canary paused at a bare `pause` step: where a later run of the same image resumes. */
  pausedAt?: { step: number; of: number; weight: number };
}

export interface RollbackFacts {
  /** The image that served when the rollback began, and the one it brought back. */
  from: string | null;
  to: string;
  /** What the user asked for: `previous`, a version, a digest or a revision. */
  target: string;
  /** The release the target image was deployed by, when the record has it. */
  toRevision: number | null;
  /** The releases it undid. */
  undid: number[];
  /** warm: traffic switched to pods already up; cold: the image redeployed, without analysis. */
  path: 'warm' | 'cold';
  /** Seconds from the start of the rollback until every request reached the target's ready pods. */
  recoverySeconds: number | null;
  /** A deploy or monitor-gate failure called it, rather than a person. */
  automatic: boolean;
  /** Why a rollback that did not finish stopped. */
  error?: string;
}

export const recordName = (app: string) => `${app}-modelship-releases`;

export interface ReleaseRecord {
  releases: Release[];
  /** The ConfigMap exists but its releases do not parse (a hand edit gone wrong). */
  damaged?: boolean;
  /** The ConfigMap's version, so two deploys that read the same record cannot both write it. */
  resourceVersion: string | undefined;
}

export async function readRecord(kube: Kube, namespace: string, app: string): Promise<ReleaseRecord> {
  const cm = await kube.get<KubeObject>('v1', 'ConfigMap', namespace, recordName(app));
  const text = cm?.data?.[KEY] as string | undefined;
  let releases: Release[] = [];
  let damaged = false;
  if (text) {
    try {
      releases = JSON.parse(text) as Release[];
      if (!Array.isArray(releases)) throw new Error('not a list');
    } catch {
      releases = []; // a hand-edited record that no longer parses starts over rather than blocking deploys
      damaged = true;
    }
  } else if (cm) damaged = true;
  return { releases, resourceVersion: cm?.metadata?.resourceVersion, ...(damaged && { damaged }) };
}

/** The stable release now: the newest promoted one no rollback undid, or the newest rollback's. */
export const stableOf = (r: ReleaseRecord) =>
  r.releases.find((x) => (x.status === 'promoted' && !x.rolledBackBy) || x.status === 'rolled-back');

/** Who acts: the CI actor, else the user running the command. */
export const actorOf = (env: NodeJS.ProcessEnv): string | null =>
  env.GITHUB_ACTOR ?? env.GITLAB_USER_LOGIN ?? env.USER ?? env.USERNAME ?? null;

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
