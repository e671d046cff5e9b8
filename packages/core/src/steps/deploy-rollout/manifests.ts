/**
 * The Deployment and Service of a model server: generated for modelship serve (its health and
 * readiness endpoints as probes, its port), or the user's own, of which only the image, labels,
 * env and probes are set. Pods of every release share the app's labels, so one Service selects
 * them whatever the strategy.
 */
import { TRACK_LABEL } from '../../kube/traffic/router.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Plan } from './check.ts';

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
} as const;

/** modelship serve's endpoints (packages/serve/src/routes.ts). */
const READY_PATH = '/v2/health/ready';
const LIVE_PATH = '/v2/health/live';

/** The labels every pod of the app carries, whatever its version or slot. */
export const appLabels = (plan: Plan) => ({ [LABELS.name]: plan.app });

export function deploymentOf(plan: Plan, annotations: Record<string, string>): KubeObject {
  const user = plan.manifests.deployment;
  const base: KubeObject = user ? structuredClone(user) : generatedDeployment(plan);
  const podLabels = {
    ...appLabels(plan),
    // A canary's pods say `canary` here; a router that routes by track selects these as stable.
    [TRACK_LABEL]: 'stable',
    [LABELS.managedBy]: 'modelship',
    [LABELS.version]: labelValue(plan.version),
  };
  base.apiVersion = 'apps/v1';
  base.kind = 'Deployment';
  base.metadata = {
    ...base.metadata,
    name: plan.app,
    namespace: plan.namespace,
    labels: { ...base.metadata?.labels, ...podLabels },
    annotations: { ...base.metadata?.annotations, ...annotations },
  };
  base.spec ??= {};
  base.spec.selector = { matchLabels: appLabels(plan) };
  base.spec.progressDeadlineSeconds = Math.ceil(plan.deadlineMs / 1000);
  base.spec.template ??= {};
  base.spec.template.metadata = {
    ...base.spec.template.metadata,
    labels: { ...base.spec.template.metadata?.labels, ...podLabels },
  };
  base.spec.template.spec ??= {};
  const pod = base.spec.template.spec;
  const containers: KubeObject[] = pod.containers ?? [];
  if (!containers.length) containers.push({ name: 'serve' });
  pod.containers = containers;
  const server = containers.find((c) => c.name === 'serve') ?? containers[0]!;
  server.image = plan.image;
  withProtocols(server.ports);
  server.env = mergeEnv(server.env, [{ name: 'MODELSHIP_PORT', value: String(plan.port) }, ...plan.env]);
  server.ports ??= [{ name: 'http', containerPort: plan.port, protocol: 'TCP' }];
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: plan.port },
    periodSeconds,
    failureThreshold,
  });
  // Probed every second: a rolling update waits for each new pod in turn, and a probe's period is
  // added to every one of them (a local HTTP check each second costs the pod nothing).
  server.readinessProbe ??= probe(READY_PATH, 1, 3);
  // Loading a large model takes a while: the startup probe holds liveness off (up to 5 min) until it is up.
  server.startupProbe ??= probe(LIVE_PATH, 1, 300);
  server.livenessProbe ??= probe(LIVE_PATH, 10, 3);
  return base;
}

function generatedDeployment(plan: Plan): KubeObject {
  const limits = Object.fromEntries(Object.entries(plan.resources).filter(([k]) => k !== 'cpu'));
  const gpu = 'nvidia.com/gpu' in plan.resources;
  const tolerations = [
    ...plan.tolerations,
    ...(gpu ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] : []),
  ];
  return {
    spec: {
      replicas: plan.replicas,
      revisionHistoryLimit: 5,
      // Never fewer ready servers than asked for during the update.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'serve',
              ...(Object.keys(plan.resources).length && {
                // CPU is requested, not limited: a limit throttles inference latency for no gain.
                resources: { requests: plan.resources, ...(Object.keys(limits).length && { limits }) },
              }),
            },
          ],
          ...(Object.keys(plan.nodeSelector).length && { nodeSelector: plan.nodeSelector }),
          ...(tolerations.length && { tolerations }),
        },
      },
    },
  };
}

export function serviceOf(plan: Plan, annotations: Record<string, string>): KubeObject {
  const user = plan.manifests.service;
  const base: KubeObject = user
    ? structuredClone(user)
    : {
        spec: {
          type: 'ClusterIP',
          ports: [{ name: 'http', port: 80, targetPort: plan.port, protocol: 'TCP' }],
        },
      };
  base.apiVersion = 'v1';
  base.kind = 'Service';
  base.metadata = {
    ...base.metadata,
    name: plan.app,
    namespace: plan.namespace,
    labels: { ...base.metadata?.labels, ...appLabels(plan), [LABELS.managedBy]: 'modelship' },
    annotations: { ...base.metadata?.annotations, ...annotations },
  };
  base.spec ??= {};
  base.spec.selector = appLabels(plan);
  withProtocols(base.spec.ports);
  return base;
}

/**
 * Server-side apply on Kubernetes before 1.21 refuses a port list whose entries omit `protocol`
 * (it is part of the list's key and had no default there); TCP is what the server would default.
 */
function withProtocols(ports: { protocol?: string }[] | undefined): void {
  for (const p of ports ?? []) p.protocol ??= 'TCP';
}

/** Ours win over the manifest's for the same name; the rest keep their order. */
function mergeEnv(existing: { name: string }[] | undefined, ours: { name: string; value: string }[]) {
  const names = new Set(ours.map((e) => e.name));
  return [...(existing ?? []).filter((e) => !names.has(e.name)), ...ours];
}

/** A label value: 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends. */
export function labelValue(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 63)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'unknown'
  );
}
