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
import { evidenceFor } from '../../kube/rollout/evidence.ts';
import { STRATEGY_KINDS } from '../../kube/rollout/kinds.ts';
import { imageOf, type RolloutOutcome } from '../../kube/rollout/strategy.ts';
import type { Platform } from '../../platform/port.ts';
import { redact } from '../../secrets/redact.ts';
import type { StepOutcome } from '../types.ts';
import { checkInputs, type Plan } from './check.ts';
import { deploymentOf, serviceOf } from './manifests.ts';
import { outcomeOf } from './outcome.ts';
import { imageFacts, promoteStage } from './registry.ts';
import type { DeployRolloutInputs } from './spec.ts';

export async function run(
  inputs: DeployRolloutInputs,
  platform: Platform,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const started = Date.now();
  const describe = (n: string) => platform.describeInput(n);
  const plan = await checkInputs(inputs, platform, describe);
  const kube = await connectKube(inputs.kubeconfig, { describe: describe('kubeconfig'), signal });
  const ctx: Run = { inputs, platform, plan, kube, signal, started };
  if (inputs['dry-run']) return dryRun(ctx);
  const lock = await acquireRollout(kube, {
    namespace: plan.namespace,
    app: plan.app,
    holder: holderOf(platform),
    waitMs: plan.lockTimeoutMs,
    signal,
    log: platform,
  });
  try {
    return await rollout(ctx);
  } finally {
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
}

/** What this release is and what served before it, from the cluster. */
async function prepare({ inputs, platform, plan, kube, signal }: Run) {
  const facts = await imageFacts(inputs, platform, signal);
  const record = await readRecord(kube, plan.namespace, plan.app);
  const strategy = STRATEGY_KINDS[plan.strategy];
  const previous = await strategy.current(kube, plan.namespace, plan.app);
  const release = releaseOf(plan, inputs, platform, {
    revision: nextRevision(record),
    // The record knows what served last whatever the strategy then; the cluster, when there is no record.
    previousImage: stableOf(record)?.image ?? imageOf(previous) ?? null,
    facts,
  });
  const annotations = { [RELEASE_ANNOTATION]: releaseAnnotation(release) };
  const objects = { deployment: deploymentOf(plan, annotations), service: serviceOf(plan, annotations) };
  return { record, strategy, previous, release, ...objects };
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
  const { record, strategy, previous, release, deployment, service } = await prepare(ctx);
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
      scaleDownDelayMs: plan.scaleDownDelayMs,
      ...(plan.canary && { canary: plan.canary }),
      wait: inputs.wait,
      onFailure: inputs['on-failure'],
      signal,
      log: platform,
    })
    .catch(async (e: unknown) => {
      // The record must not claim a release is still in progress after the step stopped.
      await recordFailure(kube, plan, release, e, inputs.history);
      throw e;
    });
  const evidence = outcome.diagnosis ? await evidenceFor(kube, plan.namespace, outcome.diagnosis) : [];
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
    steps: outcome.steps,
    stage: stage && outcome.status === 'promoted' ? stage : null,
  };
  // Read again: a person may have edited the record while we waited (another deploy cannot: the Lease).
  const latest = await readRecord(kube, plan.namespace, plan.app);
  const version = await writeRecord(
    kube,
    plan.namespace,
    plan.app,
    withRelease(latest.releases, final, inputs.history),
  );
  if (outcome.status === 'cancelled') signal.throwIfAborted();
  return outcomeOf({
    ...ctx,
    release: final,
    objects: [service, deployment],
    evidence,
    recordVersion: version,
  });
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
