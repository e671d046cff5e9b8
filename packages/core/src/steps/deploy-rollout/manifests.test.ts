import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from './check.ts';
import { deploymentOf, labelValue, serviceOf } from './manifests.ts';

const plan = (over: Partial<Plan> = {}): Plan => ({
  app: 'iris',
  namespace: 'models',
  image: 'r/iris@sha256:ab',
  version: 'v2',
  replicas: 3,
  port: 8080,
  resources: {},
  nodeSelector: {},
  tolerations: [],
  env: [],
  deadlineMs: 120_000,
  scaleDownDelayMs: 0,
  lockTimeoutMs: 0,
  strategy: 'rolling',
  manifests: {},
  ...over,
});

describe('deploymentOf', () => {
  it("probes modelship serve's health and readiness on its port, and never lets ready pods drop", () => {
    const d = deploymentOf(plan(), { a: 'b' });
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.image, 'r/iris@sha256:ab');
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/v2/health/ready', port: 8080 });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/v2/health/live', port: 8080 });
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(d.spec.progressDeadlineSeconds, 120);
    assert.deepEqual(d.spec.selector, { matchLabels: { 'app.kubernetes.io/name': 'iris' } });
    assert.equal(d.spec.template.metadata.labels['app.kubernetes.io/version'], 'v2');
    assert.equal(d.metadata?.annotations?.a, 'b');
  });

  it('asks for GPUs as nvidia.com/gpu limits and tolerates the GPU taint; CPU is requested, not limited', () => {
    const d = deploymentOf(
      plan({ resources: { cpu: '500m', 'nvidia.com/gpu': '1' }, nodeSelector: { pool: 'gpu' } }),
      {},
    );
    const pod = d.spec.template.spec;
    assert.deepEqual(pod.containers[0].resources, {
      requests: { cpu: '500m', 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual(pod.nodeSelector, { pool: 'gpu' });
  });

  it("sets only image, labels, env and probes on the user's Deployment, keeping its own probe and fields", () => {
    const user = {
      kind: 'Deployment',
      metadata: { name: 'whatever', labels: { team: 'fraud' } },
      spec: {
        replicas: 5,
        template: {
          spec: {
            serviceAccountName: 'model',
            containers: [
              { name: 'sidecar', image: 'envoy' },
              {
                name: 'serve',
                image: 'old',
                env: [
                  { name: 'MODELSHIP_PORT', value: '1' },
                  { name: 'KEEP', value: 'k' },
                ],
                readinessProbe: { exec: { command: ['true'] } },
              },
            ],
          },
        },
      },
    };
    const d = deploymentOf(plan({ manifests: { deployment: user }, env: [{ name: 'X', value: 'y' }] }), {});
    assert.equal(d.metadata?.name, 'iris');
    assert.equal(d.metadata?.labels?.team, 'fraud');
    assert.equal(d.spec.replicas, 5);
    assert.equal(d.spec.template.spec.serviceAccountName, 'model');
    const [sidecar, serve] = d.spec.template.spec.containers;
    assert.equal(sidecar.image, 'envoy');
    assert.equal(serve.image, 'r/iris@sha256:ab');
    assert.deepEqual(serve.env, [
      { name: 'KEEP', value: 'k' },
      { name: 'MODELSHIP_PORT', value: '8080' },
      { name: 'X', value: 'y' },
    ]);
    assert.deepEqual(serve.readinessProbe, { exec: { command: ['true'] } });
    assert.equal(user.spec.template.spec.containers[1]!.image, 'old', "the user's object is not changed");
  });
});

describe('serviceOf', () => {
  it("selects the app's pods and gives every port a protocol (server-side apply before 1.21 needs it)", () => {
    const s = serviceOf(
      plan({
        manifests: { service: { spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 8080 }] } } },
      }),
      {},
    );
    assert.equal(s.spec.type, 'NodePort');
    assert.deepEqual(s.spec.selector, { 'app.kubernetes.io/name': 'iris' });
    assert.deepEqual(s.spec.ports, [{ port: 80, targetPort: 8080, protocol: 'TCP' }]);
  });
});

describe('labelValue', () => {
  it('turns a tag into a valid label value', () => {
    assert.equal(labelValue('1.4.0+build/7'), '1.4.0_build_7');
    assert.equal(labelValue('-x-'), 'x');
  });
});
