import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  INDEX_LABEL,
  type JobPlan,
  jobsOf,
  LABELS,
  paramsOf,
  secretOf,
  serviceOf,
  supportsIndexed,
} from './job.ts';

const plan = (o: Partial<JobPlan> = {}): JobPlan => ({
  name: 'train-abc',
  namespace: 'ml',
  key: 'sha256:00',
  image: 'reg/trainer@sha256:11',
  command: [],
  args: ['--epochs', '3'],
  env: { LOG: 'debug' },
  params: { 'learning-rate': '0.1' },
  resources: { memory: '1Gi', 'nvidia.com/gpu': '1' },
  nodeSelector: {},
  tolerations: [],
  deadlineSeconds: 600,
  backoffLimit: 0,
  workers: 2,
  masterPort: 29500,
  secretEnv: {},
  indexed: false,
  ...o,
});

type Env = { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
const envOf = (job: { spec: { template: { spec: { containers: { env: Env }[] } } } }) =>
  job.spec.template.spec.containers[0]!.env;
const value = (env: Env, name: string) => env.find((e) => e.name === name);

describe('training Job manifests', () => {
  it('one Job per rank on servers without Indexed Jobs, each with its RANK and the PET_* twins', () => {
    const jobs = jobsOf(plan(), '10.0.0.7');
    assert.deepEqual(
      jobs.map((j) => j.metadata?.name),
      ['train-abc-0', 'train-abc-1'],
    );
    for (const [rank, job] of jobs.entries()) {
      const env = envOf(job as never);
      assert.equal(value(env, 'RANK')?.value, String(rank));
      assert.equal(value(env, 'PET_NODE_RANK')?.value, String(rank));
      assert.equal(value(env, 'WORLD_SIZE')?.value, '2');
      assert.equal(value(env, 'PET_NNODES')?.value, '2');
      assert.equal(value(env, 'MASTER_ADDR')?.value, '10.0.0.7');
      assert.equal(value(env, 'PET_MASTER_PORT')?.value, '29500');
      assert.equal(value(env, 'PARAM_LEARNING_RATE')?.value, '0.1');
      assert.equal(job.spec.template.metadata.labels[LABELS.rank], String(rank));
      assert.equal(job.spec.completionMode, undefined);
    }
    const pod = jobs[0]!.spec.template.spec;
    assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual(pod.containers[0].resources.limits, { memory: '1Gi', 'nvidia.com/gpu': '1' });
    assert.equal(jobs[0]!.spec.activeDeadlineSeconds, 600);
  });

  it('one Indexed Job where the server has them, the rank read from the index label', () => {
    const jobs = jobsOf(plan({ indexed: true }), '10.0.0.7');
    assert.equal(jobs.length, 1);
    const job = jobs[0]!;
    assert.equal(job.spec.completionMode, 'Indexed');
    assert.equal(job.spec.completions, 2);
    assert.equal(job.spec.parallelism, 2);
    assert.equal(
      value(envOf(job as never), 'RANK')?.valueFrom?.fieldRef.fieldPath,
      `metadata.labels['${INDEX_LABEL}']`,
    );
    assert.deepEqual(serviceOf(plan({ indexed: true })).spec.selector, {
      [LABELS.managedBy]: 'modelship',
      [LABELS.training]: 'train-abc',
      [INDEX_LABEL]: '0',
    });
    assert.equal(supportsIndexed({ major: 1, minor: 20 }), false);
    assert.equal(supportsIndexed({ major: 1, minor: 31 }), true);
  });

  it('the Service selects rank 0 on the rendezvous port; params go in a ConfigMap, credentials only in a Secret', () => {
    const svc = serviceOf(plan());
    assert.equal(svc.spec.selector[LABELS.rank], '0');
    assert.equal(svc.spec.ports[0].port, 29500);
    assert.equal(JSON.parse(paramsOf(plan()).data['params.json'])['learning-rate'], '0.1');
    assert.equal(secretOf(plan()), undefined);
    const withSecret = plan({ secretEnv: { MODELSHIP_INPUT_REGISTRY_PASSWORD: 'pw' } });
    assert.equal(secretOf(withSecret)?.stringData.MODELSHIP_INPUT_REGISTRY_PASSWORD, 'pw');
    const job = jobsOf(withSecret, '10.0.0.7')[0]!;
    assert.ok(!JSON.stringify(job).includes('pw"'), 'the password is not in the Job');
    assert.deepEqual(job.spec.template.spec.containers[0].envFrom, [
      { secretRef: { name: 'train-abc-registry' } },
    ]);
  });
});
