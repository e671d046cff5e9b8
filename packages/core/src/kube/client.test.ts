import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePki, type Pki } from '../../../../test/support/kube-pki.ts';
import { connectKube } from './connect.ts';

/** An HTTPS server that wants a client certificate, as an API server does, and counts handshakes. */
describe('the Kubernetes client', () => {
  let dir: string;
  let pki: Pki;
  let handshakes = 0;
  let server: ReturnType<typeof createServer>;
  let url: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ms-kube-client-'));
    pki = await makePki(dir, { nodeName: 'test', nodeIp: '127.0.0.1', serviceIp: '127.0.0.1' });
    const [ca, cert, key] = await Promise.all([
      readFile(pki.ca),
      readFile(pki.apiserver.cert),
      readFile(pki.apiserver.key),
    ]);
    server = createServer({ ca, cert, key, requestCert: true, rejectUnauthorized: true }, (_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ major: '1', minor: '20', gitVersion: 'v1.20.2' }));
    });
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps one connection for requests one after another, instead of a TLS handshake each', async () => {
    const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${url}", certificate-authority: "${pki.ca}" } }]
users: [{ name: u, user: { client-certificate: "${pki.clients.admin.cert}", client-key: "${pki.clients.admin.key}" } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;
    const kube = await connectKube(kubeconfig, { describe: 'the kubeconfig input' });
    for (let i = 0; i < 10; i++) assert.deepEqual(await kube.serverVersion(), { major: 1, minor: 20 });
    assert.equal(kube.requests, 10);
    // The pool may open a second connection while the first is still finishing its response.
    assert.ok(handshakes <= 2, `${handshakes} TLS handshakes for 10 requests`);
  });
});
