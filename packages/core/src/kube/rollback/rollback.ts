/**
 * Back to a version that was good: the one module every rollback goes through — the rollback step
 * (a person, from CI or a laptop) and the automatic ones (a failed deploy or monitor-gate). It
 * resolves the target from the release record, shows from → to, takes the app's Lease (stopping a
 * rollout in progress first), goes back the warm way when the target is still up and the cold way
 * when not (paths.ts), and appends the rollback, with who, why and the time to recovery, to the
 * record. A second rollback to the same place finds the app already there and changes nothing.
 */
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import { KubeError } from '../errors.ts';
import {
  nextRevision,
  type Release,
  readRecord,
  releaseAnnotation,
  type StepRecord,
  withRelease,
  writeRecord,
} from '../release.ts';
import type { Diagnosis } from '../rollout/diagnose.ts';
import { imageOf } from '../rollout/strategy.ts';
import { Timeline } from '../rollout/timeline.ts';
import { takeLease } from './lease.ts';
import { readLive, servingImages } from './live.ts';
import { canGoWarm, goBack, type PathResult } from './paths.ts';
import { resolveTarget, type Target } from './target.ts';

export interface RollbackOptions {
  kube: Kube;
  namespace: string;
  app: string;
  /** `previous`, a revision, a version or an image by digest. */
  to: string;
  /** How the user names the `to` input, for errors. */
  toInput: string;
  reason: string;
  actor: string | null;
  commit: string | null;
  runUrl: string | null;
  /** Called by a failed deploy or monitor-gate rather than by a person. */
  automatic: boolean;
  /** Who holds the Lease, as a waiting deploy shows it. */
  holder: string;
  /** The pods' version label for a version name (label values are restricted). */
  versionLabel: (version: string) => string;
  deadlineMs: number;
  lockTimeoutMs: number;
  wait: boolean;
  dryRun: boolean;
  /** The caller holds the app's Lease already (a deploy rolling itself back). */
  leaseHeld?: boolean;
  /** Entries the record keeps at least. */
  keep?: number;
  /** After traffic is back, before the record is written: the step moves the registry stage back. */
  afterRecovery?: (target: Target, undone: Release[]) => Promise<string | null>;
  /** Date.now() when the rollback was asked for: the time to recovery counts from here. */
  started: number;
  signal: AbortSignal;
  log: Logger;
}

export type RollbackStatus = 'rolled-back' | 'already-there' | 'planned' | 'applied' | 'failed';

export interface RollbackResult {
  status: RollbackStatus;
  target: Target;
  /** The images serving when the rollback looked, other than the target. */
  from: string[];
  path: 'warm' | 'cold' | null;
  /** The rollout in progress that was asked to stop first (its Lease holder). */
  stopped: string | undefined;
  recoverySeconds: number | null;
  steps: StepRecord[];
  /** The rollback's entry in the record (absent when nothing changed or for a dry run). */
  entry: Release | undefined;
  /** The record after the rollback, newest first. */
  releases: Release[];
  reason?: string;
  diagnosis?: Diagnosis;
}

export async function rollBack(o: RollbackOptions): Promise<RollbackResult> {
  const { kube, namespace, app } = o;
  // The target is read before a rollout in progress is stopped: it is that rollout's previous version.
  const target = resolveTarget(await readRecord(kube, namespace, app), o.to, app, o.toInput);
  const before = await readLive(kube, namespace, app);
  if (!before.active && !before.spare)
    throw new KubeError(
      `${app} has no Deployment in namespace '${namespace}' to roll back`,
      404,
      'Check app and namespace; to put a version on a new cluster, run deploy-rollout.',
    );
  const plannedFrom = servingImages(before).filter((i) => i !== target.image);
  o.log.info(
    `rollback of ${app}: ${plannedFrom.join(' + ') || target.image} → ${target.image} (${target.version}), ${
      plannedFrom.length
        ? canGoWarm(before, target.image)
          ? 'warm: its pods are up'
          : 'cold: redeployed without analysis'
        : 'already there'
    }`,
  );
  const base = { target, stopped: undefined, steps: [], entry: undefined, recoverySeconds: null };
  if (o.dryRun) return { ...base, status: 'planned', from: plannedFrom, path: null, releases: [] };
  const lease = o.leaseHeld
    ? undefined
    : await takeLease(kube, { ...o, by: o.actor ?? 'someone', waitMs: o.lockTimeoutMs });
  try {
    return await underLease(o, target, lease?.stopped);
  } finally {
    await lease?.held.release();
  }
}

async function underLease(o: RollbackOptions, asked: Target, stopped: string | undefined) {
  const { kube, namespace, app } = o;
  const record = await readRecord(kube, namespace, app);
  // A stopped rollout has aborted itself: what it was still undoing is done; the rest is ours.
  const undo = asked.undo.filter((r) => {
    const now = record.releases.find((x) => x.revision === r.revision);
    return now && !now.rolledBackBy && now.status !== 'aborted' && now.status !== 'cancelled';
  });
  const target = { ...asked, undo };
  const live = await readLive(kube, namespace, app);
  const from = servingImages(live).filter((i) => i !== target.image);
  const timeline = new Timeline();
  if (stopped)
    timeline.done('stop rollout', 'done', `${stopped} stopped; traffic back on its stable version`, 0);
  if (!from.length && !stopped && !undo.length) {
    o.log.notice(`${app} already serves ${target.image} (${target.version}): nothing to do`);
    return {
      status: 'already-there' as const,
      target,
      from,
      path: null,
      stopped,
      recoverySeconds: null,
      steps: [],
      entry: undefined,
      releases: record.releases,
    };
  }
  const entry = entryOf(o, target, record, from[0] ?? imageOf(live.active) ?? null);
  const keep = Math.min(100, Math.max(o.keep ?? 10, record.releases.length + 1));
  await writeRecord(kube, namespace, app, withRelease(record.releases, entry, keep), record.resourceVersion);
  let result: PathResult;
  try {
    result = from.length
      ? await goBack({
          kube,
          namespace,
          app,
          image: target.image,
          versionLabel: o.versionLabel(target.version),
          annotation: releaseAnnotation(entry),
          live,
          deadlineMs: o.deadlineMs,
          wait: o.wait,
          signal: o.signal,
          log: o.log,
          timeline,
        })
      : { path: 'warm', status: 'rolled-back', recoveredAt: Date.now() };
  } catch (e) {
    // The API server gone for longer than the client retries: a verdict, and the record says so.
    if (!(e instanceof KubeError && (e.status === 0 || e.transient))) throw e;
    result = { path: 'cold', status: 'failed', reason: e.message };
  }
  const recoverySeconds = result.recoveredAt ? (result.recoveredAt - o.started) / 1000 : null;
  const stage =
    result.status === 'rolled-back' && o.afterRecovery ? await o.afterRecovery(target, undo) : null;
  const final: Release = {
    ...entry,
    status: result.status === 'applied' ? 'applied' : result.status,
    finishedAt: new Date().toISOString(),
    steps: timeline.steps,
    stage,
    rollback: {
      ...entry.rollback!,
      path: result.path,
      recoverySeconds,
      ...(result.reason && { error: result.reason }),
    },
  };
  const releases = await recordFinal(o, final, undo, keep);
  return {
    status: result.status,
    target,
    from,
    path: result.path,
    stopped,
    recoverySeconds,
    steps: timeline.steps,
    entry: final,
    releases,
    ...(result.reason && { reason: result.reason }),
    ...(result.diagnosis && { diagnosis: result.diagnosis }),
  };
}

/** The final entry, and the undone releases marked with it; best effort when the cluster is what failed. */
async function recordFinal(o: RollbackOptions, final: Release, undo: Release[], keep: number) {
  const undone = new Set(final.status === 'rolled-back' ? undo.map((r) => r.revision) : []);
  try {
    const latest = await readRecord(o.kube, o.namespace, o.app);
    const marked = latest.releases.map((r) =>
      undone.has(r.revision) ? { ...r, rolledBackBy: final.revision } : r,
    );
    const releases = withRelease(marked, final, keep);
    await writeRecord(o.kube, o.namespace, o.app, releases);
    return releases;
  } catch (e) {
    if (final.status !== 'failed') throw e;
    o.log.warn(`could not record the failed rollback: ${(e as Error).message}`);
    return [];
  }
}

function entryOf(
  o: RollbackOptions,
  target: Target,
  record: { releases: Release[] },
  from: string | null,
): Release {
  return {
    revision: nextRevision({ releases: record.releases, resourceVersion: undefined }),
    status: 'in-progress',
    kind: 'rollback',
    app: o.app,
    image: target.image,
    version: target.version,
    previousImage: from,
    strategy: 'rollback',
    startedAt: new Date(o.started).toISOString(),
    finishedAt: null,
    actor: o.actor,
    commit: o.commit,
    runUrl: o.runUrl,
    reason: o.reason,
    steps: [],
    facts: target.release?.facts ?? null,
    stage: null,
    rollback: {
      from,
      to: target.image,
      target: target.asked,
      toRevision: target.release?.revision ?? null,
      undid: target.undo.map((r) => r.revision),
      path: 'cold',
      recoverySeconds: null,
      automatic: o.automatic,
    },
  };
}
