/**
 * The `kubernetes` target: the training as Jobs on a cluster (see kubernetes/job.ts for what is
 * created), each pod's log streamed with its rank, the Jobs watched to their end, the reason read
 * from the cluster on failure, and everything deleted afterwards — on cancellation before the step
 * exits. The model is pushed by the job itself (rank 0), under the key's tag; the step finds it there.
 */
import { randomBytes } from 'node:crypto';
import type { Kube } from '../kube/client.ts';
import { connectKube } from '../kube/connect.ts';
import type { KubeObject } from '../kube/types.ts';
import { Informer, kubeSource } from '../kube/watch.ts';
import type { Logger } from '../platform/port.ts';
import { checkInputs } from '../steps/train-dispatch/check.ts';
import type { TrainDispatchInputs } from '../steps/train-dispatch/spec.ts';
import { failureReason, jobState, pullFailure, unschedulable } from './kubernetes/failure.ts';
import {
  type JobPlan,
  jobsOf,
  LABELS,
  paramsOf,
  secretOf,
  serviceOf,
  supportsIndexed,
} from './kubernetes/job.ts';
import { PodLogs } from './kubernetes/logs.ts';
import type { TrainOutcome, TrainRequest, TrainTarget } from './target.ts';

const PROGRESS_EVERY_MS = 30_000;
const CLEANUP_MS = 60_000;

export function kubernetesTarget(inputs: TrainDispatchInputs): TrainTarget {
  return {
    async run(request, { log, signal }) {
      const kube = await connectKube(inputs.kubeconfig, { describe: 'kubeconfig', signal });
      const plan = await planOf(inputs, request, kube);
      const created: KubeObject[] = [];
      try {
        return await train(kube, plan, created, log, signal);
      } finally {
        // After a cancellation the cleanup still runs, bounded, so nothing is left behind.
        if (signal.aborted) kube.detach(CLEANUP_MS);
        await cleanup(kube, plan, created, log, signal.aborted);
      }
    },
  };
}

async function planOf(inputs: TrainDispatchInputs, request: TrainRequest, kube: Kube): Promise<JobPlan> {
  const checked = checkInputs(inputs, (n) => n);
  const version = await kube.serverVersion();
  const user = inputs['registry-username'];
  const password = inputs['registry-password'];
  return {
    name: `train-${request.key.replace(/^sha256:/, '').slice(0, 10)}-${randomBytes(3).toString('hex')}`,
    namespace: inputs.namespace,
    key: request.key,
    image: inputs.image ?? '',
    command: inputs.command,
    args: inputs.args,
    env: request.env,
    params: request.params,
    resources: checked.resources,
    nodeSelector: checked.nodeSelector,
    tolerations: checked.tolerations,
    deadlineSeconds: Math.ceil(checked.deadlineMs / 1000),
    backoffLimit: inputs['backoff-limit'],
    workers: inputs.workers,
    masterPort: inputs['master-port'],
    secretEnv: {
      ...(user && { MODELSHIP_INPUT_REGISTRY_USERNAME: user }),
      ...(password && { MODELSHIP_INPUT_REGISTRY_PASSWORD: password }),
    },
    indexed: inputs.workers > 1 && supportsIndexed(version),
  };
}

async function train(
  kube: Kube,
  plan: JobPlan,
  created: KubeObject[],
  log: Logger,
  signal: AbortSignal,
): Promise<TrainOutcome> {
  const create = async (o: KubeObject) => {
    created.push(o);
    return kube.create(o);
  };
  await create(paramsOf(plan));
  const secret = secretOf(plan);
  if (secret) await create(secret);
  let masterAddr = '127.0.0.1';
  if (plan.workers > 1) {
    const svc = await create(serviceOf(plan));
    masterAddr = svc.spec?.clusterIP ?? masterAddr;
  }
  const jobs = jobsOf(plan, masterAddr);
  for (const job of jobs) await create(job);
  log.info(
    `training ${plan.name} in ${plan.namespace}: ${jobs.length} Job(s)${plan.indexed ? ' (Indexed)' : ''}, ${plan.workers} worker(s), MASTER_ADDR ${masterAddr}:${plan.masterPort}`,
  );
  return watchToEnd(kube, plan, jobs.length, log, signal);
}

/** Watches the Jobs and their pods until every Job completed, one failed, or the step is cancelled. */
async function watchToEnd(
  kube: Kube,
  plan: JobPlan,
  jobCount: number,
  log: Logger,
  signal: AbortSignal,
): Promise<TrainOutcome> {
  const watching = new AbortController();
  const stop = () => watching.abort();
  signal.addEventListener('abort', stop, { once: true });
  const labels = `${LABELS.training}=${plan.name}`;
  const logs = new PodLogs(kube, plan.namespace, log, watching.signal);
  const started = Date.now();
  let warned = false;
  let settle: (o: TrainOutcome) => void = () => {};
  const ended = new Promise<TrainOutcome>((resolve) => (settle = resolve));
  const check = () => {
    const jobs = jobInformer.items();
    const pods = podInformer.items();
    logs.update(pods);
    const states = jobs.map(jobState);
    const pull = pods.map(pullFailure).find(Boolean);
    if (states.includes('failed') || pull)
      settle({ status: 'failed', reason: pull ?? failureReason(jobs, pods), logTail: logs.tail });
    else if (jobs.length === jobCount && states.every((s) => s === 'succeeded'))
      settle({ status: 'succeeded', logTail: logs.tail });
    const waiting = pods.map(unschedulable).find(Boolean);
    if (waiting && !warned) {
      warned = true;
      log.warn(`${waiting} (waiting; the deadline ends it)`);
    }
  };
  const jobInformer = new Informer(
    kubeSource(kube, { apiVersion: 'batch/v1', kind: 'Job', namespace: plan.namespace, labels }),
    check,
  );
  const podInformer = new Informer(
    kubeSource(kube, { apiVersion: 'v1', kind: 'Pod', namespace: plan.namespace, labels }),
    check,
  );
  const progress = setInterval(
    () => log.info(progressLine(podInformer.items(), plan.workers, started)),
    PROGRESS_EVERY_MS,
  );
  const cancelled = new Promise<TrainOutcome>((resolve) =>
    signal.addEventListener(
      'abort',
      () => resolve({ status: 'cancelled', reason: 'cancelled', logTail: logs.tail }),
      {
        once: true,
      },
    ),
  );
  const failed = Promise.race([jobInformer.run(watching.signal), podInformer.run(watching.signal)]).then(
    () => new Promise<never>(() => {}),
  );
  try {
    const outcome = await Promise.race([ended, cancelled, failed]);
    // The containers have ended: let their last lines arrive before the report uses the tail.
    if (outcome.status !== 'cancelled') await logs.drain(10_000);
    return { ...outcome, logTail: logs.tail };
  } finally {
    clearInterval(progress);
    watching.abort();
    signal.removeEventListener('abort', stop);
  }
}

function progressLine(pods: KubeObject[], workers: number, started: number): string {
  const phases = pods.map((p) => p.status?.phase ?? 'Pending');
  const count = (p: string) => phases.filter((x) => x === p).length;
  const done = count('Succeeded');
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  return `training: ${done}/${workers} ranks done (${Math.round((100 * done) / workers)}%), ${count('Running')} running, ${count('Pending')} pending, ${minutes} min`;
}

/**
 * Deletes what the training created and its pods. After a cancellation it also waits (bounded)
 * until the pods are gone, so the step exits with nothing left running; after an end, the pods'
 * containers have stopped already and Kubernetes finishes removing them on its own.
 */
async function cleanup(
  kube: Kube,
  plan: JobPlan,
  created: KubeObject[],
  log: Logger,
  waitGone: boolean,
): Promise<void> {
  const labels = `${LABELS.training}=${plan.name}`;
  try {
    for (const o of [...created].reverse()) await kube.delete(o);
    const until = Date.now() + CLEANUP_MS;
    for (;;) {
      const pods = (await kube.list('v1', 'Pod', plan.namespace, { labels })).items;
      for (const p of pods)
        if (!p.metadata?.deletionTimestamp)
          await kube.delete({ apiVersion: 'v1', kind: 'Pod', metadata: p.metadata });
      if (!pods.length || !waitGone) return;
      if (Date.now() > until) {
        log.warn(`${pods.length} pod(s) of ${plan.name} are still terminating; Kubernetes removes them`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    log.warn(`could not delete everything of ${plan.name} in ${plan.namespace}: ${(e as Error).message}`);
  }
}
