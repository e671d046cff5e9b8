/** Every input checked before the cluster is touched. */
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';
import { REQUEST_TTL_MS } from '../../kube/rollback/request.ts';
import { checkStage } from '../../versions/stages.ts';
import type { RollbackInputs } from './spec.ts';

export interface Plan {
  app: string;
  namespace: string;
  to: string;
  reason: string;
  deadlineMs: number;
  lockTimeoutMs: number;
  /** The stage to move back: named, `none`, or undefined for the one the undone release moved. */
  stage: string | undefined;
}

const APP = /^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const bad = (input: string, what: string, fix: string) =>
  new InputError(what, { where: { path: input }, fix });

export function checkInputs(inputs: RollbackInputs, describe: (n: string) => string): Plan {
  const { app, namespace } = inputs;
  if (!APP.test(app))
    throw bad(
      describe('app'),
      `'${app}' is not a valid app name`,
      'Use the app name deploy-rollout was given.',
    );
  if (!NAMESPACE.test(namespace))
    throw bad(
      describe('namespace'),
      `'${namespace}' is not a valid namespace name`,
      'Use lower-case letters, digits and -.',
    );
  if (!inputs.reason)
    throw bad(
      describe('reason'),
      'a rollback needs a reason',
      'Say why, e.g. "error rate doubled after v8"; it goes into the release record.',
    );
  if (!inputs.to)
    throw bad(
      describe('to'),
      'the target is empty',
      'Use previous, a revision, a version or an image by digest.',
    );
  const deadlineMs = parseDuration(inputs.deadline);
  if (deadlineMs === undefined || deadlineMs < 1000)
    throw bad(
      describe('deadline'),
      `'${inputs.deadline}' is not a duration`,
      'Write it like 90s, 10m or 1h.',
    );
  const lockTimeoutMs = parseDuration(inputs['lock-timeout']);
  if (lockTimeoutMs === undefined || lockTimeoutMs > REQUEST_TTL_MS)
    throw bad(
      describe('lock-timeout'),
      `'${inputs['lock-timeout']}' is not a duration of at most 10m`,
      'Write it like 30s or 2m.',
    );
  const stage = inputs['registry-stage'];
  if (stage && stage !== 'none') {
    try {
      checkStage(stage);
    } catch (e) {
      throw bad(describe('registry-stage'), (e as Error).message, 'A stage is a tag, e.g. production.');
    }
  }
  return { app, namespace, to: inputs.to, reason: inputs.reason, deadlineMs, lockTimeoutMs, stage };
}
