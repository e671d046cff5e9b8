/**
 * The objects a training on Kubernetes is made of: its Jobs (one Indexed Job where the server has
 * them with the index as a pod label, else one Job per rank), a Service in front of rank 0 for the
 * rendezvous (no cluster DNS needed: its ClusterIP goes into MASTER_ADDR), a ConfigMap with the
 * params file, and a Secret with the registry credentials the job pushes the model with.
 * Everything carries the training's label, so cleanup finds it all by one selector.
 */
import type { KubeObject } from '../../kube/types.ts';

export const LABELS = {
  training: 'modelship.dev/training',
  rank: 'modelship.dev/rank',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
export const KEY_ANNOTATION = 'modelship.dev/training-key';
/** Kubernetes sets this label on an Indexed Job's pods from 1.28 (the annotation alone before). */
export const INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
export const CONTAINER = 'train';
export const PARAMS_DIR = '/etc/modelship';

export interface Toleration {
  key: string;
  operator: string;
  value?: string;
  effect: string;
}

export interface JobPlan {
  /** The training's name: the Service's, and the Jobs' prefix. */
  name: string;
  namespace: string;
  key: string;
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  params: Record<string, string>;
  resources: Record<string, string>;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  deadlineSeconds: number;
  backoffLimit: number;
  workers: number;
  masterPort: number;
  /** Variables given through a Secret (registry credentials), never in a manifest. */
  secretEnv: Record<string, string>;
  /** One Indexed Job instead of a Job per rank. */
  indexed: boolean;
}

/** `PARAM_LEARNING_RATE` for `learning-rate`. */
export const paramEnvName = (name: string) => `PARAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

const labelsOf = (plan: JobPlan) => ({ [LABELS.managedBy]: 'modelship', [LABELS.training]: plan.name });
const meta = (plan: JobPlan, name: string, extra: Record<string, string> = {}) => ({
  name,
  namespace: plan.namespace,
  labels: { ...labelsOf(plan), ...extra },
  annotations: { [KEY_ANNOTATION]: plan.key },
});

export const jobName = (plan: JobPlan, rank: number) => (plan.indexed ? plan.name : `${plan.name}-${rank}`);
export const paramsName = (plan: JobPlan) => `${plan.name}-params`;
export const secretName = (plan: JobPlan) => `${plan.name}-registry`;

/** The Service that makes rank 0 reachable by its ClusterIP; only for more than one worker. */
export function serviceOf(plan: JobPlan): KubeObject {
  const rank0 = plan.indexed ? { [INDEX_LABEL]: '0' } : { [LABELS.rank]: '0' };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(plan, plan.name),
    spec: {
      selector: { ...labelsOf(plan), ...rank0 },
      ports: [{ name: 'rendezvous', port: plan.masterPort, targetPort: plan.masterPort, protocol: 'TCP' }],
      // Ranks connect before rank 0 is ready by any probe: publish it as soon as it is scheduled.
      publishNotReadyAddresses: true,
    },
  };
}

export function paramsOf(plan: JobPlan): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(plan, paramsName(plan)),
    data: { 'params.json': `${JSON.stringify(plan.params, null, 2)}\n` },
  };
}

export function secretOf(plan: JobPlan): KubeObject | undefined {
  if (!Object.keys(plan.secretEnv).length) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(plan, secretName(plan)),
    type: 'Opaque',
    stringData: plan.secretEnv,
  };
}

/** The rendezvous variables torchrun and PyTorch DDP read; rank as a literal or from the index label. */
function distributedEnv(plan: JobPlan, masterAddr: string, rank: number | undefined) {
  const rankValue =
    rank === undefined
      ? { valueFrom: { fieldRef: { fieldPath: `metadata.labels['${INDEX_LABEL}']` } } }
      : { value: String(rank) };
  const plain = {
    MASTER_ADDR: masterAddr,
    MASTER_PORT: String(plan.masterPort),
    WORLD_SIZE: String(plan.workers),
    PET_NNODES: String(plan.workers),
    PET_MASTER_ADDR: masterAddr,
    PET_MASTER_PORT: String(plan.masterPort),
  };
  return [
    ...Object.entries(plain).map(([name, value]) => ({ name, value })),
    { name: 'RANK', ...rankValue },
    { name: 'PET_NODE_RANK', ...rankValue },
  ];
}

/** The Jobs: one Indexed Job, or one per rank. `masterAddr`: the Service's ClusterIP (127.0.0.1 alone). */
export function jobsOf(plan: JobPlan, masterAddr: string): KubeObject[] {
  if (plan.indexed) return [jobOf(plan, masterAddr, undefined)];
  return Array.from({ length: plan.workers }, (_, rank) => jobOf(plan, masterAddr, rank));
}

function jobOf(plan: JobPlan, masterAddr: string, rank: number | undefined): KubeObject {
  const rankLabel: Record<string, string> = rank === undefined ? {} : { [LABELS.rank]: String(rank) };
  const env = [
    ...Object.entries(plan.params).map(([k, value]) => ({ name: paramEnvName(k), value })),
    ...Object.entries(plan.env).map(([name, value]) => ({ name, value })),
    { name: 'MODELSHIP_PARAMS', value: `${PARAMS_DIR}/params.json` },
    ...distributedEnv(plan, masterAddr, rank),
  ];
  const secret = secretOf(plan);
  const limits = Object.keys(plan.resources).length ? plan.resources : undefined;
  const gpu = 'nvidia.com/gpu' in plan.resources;
  const tolerations = [
    ...plan.tolerations,
    ...(gpu ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] : []),
  ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(plan, jobName(plan, rank ?? 0), rankLabel),
    spec: {
      backoffLimit: plan.backoffLimit,
      activeDeadlineSeconds: plan.deadlineSeconds,
      ...(plan.indexed && {
        completionMode: 'Indexed',
        completions: plan.workers,
        parallelism: plan.workers,
      }),
      template: {
        metadata: {
          labels: { ...labelsOf(plan), ...rankLabel },
          annotations: { [KEY_ANNOTATION]: plan.key },
        },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: CONTAINER,
              image: plan.image,
              ...(plan.command.length && { command: plan.command }),
              ...(plan.args.length && { args: plan.args }),
              env,
              ...(secret && { envFrom: [{ secretRef: { name: secretName(plan) } }] }),
              ...(limits && { resources: { requests: limits, limits } }),
              volumeMounts: [{ name: 'params', mountPath: PARAMS_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: 'params', configMap: { name: paramsName(plan) } }],
          ...(Object.keys(plan.nodeSelector).length && { nodeSelector: plan.nodeSelector }),
          ...(tolerations.length && { tolerations }),
        },
      },
    },
  };
}

/** Indexed Jobs (1.21+) whose pods carry the index as a label (1.28+), which the Service selects on. */
export const supportsIndexed = (v: { major: number; minor: number }) => v.major > 1 || v.minor >= 28;
