/**
 * The rollback a failure calls, not a person: monitor-gate after promotion (a watch window that
 * fails) or a deploy that holds the app's Lease already. The same module as the rollback step, to
 * `previous`, recorded as automatic with the failure as its reason and `modelship` as its actor
 * unless the CI names one. A canary that fails before promotion needs none of this: its own abort
 * (`on-failure: abort`) puts traffic back on the stable side, which never stopped serving.
 */
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import { actorOf } from '../release.ts';
import { type RollbackResult, rollBack } from './rollback.ts';

export function rollBackAutomatically(
  kube: Kube,
  o: {
    namespace: string;
    app: string;
    /** The failure, one line: it is the rollback's recorded reason. */
    why: string;
    /** The caller holds the app's Lease (a deploy); else the rollback takes it, stopping any rollout. */
    leaseHeld: boolean;
    versionLabel: (version: string) => string;
    deadlineMs: number;
    runUrl: string | null;
    signal: AbortSignal;
    log: Logger;
  },
): Promise<RollbackResult> {
  const env = process.env;
  const actor = actorOf(env) ?? 'modelship';
  return rollBack({
    kube,
    namespace: o.namespace,
    app: o.app,
    to: 'previous',
    toInput: 'to',
    reason: `automatic: ${o.why}`,
    actor,
    commit: env.GITHUB_SHA ?? env.CI_COMMIT_SHA ?? null,
    runUrl: o.runUrl,
    automatic: true,
    holder: `automatic rollback by ${actor} (pid ${process.pid})`,
    versionLabel: o.versionLabel,
    deadlineMs: o.deadlineMs,
    lockTimeoutMs: 60_000,
    wait: true,
    dryRun: false,
    leaseHeld: o.leaseHeld,
    started: Date.now(),
    signal: o.signal,
    log: o.log,
  });
}
