import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Attempt, isTransient, type KubeError, kubeErrorOf } from './errors.ts';

const patchDeployment: Attempt = {
  verb: 'patch',
  resource: 'deployments.apps',
  namespace: 'models',
  name: 'iris',
  server: 'https://10.0.0.1:6443',
};
const api = (code: number, body: unknown) =>
  Object.assign(new Error('Unsuccessful HTTP Request'), { code, body });
const line = (e: unknown) => (e as KubeError).render();

describe('kubeErrorOf', () => {
  it('names the RBAC rule a 403 lacks, from the server message', () => {
    const e = api(403, {
      reason: 'Forbidden',
      message:
        'deployments.apps "iris" is forbidden: User "system:serviceaccount:models:ci" cannot patch resource "deployments" in API group "apps" in the namespace "models"',
    });
    assert.equal(
      line(kubeErrorOf(e, patchDeployment)),
      `forbidden: system:serviceaccount:models:ci may not patch deployments.apps in namespace 'models'. Grant it with a Role in 'models': apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"], bound to system:serviceaccount:models:ci.`,
    );
  });

  it("falls back on what was tried when a 403's message is terse (a watch's failed start)", () => {
    const e = Object.assign(new Error('Forbidden'), { statusCode: 403 });
    assert.match(
      line(kubeErrorOf(e, { ...patchDeployment, verb: 'watch', name: undefined })),
      /^forbidden: the kubeconfig's user may not watch deployments\.apps in namespace 'models'/,
    );
  });

  it('gives the field path of an invalid object', () => {
    const e = api(422, {
      message: 'Deployment.apps "iris" is invalid: …',
      details: {
        causes: [
          { field: 'spec.template.spec.containers[0].image', message: 'Required value' },
          { field: 'x' },
        ],
      },
    });
    assert.equal(
      line(kubeErrorOf(e, patchDeployment)),
      "the Kubernetes API rejected deployments.apps 'iris' in namespace 'models' as invalid: spec.template.spec.containers[0].image: Required value (and 1 more). Fix that field in the manifests or inputs.",
    );
  });

  it('says which namespace does not exist, and that a conflict is an apply conflict', () => {
    assert.match(
      line(
        kubeErrorOf(api(404, JSON.stringify({ message: 'namespaces "models" not found' })), patchDeployment),
      ),
      /^namespace 'models' does not exist on https:\/\/10\.0\.0\.1:6443\./,
    );
    const conflict = kubeErrorOf(
      api(409, { message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' }),
      patchDeployment,
    );
    assert.match(
      line(conflict),
      /^conflict on deployments\.apps 'iris' .*\.spec\.replicas\. Another field manager owns these fields/,
    );
  });

  it('an unreachable server names the server and is worth retrying; a bad certificate is not', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const e = kubeErrorOf(refused, patchDeployment) as KubeError;
    assert.match(
      e.render(),
      /^cannot reach the Kubernetes API server at https:\/\/10\.0\.0\.1:6443 \(ECONNREFUSED\) to patch deployments\.apps 'iris'/,
    );
    assert.equal(e.transient, true);
    const cert = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    });
    assert.equal((kubeErrorOf(cert, patchDeployment) as KubeError).transient, false);
    assert.match(line(kubeErrorOf(cert, patchDeployment)), /certificate-authority/);
  });

  it('retries only what may answer differently: 429, 502-504 and network drops, never a 500', () => {
    assert.deepEqual(
      [429, 500, 502, 503, 504, 400].map((code) => isTransient(api(code, {}))),
      [true, false, true, true, true, false],
    );
  });

  it('leaves anything that is not an API or network failure alone (a bug stays a bug)', () => {
    const bug = new RangeError('oops');
    assert.equal(kubeErrorOf(bug, patchDeployment), bug);
  });
});
