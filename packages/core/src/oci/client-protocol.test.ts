/**
 * Corners of the distribution protocol that distribution 2.8 with filesystem storage never shows
 * (tag pages, redirects to blob storage, 429, tokens in `access_token`, a lying registry), played
 * by a small server on 127.0.0.1 that answers in the shapes the spec and Docker Hub use.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Registry } from './client.ts';
import { RegistryError } from './errors.ts';
import { MEDIA } from './types.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, host: string) => void;

async function serve(t: TestContext, handler: Handler): Promise<string> {
  let host = '';
  const server = createServer((req, res) => handler(req, res, host));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return host;
}

const TOKEN = 'tok-3f9a1c';
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A registry that wants a Bearer token, issued anonymously in `access_token` as Docker Hub does. */
function bearer(req: IncomingMessage, res: ServerResponse, host: string): boolean {
  const url = new URL(req.url ?? '/', `http://${host}`);
  if (url.pathname === '/token') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: TOKEN, expires_in: 300 }));
    return true;
  }
  if (req.headers.authorization === `Bearer ${TOKEN}`) return false;
  res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake"` });
  res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
  return true;
}

describe('protocol corners', () => {
  it('follows tag pages through Link headers with an anonymous token', async (t) => {
    const host = await serve(t, (req, res, self) => {
      if (bearer(req, res, self)) return;
      const url = new URL(req.url ?? '/', `http://${self}`);
      if (url.pathname === '/v2/') return res.end('{}');
      const last = url.searchParams.get('last');
      const page = last === null ? ['a', 'b'] : last === 'b' ? ['c', 'd'] : ['e'];
      const next = last === null ? 'b' : last === 'b' ? 'd' : undefined;
      if (next) res.setHeader('link', `</v2/acme/model/tags/list?last=${next}&n=2>; rel="next"`);
      res.end(JSON.stringify({ name: 'acme/model', tags: page }));
    });
    const reg = await Registry.connect(host, { backoffMs: 1 });
    assert.deepEqual(await reg.listTags('acme/model'), ['a', 'b', 'c', 'd', 'e']);
  });

  it('reads a blob redirected to storage without sending the token there, after a 429', async (t) => {
    const blob = Buffer.from('model bytes');
    const digest = sha256(blob);
    const storageAuth: (string | undefined)[] = [];
    const storage = await serve(t, (req, res) => {
      storageAuth.push(req.headers.authorization);
      res.end(blob);
    });
    let limited = false;
    const host = await serve(t, (req, res, self) => {
      if (bearer(req, res, self)) return;
      if (req.url === '/v2/') return res.end('{}');
      if (!limited) {
        limited = true;
        res.writeHead(429, { 'retry-after': '0' });
        return res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      }
      res.writeHead(307, { location: `http://${storage}/blobs/${digest}?signature=x` });
      res.end();
    });
    const reg = await Registry.connect(host, { backoffMs: 1 });
    const read = Buffer.concat(await (await reg.readBlob('acme/model', digest)).toArray());
    assert.deepEqual(read, blob);
    assert.ok(limited);
    assert.deepEqual(storageAuth, [undefined]);
  });

  it('fails a blob read whose bytes do not match the digest', async (t) => {
    const host = await serve(t, (_req, res) => res.end('tampered'));
    const reg = await Registry.connect(host, { backoffMs: 1 });
    const stream = await reg.readBlob('acme/model', sha256(Buffer.from('original')));
    await assert.rejects(
      stream.toArray(),
      (e: unknown) => e instanceof RegistryError && e.kind === 'integrity',
    );
  });

  it('rejects a manifest whose bytes do not match the digest asked for', async (t) => {
    const host = await serve(t, (req, res) => {
      if (req.url === '/v2/') return res.end('{}');
      res.writeHead(200, { 'content-type': MEDIA.ociManifest });
      res.end('{"schemaVersion":2}');
    });
    const reg = await Registry.connect(host, { backoffMs: 1 });
    const asked = sha256(Buffer.from('{"schemaVersion":2,"other":1}'));
    await assert.rejects(reg.getManifest('acme/model', asked), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'integrity');
      return true;
    });
  });

  it('says so when the host is not a registry', async (t) => {
    const host = await serve(t, (_req, res) => res.writeHead(404).end('<html>not here</html>'));
    await assert.rejects(Registry.connect(host, { backoffMs: 1 }), /does not answer as an OCI registry/);
  });

  it('gives up on a registry that keeps failing, saying what it answered', async (t) => {
    let calls = 0;
    const host = await serve(t, (req, res) => {
      if (req.url === '/v2/') return res.end('{}');
      calls++;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}');
    });
    const reg = await Registry.connect(host, { retries: 3, backoffMs: 1 });
    await assert.rejects(reg.listTags('acme/model'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'server');
      assert.match(
        e.message,
        /answered 503 to GET \/v2\/acme\/model\/tags\/list \(UNAVAILABLE: maintenance\) 4 times/,
      );
      return true;
    });
    assert.equal(calls, 4);
  });
});
