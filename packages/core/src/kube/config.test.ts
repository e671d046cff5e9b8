import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../errors.ts';
import { redact } from '../secrets/redact.ts';
import { kubeconfigSource, loadKubeconfig } from './config.ts';

const CONTENT = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: 'https://10.1.2.3:6443' }
users:
- name: u
  user: { token: s3cret-token-value }
contexts:
- name: x
  context: { cluster: c, user: u }
current-context: x
`;

describe('kubeconfigSource', () => {
  it('takes the input as content or a path, then KUBECONFIG (its first file), then the pod it runs in', () => {
    assert.equal(kubeconfigSource(CONTENT, {}).kind, 'content');
    assert.deepEqual(kubeconfigSource(' ./kube.yaml ', {}), {
      kind: 'file',
      path: './kube.yaml',
      from: 'input',
    });
    assert.deepEqual(kubeconfigSource(undefined, { KUBECONFIG: ':/a:/b' }), {
      kind: 'file',
      path: '/a',
      from: 'KUBECONFIG',
    });
    assert.deepEqual(kubeconfigSource('', {}, true), { kind: 'in-cluster' });
    assert.throws(() => kubeconfigSource(undefined, {}, false), /no Kubernetes credentials/);
  });
});

describe('loadKubeconfig', () => {
  it('masks the credentials it loads', async () => {
    const kc = await loadKubeconfig({ kind: 'content', text: CONTENT }, '--kubeconfig');
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.1.2.3:6443');
    assert.equal(redact('Authorization: Bearer s3cret-token-value'), 'Authorization: Bearer ***');
  });

  it('refuses content that is not a kubeconfig without quoting it', async () => {
    const broken = `apiVersion: v1\nusers:\n- name: u\n  user: { token: another-secret-token\n`;
    const e = await loadKubeconfig({ kind: 'content', text: broken }, '--kubeconfig').catch(
      (x: unknown) => x,
    );
    assert.ok(e instanceof InputError);
    assert.match(e.render(), /^--kubeconfig is not a valid kubeconfig/);
    assert.doesNotMatch(e.render(), /another-secret-token/);
  });

  it('names the file it could not read, and a kubeconfig with no current cluster', async () => {
    await assert.rejects(
      loadKubeconfig({ kind: 'file', path: '/nope/kube.yaml', from: 'KUBECONFIG' }, '--kubeconfig'),
      /cannot read the kubeconfig KUBECONFIG \(\/nope\/kube\.yaml\): ENOENT/,
    );
    const dir = await mkdtemp(join(tmpdir(), 'kc-'));
    await writeFile(join(dir, 'k'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
    await assert.rejects(
      loadKubeconfig({ kind: 'file', path: join(dir, 'k'), from: 'input' }, '--kubeconfig'),
      /names no current context with a cluster/,
    );
  });
});
