import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Logger } from '../../platform/port.ts';
import { parseInputs } from '../spec.ts';
import { checkInputs, tolerationOf } from './check.ts';
import { namedByImage } from './registry.ts';
import { deployRolloutSpec } from './spec.ts';

const warnings: string[] = [];
const log: Logger = { info() {}, warn: (m) => warnings.push(m), notice() {}, debug() {}, progress() {} };
const describeInput = (n: string) => `--${n}`;
const DIGEST = `sha256:${'a'.repeat(64)}`;

async function plan(raw: Record<string, string>) {
  const inputs = await parseInputs(
    deployRolloutSpec,
    { image: `r.io/iris@${DIGEST}`, app: 'iris', ...raw },
    describeInput,
  );
  return checkInputs(inputs, log, describeInput);
}

describe('checkInputs', () => {
  it('turns inputs into a plan: version from the tag or digest, resources, node selector, tolerations, env', async () => {
    const p = await plan({
      cpu: '500m',
      memory: '1Gi',
      gpus: '1',
      'node-selector': 'pool=gpu',
      tolerations: 'dedicated=models:NoSchedule',
      env: 'A=b=c',
    });
    assert.equal(p.version, 'aaaaaaaaaaaa');
    assert.deepEqual(p.resources, { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' });
    assert.deepEqual(p.nodeSelector, { pool: 'gpu' });
    assert.deepEqual(p.env, [{ name: 'A', value: 'b=c' }]);
    assert.equal(p.deadlineMs, 600_000);
    assert.equal((await plan({ image: 'r.io/iris:1.4.0' })).version, '1.4.0');
    assert.match(warnings.at(-1) ?? '', /--image 'r\.io\/iris:1\.4\.0' has no digest/);
  });

  it('names an image by digest alone by the version build-image recorded on it', async () => {
    const byDigest = await plan({});
    const recorded = { 'org.opencontainers.image.version': 'v42' };
    assert.equal(namedByImage(byDigest, `r.io/iris@${DIGEST}`, recorded).version, 'v42');
    assert.equal(namedByImage(byDigest, `r.io/iris@${DIGEST}`, null).version, 'aaaaaaaaaaaa');
    const bad = { 'org.opencontainers.image.version': 'not a label value!' };
    assert.equal(namedByImage(byDigest, `r.io/iris@${DIGEST}`, bad).version, 'aaaaaaaaaaaa');
    const tagged = await plan({ image: `r.io/iris:1.4.0@${DIGEST}` });
    assert.equal(
      namedByImage(tagged, `r.io/iris:1.4.0@${DIGEST}`, recorded).version,
      '1.4.0',
      'a tag given wins',
    );
  });

  it('refuses each bad input with one line naming it', async () => {
    for (const [raw, expected] of [
      [{ app: 'Iris_Model' }, /^--app: 'Iris_Model' is not a valid app name/],
      [{ 'progress-deadline': 'ten minutes' }, /^--progress-deadline: 'ten minutes' is not a duration/],
      [{ memory: '1GB' }, /^--memory: '1GB' is not a Kubernetes quantity\. Write it like 512Mi/],
      [{ tolerations: 'gpu:Sometimes' }, /^--tolerations: 'gpu:Sometimes' is not a toleration/],
      [{ 'node-selector': 'pool' }, /^--node-selector: 'pool' is not key=value/],
      [{ manifests: '/nope.yaml' }, /^--manifests: cannot read the manifests file \/nope\.yaml: ENOENT/],
      [{ strategy: 'canary', wait: 'false' }, /^--wait: a canary moves traffic step by step/],
      [
        { strategy: 'canary', traffic: 'gateway-api' },
        /^--gateway: traffic gateway-api needs the Gateway to attach the HTTPRoute to\. Set --gateway to its name/,
      ],
      [{ strategy: 'canary', steps: '50%, 20%' }, /^--steps: canary step '20%' must be above/],
    ] as const) {
      await assert.rejects(plan(raw as Record<string, string>), (e: Error & { render(): string }) => {
        assert.match(e.render(), expected);
        return true;
      });
    }
  });

  it("reads the user's Deployment and Service, and refuses a file with anything else", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'manifests-'));
    const ok = join(dir, 'ok.yaml');
    await writeFile(ok, 'kind: Deployment\nmetadata: {name: x}\n---\nkind: Service\nspec: {}\n');
    const p = await plan({ manifests: ok });
    assert.deepEqual([p.manifests.deployment?.kind, p.manifests.service?.kind], ['Deployment', 'Service']);
    const extra = join(dir, 'extra.yaml');
    await writeFile(extra, 'kind: Deployment\n---\nkind: Ingress\n');
    await assert.rejects(plan({ manifests: extra }), (e: Error & { render(): string }) => {
      assert.equal(
        e.render(),
        `${extra}: it holds an object of kind Ingress. Give at most one Deployment and one Service; apply other objects in an earlier job.`,
      );
      return true;
    });
  });
});

describe('tolerationOf', () => {
  it('reads taints as kubectl writes them', () => {
    assert.deepEqual(tolerationOf('gpu:NoSchedule', 'x'), {
      key: 'gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    assert.deepEqual(tolerationOf('dedicated=models:NoExecute', 'x'), {
      key: 'dedicated',
      operator: 'Equal',
      value: 'models',
      effect: 'NoExecute',
    });
  });
});
