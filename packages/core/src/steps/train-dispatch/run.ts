/**
 * train-dispatch: the training key first (data, code, params, image); a registry that already
 * holds a model with that key answers at once (skip); else the target trains (train/kinds.ts), its
 * logs streamed here, and the model ends up in the registry under the key's tag — pushed by the
 * job, or by this step from the file the target handed back (collect.ts). The output is the model
 * by digest, which evaluate-model and build-image take as their `model`.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { writeJson } from '../../files/atomic.ts';
import { Registry } from '../../oci/client.ts';
import type { Platform } from '../../platform/port.ts';
import { codeTrees, keyTag, trainingKey } from '../../train/key.ts';
import { targetFor } from '../../train/kinds.ts';
import { findTrained } from '../../train/skip.ts';
import type { TrainOutcome, TrainRequest } from '../../train/target.ts';
import type { StepOutcome } from '../types.ts';
import { checkInputs, type Plan } from './check.ts';
import { collect } from './collect.ts';
import type { TrainDispatchInputs } from './spec.ts';
import { buildSummary, type Facts } from './summary.ts';

const ANNOTATION = 'dev.modelship.training';

export async function run(
  inputs: TrainDispatchInputs,
  platform: Platform,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const started = Date.now();
  const describe = (n: string) => platform.describeInput(n);
  const plan = checkInputs(inputs, describe);
  const code = await codeTrees(inputs['code-paths'], process.cwd(), describe('code-paths'));
  const key = trainingKey({
    dataDigest: inputs['data-digest'],
    code,
    params: plan.params,
    image: inputs.image,
  });
  const keyParts = {
    data: inputs['data-digest'] ?? '—',
    ...Object.fromEntries(Object.entries(code).map(([p, id]) => [`code ${p}`, id])),
    params: JSON.stringify(plan.params),
    image: inputs.image ?? '—',
  };
  platform.info(`training key ${key}`);
  const registry = plan.repository ? await connect(plan.repository, inputs, platform, signal) : undefined;
  const repo = plan.repository?.slice(plan.repository.indexOf('/') + 1);
  const end = (f: Omit<Facts, 'key' | 'keyParts' | 'target' | 'seconds'>) =>
    ended(inputs, platform, {
      ...f,
      key,
      keyParts,
      target: inputs.target,
      seconds: (Date.now() - started) / 1000,
    });

  if (registry && repo && !inputs.force) {
    const digest = await findTrained(registry, repo, key);
    if (digest) {
      platform.info(`a model with this key is in ${plan.repository} already: skipping the training`);
      return end({
        status: 'skipped',
        model: `${plan.repository}@${digest}`,
        reason: undefined,
        runUrl: undefined,
        logTail: [],
      });
    }
  }
  const annotations = await annotationsOf(key, inputs, plan);
  const request: TrainRequest = {
    key,
    params: plan.params,
    env: { ...plan.env, ...modelEnv(key, plan, inputs, annotations) },
    artifactRepository: plan.repository,
    annotations,
  };
  const outcome = await targetFor(inputs).run(request, { log: platform, signal });
  if (outcome.status === 'cancelled') signal.throwIfAborted();
  const facts = { reason: outcome.reason, runUrl: outcome.runUrl, logTail: outcome.logTail };
  if (outcome.status !== 'succeeded') return end({ status: outcome.status, model: undefined, ...facts });
  const model = await modelOf(
    outcome,
    plan,
    key,
    annotations,
    inputs,
    platform,
    signal,
    registry,
    repo,
  ).finally(
    // Without a registry the model file itself is the output, so its directory stays.
    () => outcome.scratch && registry && rm(outcome.scratch, { recursive: true, force: true }),
  );
  if (model.why) return end({ status: 'failed', model: undefined, ...facts, reason: model.why });
  return end({ status: 'succeeded', model: model.ref, ...facts });
}

function connect(repository: string, inputs: TrainDispatchInputs, platform: Platform, signal: AbortSignal) {
  const user = inputs['registry-username'];
  const password = inputs['registry-password'];
  return Registry.connect(repository.slice(0, repository.indexOf('/')), {
    ...(user && password && { credentials: { username: user, password } }),
    ...(inputs['insecure-registry'] && { insecure: true }),
    retries: 1,
    log: platform,
    signal,
  });
}

/** What the training is told about where its model goes (the job pushes it with these). */
function modelEnv(key: string, plan: Plan, inputs: TrainDispatchInputs, annotations: Record<string, string>) {
  return {
    MODELSHIP_TRAINING_KEY: key,
    ...(plan.repository && {
      MODELSHIP_MODEL_REPOSITORY: plan.repository,
      MODELSHIP_MODEL_TAG: keyTag(key),
      MODELSHIP_MODEL_ANNOTATIONS: Object.entries(annotations)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      ...(inputs['insecure-registry'] && { MODELSHIP_INPUT_INSECURE_REGISTRY: 'true' }),
    }),
  };
}

async function annotationsOf(
  key: string,
  inputs: TrainDispatchInputs,
  plan: Plan,
): Promise<Record<string, string>> {
  const commit = process.env.GITHUB_SHA ?? process.env.CI_COMMIT_SHA ?? (await headCommit());
  return {
    [`${ANNOTATION}.key`]: key,
    ...(inputs['data-digest'] && { [`${ANNOTATION}.data-digest`]: inputs['data-digest'] }),
    ...(commit && { 'org.opencontainers.image.revision': commit }),
    ...Object.fromEntries(Object.entries(plan.params).map(([k, v]) => [`${ANNOTATION}.param.${k}`, v])),
  };
}

const headCommit = () =>
  promisify(execFile)('git', ['rev-parse', 'HEAD'])
    .then((r) => r.stdout.trim())
    .catch(() => undefined);

/** The model by digest: collected from the file the target gave, or found where the job pushed it. */
async function modelOf(
  outcome: TrainOutcome,
  plan: Plan,
  key: string,
  annotations: Record<string, string>,
  inputs: TrainDispatchInputs,
  platform: Platform,
  signal: AbortSignal,
  registry: Registry | undefined,
  repo: string | undefined,
): Promise<{ ref?: string; why?: string }> {
  if (outcome.modelRef) return { ref: outcome.modelRef };
  if (!plan.repository || !registry || !repo) {
    if (outcome.modelFile)
      platform.info(`model file: ${outcome.modelFile} (no registry given, so not pushed)`);
    return outcome.modelFile ? { ref: outcome.modelFile } : {};
  }
  if (outcome.modelFile)
    return {
      ref: await collect(
        outcome.modelFile,
        plan.repository,
        keyTag(key),
        annotations,
        inputs,
        platform,
        signal,
      ),
    };
  const digest = await findTrained(registry, repo, key);
  if (digest) return { ref: `${plan.repository}@${digest}` };
  return {
    why: `the training succeeded but pushed no model to ${plan.repository}:${keyTag(key)} (the trainer pushes $MODELSHIP_MODEL_REPOSITORY:$MODELSHIP_MODEL_TAG; see examples/trainer)`,
  };
}

async function ended(inputs: TrainDispatchInputs, platform: Platform, f: Facts): Promise<StepOutcome> {
  const passed = f.status === 'succeeded' || f.status === 'skipped';
  const duration = f.status === 'skipped' ? 0 : Math.round(f.seconds);
  const report = { step: 'train-dispatch', passed, ...f, duration };
  await writeJson(inputs.report, report, { input: platform.describeInput('report') });
  if (f.status === 'failed' && f.logTail.length) platform.warn(`last lines:\n${f.logTail.join('\n')}`);
  return {
    passed,
    outputs: {
      model: f.model ?? '',
      'run-url': f.runUrl ?? '',
      duration,
      skipped: String(f.status === 'skipped'),
      key: f.key,
      report: inputs.report,
    },
    summary: buildSummary(f),
    checks: [
      {
        id: 'training',
        group: inputs.target,
        status: passed ? 'pass' : 'fail',
        severity: 'error',
        message: passed ? `${f.status}: ${f.model}` : (f.reason ?? f.status),
      },
    ],
    headline: { training_seconds: duration },
  };
}
