/**
 * deploy-rollout: the app's Deployment and Service for the new image, rolled out by the chosen
 * strategy, watched to the end, and recorded in the cluster. This file only orders the work:
 * check.ts refuses bad inputs before the cluster is touched; manifests.ts writes the objects;
 * kube/rollout/ moves the app; kube/release.ts keeps the record a rollback reads.
 */
import { hostname } from 'node:os';
import { ConfigurationError } from '../../errors.ts';
import type { Kube } from '../../kube/client.ts';
import { connectKube } from '../../kube/connect.ts';
import { acquireRollout } from '../../kube/lease.ts';
import { applyPrometheusRule } from '../../kube/prometheus-rule.ts';
import {
  nextRevision,
  RELEASE_ANNOTATION,
  type Release,
  readRecord,
  releaseAnnotation,
  stableOf,
  withRelease,
  writeRecord,
} from '../../kube/release.ts';
import { rollbackRequestOf, watchRollbackRequest } from '../../kube/rollback/request.ts';
import { holdWarm, parseKeepPrevious } from '../../kube/rollback/warm.ts';
import { evidenceFor } from '../../kube/rollout/evidence.ts';
import { STRATEGY_KINDS } from '../../kube/rollout/kinds.ts';
import { imageOf, type RolloutOutcome } from '../../kube/rollout/strategy.ts';
import { alertsFor } from '../../monitor/alerts/rules.ts';
import type { Platform } from '../../platform/port.ts';
import { redact } from '../../secrets/redact.ts';
import type { AnalysisSettings } from '../monitor-gate/check.ts';
import { analysisHook, checkDeployAnalysis } from '../monitor-gate/hook.ts';
import type { StepOutcome } from '../types.ts';
import { checkInputs, type Plan } from './check.ts';
import { deploymentOf, serviceOf } from './manifests.ts';
import { outcomeOf } from './outcome.ts';
import { imageFacts, namedByImage, promoteStage } from './registry.ts';
import { pausedRelease, resumed } from './resume.ts';
import type { DeployRolloutInputs } from './spec.ts';

export async function run(
  inputs: DeployRolloutInputs,
  platform: Platform,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const started = Date.now();
  const describe = (n: string) => platform.describeInput(n);
  const checked = await checkInputs(inputs, platform, describe);
  parseKeepPrevious(inputs['keep-previous'], describe('keep-previous')); // checked before anything changes
  const facts = imageFacts(inputs, platform, signal); // read while the cluster's client connects
  const kube = await connectKube(inputs.kubeconfig, { describe: describe('kubeconfig'), signal });
  const plan = namedByImage(checked, inputs.image, await facts);
  // monitor-gate between canary steps: its analysis-* inputs checked before the cluster is touched.
  const analysis = plan.canary?.steps.some((s) => s.kind === 'analysis')
    ? await checkDeployAnalysis(inputs, describe)
    : undefined;
  const ctx: Run = { inputs, platform, plan, kube, signal, started, analysis, facts: await facts };
  if (inputs['dry-run']) return dryRun(ctx);
  const lock = await acquireRollout(kube, {
    namespace: plan.namespace,
    app: plan.app,
    holder: holderOf(platform),
    waitMs: plan.lockTimeoutMs,
    signal,
    log: platform,
  });
  // a rollback of this app may ask this rollout to stop (kube/rollback/request.ts).
  const rollbackAsked = watchRollbackRequest(kube, {
    namespace: plan.namespace,
    app: plan.app,
    signal,
    log: platform,
  });
  try {
    return await rollout({ ...ctx, signal: rollbackAsked.signal });
  } finally {
    rollbackAsked.stop();
    await lock.release();
  }
}

/** One deploy: what the user asked, where it runs, and the cluster it acts on. */
interface Run {
  inputs: DeployRolloutInputs;
  platform: Platform;
  plan: Plan;
  kube: Kube;
  signal: AbortSignal;
  /** Date.now() when the step began, for the report's duration. */
  started: number;
  /** The analysis an `analysis` canary step runs (monitor-gate), when the steps have one. */
  analysis: AnalysisSettings | undefined;
  /** What build-image recorded on the image (null when the registry could not say). */
  facts: Record<string, string> | null;
}

/** What this release is and what served before it, from the cluster. */
async function prepare({ inputs, platform, plan, kube, facts }: Run) {
  const strategy = STRATEGY_KINDS[plan.strategy];
  // Two independent reads at once: each is a round trip the rollout would otherwise wait for.
  const [record, previous] = await Promise.all([
    readRecord(kube, plan.namespace, plan.app),
    strategy.current(kube, plan.namespace, plan.app),
  ]);
  // A canary paused at a bare `pause`: this deploy goes on with that release (resume.ts).
  const paused = pausedRelease(record, plan, (n) => platform.describeInput(n));
  const release = paused
    ? resumed(paused)
    : releaseOf(plan, inputs, platform, {
        revision: nextRevision(record),
        // The record knows what served last whatever the strategy then; the cluster, when there is no record.
        previousImage: stableOf(record)?.image ?? imageOf(previous) ?? null,
        facts,
      });
  const annotations = { [RELEASE_ANNOTATION]: releaseAnnotation(release) };
  const objects = { deployment: deploymentOf(plan, annotations), service: serviceOf(plan, annotations) };
  return { record, strategy, previous, release, paused, ...objects };
}

/** The manifests and the plan, validated by the API server; nothing is changed, nothing recorded. */
async function dryRun(ctx: Run) {
  const { platform, kube } = ctx;
  const { release, service, deployment } = await prepare(ctx);
  await platform.group('Server-side dry run', async () => {
    for (const o of [service, deployment]) await kube.apply(o, { dryRun: true });
  });
  const planned: Release = { ...release, status: 'planned' };
  return outcomeOf({
    ...ctx,
    release: planned,
    objects: [service, deployment],
    evidence: [],
  });
}

async function rollout(ctx: Run): Promise<StepOutcome> {
  const { inputs, platform, plan, kube, signal } = ctx;
  // keep-previous was checked in run(), before the Lease.
  const keepPreviousMs = parseKeepPrevious(inputs['keep-previous'], 'keep-previous');
  const { record, strategy, previous, release, paused, deployment, service } = await prepare(ctx);
  await writeRecord(
    kube,
    plan.namespace,
    plan.app,
    withRelease(record.releases, release, inputs.history),
    record.resourceVersion,
  );
  platform.info(
    `release ${release.revision} of ${plan.app}: ${plan.image} (${inputs.strategy}), previous ${release.previousImage ?? 'none'}`,
  );
  const outcome: RolloutOutcome = await strategy
    .run({
      kube,
      namespace: plan.namespace,
      app: plan.app,
      image: plan.image,
      deployment,
      service,
      previous,
      deadlineMs: plan.deadlineMs,
      scaleDownDelayMs: Math.max(plan.scaleDownDelayMs, plan.strategy === 'blue-green' ? keepPreviousMs : 0),
      keepPreviousMs,
      ...(plan.canary && { canary: plan.canary }),
      ...(plan.versions && { versions: plan.versions }),
      ...(paused?.pausedAt && { resume: paused.pausedAt }),
      wait: inputs.wait,
      onFailure: inputs['on-failure'],
      ...(ctx.analysis && {
        analysis: analysisHook(ctx.analysis, {
          app: plan.app,
          namespace: plan.namespace,
          kube,
          log: platform,
          describe: (n) => platform.describeInput(n),
        }),
      }),
      signal,
      log: platform,
    })
    .catch(async (e: unknown) => {
      // The record must not claim a release is still in progress after the step stopped.
      await recordFailure(kube, plan, release, e, inputs.history);
      throw e;
    });
  // stopped for a rollback, it put traffic back on stable: an abort, not a cancellation.
  if (outcome.status === 'cancelled' && rollbackRequestOf(signal)) outcome.status = 'aborted';
  const evidence = outcome.diagnosis ? await evidenceFor(kube, plan.namespace, outcome.diagnosis) : [];
  // never rejects (a refusal is a warning); it runs while the stage moves and the record is read.
  const alerting = outcome.status === 'promoted' ? applyAlerts(ctx) : undefined;
  const stage = inputs['promote-stage'];
  if (stage && outcome.status === 'promoted') {
    const moved = await promoteStage(inputs, stage, release.actor, platform, signal);
    platform.info(`stage ${stage} now holds ${moved.digest} (before: ${moved.previous ?? 'nothing'})`);
  }
  const final: Release = {
    ...release,
    status: outcome.status,
    finishedAt: new Date().toISOString(),
    reason: outcome.reason ?? null,
    steps: paused ? [...paused.steps, ...outcome.steps] : outcome.steps,
    stage: stage && outcome.status === 'promoted' ? stage : null,
    ...(outcome.warm && {
      warm: { ...outcome.warm, until: new Date(Date.now() + keepPreviousMs).toISOString() },
    }),
    ...(outcome.pausedAt && { pausedAt: outcome.pausedAt }),
  };
  // Read again: a person may have edited the record while we waited (another deploy cannot: the Lease).
  const [alerts, latest] = await Promise.all([alerting, readRecord(kube, plan.namespace, plan.app)]);
  const version = await writeRecord(
    kube,
    plan.namespace,
    plan.app,
    withRelease(latest.releases, final, inputs.history),
  );
  if (outcome.status === 'cancelled') signal.throwIfAborted();
  // the previous version stays warm for the keep-previous window, then goes.
  if (outcome.warm)
    await holdWarm(kube, {
      namespace: plan.namespace,
      deployment: outcome.warm.deployment,
      ms: keepPreviousMs,
      signal,
      log: platform,
    });
  return outcomeOf({
    ...ctx,
    release: final,
    objects: [service, deployment],
    evidence,
    recordVersion: version,
    alerts,
  });
}

/**
 * The promoted app's alert rules, as a PrometheusRule where the Prometheus Operator runs. Alerting
 * is not the rollout: a cluster that refuses it gets a warning, never a failed deploy.
 */
async function applyAlerts({ inputs, platform, plan, kube }: Run): Promise<string | undefined> {
  if (inputs.alerts === 'off') return undefined;
  const { prometheusRule } = alertsFor({ app: plan.app, namespace: plan.namespace });
  const applied = await applyPrometheusRule(kube, prometheusRule).catch((e: unknown) => ({
    applied: false,
    note: `not applied: ${e instanceof Error ? e.message : String(e)}`,
  }));
  (applied.applied ? platform.info : platform.warn).call(platform, `alert rules: ${applied.note}`);
  return applied.note;
}

/** Who holds the rollout Lease, as the next deploy's "waiting for …" line shows it. */
function holderOf(platform: Platform): string {
  const env = process.env;
  const who = env.GITHUB_ACTOR ?? env.GITLAB_USER_LOGIN ?? env.USER ?? 'modelship';
  return `${who} on ${hostname()} (pid ${process.pid})${platform.runUrl() ? `, ${platform.runUrl()}` : ''}`;
}

async function recordFailure(
  kube: Kube,
  plan: Plan,
  release: Release,
  e: unknown,
  keep: number,
): Promise<void> {
  const reason =
    e instanceof ConfigurationError ? e.render() : `bug: ${e instanceof Error ? e.message : String(e)}`;
  try {
    const latest = await readRecord(kube, plan.namespace, plan.app);
    const failed: Release = {
      ...release,
      status: 'failed',
      finishedAt: new Date().toISOString(),
      reason: redact(reason),
    };
    await writeRecord(kube, plan.namespace, plan.app, withRelease(latest.releases, failed, keep));
  } catch {
    // The cluster may be what failed; the error the step reports says so.
  }
}

function releaseOf(
  plan: Plan,
  inputs: DeployRolloutInputs,
  platform: Platform,
  facts: { revision: number; previousImage: string | null; facts: Record<string, string> | null },
): Release {
  const env = process.env;
  return {
    revision: facts.revision,
    status: 'in-progress',
    app: plan.app,
    image: plan.image,
    version: plan.version,
    previousImage: facts.previousImage,
    strategy: inputs.strategy,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    actor: env.GITHUB_ACTOR ?? env.GITLAB_USER_LOGIN ?? env.USER ?? null,
    commit: env.GITHUB_SHA ?? env.CI_COMMIT_SHA ?? null,
    runUrl: platform.runUrl() ?? null,
    reason: null,
    steps: [],
    facts: facts.facts,
    stage: null,
  };
}
