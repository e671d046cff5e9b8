/**
 * The distribution client against a real registry (CNCF distribution, test/support/registry.ts),
 * with a proxy in front where a test needs to count or break requests, and skopeo reading back
 * what was pushed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { freePort, type ProxyOptions, startProxy, startRegistry } from '../../../../test/support/registry.ts';
import { tempDir } from '../../../../test/support/run.ts';
import type { Logger } from '../platform/port.ts';
import { Registry, type RegistryOptions } from './client.ts';
import { RegistryError } from './errors.ts';
import { type BlobSource, MEDIA } from './types.ts';

const MiB = 1024 * 1024;
/** Retries without the production waits. */
const FAST: RegistryOptions = { backoffMs: 1 };

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function bufferSource(bytes: Buffer): BlobSource & { opened: number[] } {
  const opened: number[] = [];
  return {
    digest: sha256(bytes),
    size: bytes.length,
    opened,
    open(offset = 0) {
      opened.push(offset);
      return Readable.from(pieces(bytes, offset), { objectMode: false });
    },
  };
}

function* pieces(bytes: Buffer, offset: number) {
  for (let i = offset; i < bytes.length; i += MiB) yield bytes.subarray(i, Math.min(i + MiB, bytes.length));
}

async function readAll(reg: Registry, repo: string, digest: string): Promise<Buffer> {
  return Buffer.concat(await (await reg.readBlob(repo, digest)).toArray());
}

const uploads = (requests: { method: string; path: string }[], method: string) =>
  requests.filter((r) => r.method === method && r.path.includes('/blobs/uploads/'));

describe('blobs', () => {
  it('pushes a small blob in one PUT, reads it back, and skips it when pushed again', async (t) => {
    const server = await startRegistry(t);
    const proxy = await startProxy(t, server.host);
    const reg = await Registry.connect(proxy.host, FAST);
    const bytes = randomBytes(100_000);
    const source = bufferSource(bytes);

    const pushed = await reg.pushBlob('acme/model', source);
    assert.deepEqual(pushed, { uploaded: bytes.length, sent: bytes.length, skipped: false, mounted: false });
    assert.equal(reg.bytesSent, bytes.length);
    assert.equal(uploads(proxy.requests, 'PATCH').length, 0);
    assert.equal(uploads(proxy.requests, 'PUT').length, 1);
    assert.equal(await reg.blobSize('acme/model', source.digest), bytes.length);
    assert.deepEqual(await readAll(reg, 'acme/model', source.digest), bytes);

    const again = await reg.pushBlob('acme/model', source);
    assert.deepEqual(again, { uploaded: 0, sent: 0, skipped: true, mounted: false });
    assert.equal(reg.bytesSent, bytes.length, 'no bytes sent for a blob the registry has');
    const absent = sha256(Buffer.from('absent'));
    assert.equal(await reg.blobSize('acme/model', absent), undefined);
    await assert.rejects(reg.readBlob('acme/model', absent), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'not-found');
      assert.match(e.message, /read blob sha256:\w+ from acme\/model: not found \(BLOB_UNKNOWN/);
      return true;
    });
  });

  it('pushes a 40 MiB blob in 8 MiB PATCHes and reads back the same bytes', async (t) => {
    const server = await startRegistry(t);
    const proxy = await startProxy(t, server.host);
    const reg = await Registry.connect(proxy.host, { ...FAST, chunkSize: 8 * MiB });
    const bytes = randomBytes(40 * MiB);
    const source = bufferSource(bytes);

    const pushed = await reg.pushBlob('acme/model', source);
    assert.equal(pushed.uploaded, bytes.length);
    assert.equal(pushed.sent, bytes.length);
    assert.equal(uploads(proxy.requests, 'PATCH').length, 5);
    assert.deepEqual(source.opened, [0, 8 * MiB, 16 * MiB, 24 * MiB, 32 * MiB]);
    assert.equal(proxy.forwarded, bytes.length);
    const back = await readAll(reg, 'acme/model', source.digest);
    assert.equal(sha256(back), source.digest);
  });

  it('mounts a blob from another repository without sending its bytes', async (t) => {
    const server = await startRegistry(t);
    const proxy = await startProxy(t, server.host);
    const reg = await Registry.connect(proxy.host, FAST);
    const source = bufferSource(randomBytes(50_000));
    await reg.pushBlob('acme/base', source);
    const sent = reg.bytesSent;

    const mounted = await reg.pushBlob('acme/model', source, { from: 'acme/base' });
    assert.deepEqual(mounted, { uploaded: 0, sent: 0, skipped: false, mounted: true });
    assert.equal(reg.bytesSent, sent);
    assert.equal(await reg.blobSize('acme/model', source.digest), source.size);

    // A blob the other repository lacks: the registry opens an upload instead, which is cancelled.
    const missing = sha256(Buffer.from('not pushed anywhere'));
    assert.equal(await reg.mountBlob('acme/other', missing, 'acme/base'), false);
    assert.equal(uploads(proxy.requests, 'DELETE').length, 1);
    assert.equal(
      uploads(proxy.requests, 'DELETE')[0]!.path.startsWith('/v2/acme/other/blobs/uploads/'),
      true,
    );
  });

  it('pushes many blobs at most `concurrency` at a time', async (t) => {
    const server = await startRegistry(t);
    const proxy = await startProxy(t, server.host);
    const reg = await Registry.connect(proxy.host, { ...FAST, concurrency: 2 });
    const sources = Array.from({ length: 6 }, () => bufferSource(randomBytes(200_000)));
    const results = await reg.pushBlobs('acme/model', sources);
    assert.deepEqual(
      results.map((r) => r.uploaded),
      sources.map((s) => s.size),
    );
    for (const s of sources) assert.equal(await reg.blobSize('acme/model', s.digest), s.size);
    assert.ok(proxy.maxInFlight <= 2, `at most 2 requests at once, saw ${proxy.maxInFlight}`);
  });
});

describe('a blob larger than memory should hold', () => {
  it('streams 512 MiB with memory flat', async (t) => {
    const server = await startRegistry(t);
    const reg = await Registry.connect(server.host, FAST);
    const source = await patternSource(512 * MiB);
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 5);
    t.after(() => clearInterval(sampler));
    const pushed = await reg.pushBlob('acme/big', source);
    clearInterval(sampler);
    assert.equal(pushed.uploaded, source.size);
    // Garbage collection decides the exact peak; holding the blob would need all 512 MiB at once.
    assert.ok(peak < 192 * MiB, `buffers grew by ${(peak / MiB).toFixed(0)} MiB`);
    assert.equal(await reg.blobSize('acme/big', source.digest), source.size);
  });
});

/** `size` bytes made up on the fly, one MiB at a time, so the test itself holds no blob either. */
async function patternSource(size: number): Promise<BlobSource> {
  const piece = (i: number) => {
    const b = Buffer.alloc(Math.min(MiB, size - i * MiB), i % 251);
    b.writeUInt32BE(i, 0);
    return b;
  };
  function* from(offset: number) {
    for (let i = Math.floor(offset / MiB); i * MiB < size; i++)
      yield piece(i).subarray(Math.max(0, offset - i * MiB));
  }
  const hash = createHash('sha256');
  for (const p of from(0)) hash.update(p);
  return {
    digest: `sha256:${hash.digest('hex')}`,
    size,
    open: (offset = 0) => Readable.from(from(offset), { objectMode: false }),
  };
}

describe('interrupted uploads', () => {
  const CHUNK = 8 * MiB;
  const SIZE = 40 * MiB;

  async function setup(t: TestContext, proxyOptions: ProxyOptions) {
    const server = await startRegistry(t);
    const proxy = await startProxy(t, server.host, proxyOptions);
    const reg = await Registry.connect(proxy.host, { ...FAST, chunkSize: CHUNK });
    const source = bufferSource(randomBytes(SIZE));
    return { server, proxy, reg, source };
  }

  it('resumes where the registry stopped when the connection drops mid-chunk', async (t) => {
    // Cut 4 MiB into the third chunk; the proxy holds bodies, so the registry has two chunks.
    const { proxy, reg, source } = await setup(t, { dropAfterBytes: 2 * CHUNK + 4 * MiB });
    const pushed = await reg.pushBlob('acme/model', source);
    assert.equal(proxy.drops, 1);
    assert.equal(proxy.forwarded, SIZE, 'the registry got every byte exactly once');
    // What the OS had taken when the cut came is unknowable; at most one chunk is sent twice.
    assert.ok(pushed.sent > SIZE && pushed.sent <= SIZE + CHUNK, `sent ${pushed.sent}`);
    assert.deepEqual(source.opened, [0, CHUNK, 2 * CHUNK, 2 * CHUNK, 3 * CHUNK, 4 * CHUNK]);
    assert.equal(sha256(await readAll(reg, 'acme/model', source.digest)), source.digest);
  });

  it('starts again from byte 0 when the registry dropped the session after a partial chunk', async (t) => {
    // Unbuffered, distribution keeps the partial chunk and then refuses the stale upload URL.
    const { proxy, reg, source } = await setup(t, { dropAfterBytes: 2 * CHUNK + 4 * MiB, buffered: false });
    const pushed = await reg.pushBlob('acme/model', source);
    assert.equal(proxy.drops, 1);
    assert.ok(pushed.sent >= SIZE + 2 * CHUNK + 4 * MiB && pushed.sent <= 2 * SIZE, `sent ${pushed.sent}`);
    assert.equal(source.opened.filter((o) => o === 0).length, 2);
    assert.equal(sha256(await readAll(reg, 'acme/model', source.digest)), source.digest);
  });

  it('resends only the chunk a 500 answered', async (t) => {
    const { proxy, reg, source } = await setup(t, { failOnce: { method: 'PATCH', status: 500, after: 2 } });
    const pushed = await reg.pushBlob('acme/model', source);
    assert.equal(proxy.failures, 1);
    assert.equal(proxy.forwarded, SIZE);
    assert.equal(pushed.sent, SIZE + CHUNK);
    assert.ok(
      proxy.requests.some((r) => r.method === 'GET' && r.path.includes('/blobs/uploads/')),
      'asked the registry where the upload stands',
    );
    assert.equal(sha256(await readAll(reg, 'acme/model', source.digest)), source.digest);
  });

  it('completes the upload when the final PUT is answered 500', async (t) => {
    const { proxy, reg, source } = await setup(t, { failOnce: { method: 'PUT', status: 503 } });
    const pushed = await reg.pushBlob('acme/model', source);
    assert.equal(proxy.failures, 1);
    assert.equal(pushed.sent, SIZE, 'no chunk was sent again');
    assert.equal(uploads(proxy.requests, 'PUT').length, 2);
    assert.equal(sha256(await readAll(reg, 'acme/model', source.digest)), source.digest);
  });
});

describe('manifests', () => {
  it('puts, gets by tag and digest, lists tags, deletes; skopeo reads the image', async (t) => {
    const server = await startRegistry(t);
    const reg = await Registry.connect(server.host, FAST);
    const config = bufferSource(Buffer.from('{}'));
    const layer = bufferSource(Buffer.alloc(1024)); // an empty tar: two zero blocks
    await reg.pushBlobs('acme/model', [config, layer]);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociEmpty, digest: config.digest, size: config.size },
        layers: [{ mediaType: MEDIA.ociLayer, digest: layer.digest, size: layer.size }],
      }),
    );

    const digest = await reg.putManifest('acme/model', '1.0', manifest, MEDIA.ociManifest);
    assert.equal(digest, sha256(manifest));
    await reg.putManifest('acme/model', '1.1', manifest, MEDIA.ociManifest);
    await reg.putManifest('acme/model', 'latest', manifest, MEDIA.ociManifest);

    for (const ref of ['1.0', digest]) {
      const got = await reg.getManifest('acme/model', ref);
      assert.deepEqual(got, { mediaType: MEDIA.ociManifest, digest, bytes: manifest });
    }
    assert.deepEqual((await reg.listTags('acme/model')).sort(), ['1.0', '1.1', 'latest']);
    assert.deepEqual(await reg.listTags('acme/never-pushed'), []);

    // Another client, skopeo, reads the same image back and copies it out blob by blob.
    const skopeo = (...args: string[]) => promisify(execFile)('skopeo', args);
    const raw = await skopeo(
      'inspect',
      '--tls-verify=false',
      '--raw',
      `docker://${server.host}/acme/model:1.0`,
    );
    assert.equal(raw.stdout.trim(), manifest.toString());
    const out = join(await tempDir(t), 'image');
    await skopeo(
      'copy',
      '--insecure-policy',
      '--src-tls-verify=false',
      `docker://${server.host}/acme/model:1.0`,
      `oci:${out}:1.0`,
    );
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]?.digest, digest);
    assert.deepEqual(await readFile(join(out, 'blobs', 'sha256', layer.digest.slice(7))), Buffer.alloc(1024));

    await reg.deleteManifest('acme/model', digest);
    await assert.rejects(reg.getManifest('acme/model', digest), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'not-found');
      assert.match(e.message, new RegExp(`acme/model@${digest}`));
      return true;
    });
    await assert.rejects(reg.getManifest('acme/model', '2.0'), /acme\/model:2\.0 was not found/);
  });
});

describe('authentication', () => {
  function recorder(): Logger & { lines: string[] } {
    const lines: string[] = [];
    const keep = (m: string) => void lines.push(m);
    return { lines, info: keep, warn: keep, notice: keep, debug: keep, progress: keep };
  }

  it('sends Basic credentials to an htpasswd registry, and names the user whose password is refused', async (t) => {
    const server = await startRegistry(t, { auth: 'htpasswd' });
    const alice = server.credentials.alice!;
    const log = recorder();
    const reg = await Registry.connect(server.host, { ...FAST, credentials: alice, log });
    const source = bufferSource(randomBytes(10_000));
    await reg.pushBlob('acme/model', source);
    assert.equal(await reg.blobSize('acme/model', source.digest), source.size);

    const wrong = { username: 'alice', password: 'not-alices-password' };
    await assert.rejects(Registry.connect(server.host, { ...FAST, credentials: wrong }), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'credentials');
      assert.match(e.message, /refused the credentials of user 'alice'/);
      assert.ok(!e.render().includes(wrong.password));
      return true;
    });

    const anonymous = await Registry.connect(server.host, FAST);
    await assert.rejects(anonymous.listTags('acme/model'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'unauthenticated');
      assert.match(e.message, /requires credentials to pull from acme\/model/);
      return true;
    });
    assert.ok(log.lines.length > 0);
    assert.ok(!log.lines.join('\n').includes(alice.password));
  });

  it('gets scoped tokens from a token server; a pull-only user cannot push; anonymous cannot pull', async (t) => {
    const server = await startRegistry(t, {
      auth: 'token',
      access: (user, repo, asked) => {
        if (user === 'alice' && repo.startsWith('acme/')) return asked;
        if (user === 'bob' && repo.startsWith('acme/')) return ['pull'];
        return [];
      },
    });
    const tokens = server.tokenServer!;
    const { alice, bob } = server.credentials as Record<
      'alice' | 'bob',
      { username: string; password: string }
    >;

    const log = recorder();
    const asAlice = await Registry.connect(server.host, { ...FAST, credentials: alice, log });
    const first = bufferSource(randomBytes(10_000));
    await asAlice.pushBlob('acme/model', first);
    const issued = tokens.requests.length;
    await asAlice.pushBlob('acme/model', bufferSource(randomBytes(10_000)));
    assert.equal(tokens.requests.length, issued, 'the push token is reused from the cache');
    assert.ok(tokens.requests.every((r) => r.user === 'alice' && r.status === 200));
    assert.ok(tokens.requests.some((r) => r.scopes.includes('repository:acme/model:pull,push')));
    // No read access to the repository to mount from: the blob is uploaded instead.
    const fallback = await asAlice.pushBlob('acme/other', first, { from: 'secret/base' });
    assert.deepEqual(fallback, { uploaded: first.size, sent: first.size, skipped: false, mounted: false });
    assert.ok(
      tokens.requests.some(
        (r) =>
          r.scopes.includes('repository:acme/other:pull,push') &&
          r.scopes.includes('repository:secret/base:pull'),
      ),
      'the mount asked for pull on the source repository',
    );

    const asBob = await Registry.connect(server.host, { ...FAST, credentials: bob });
    assert.equal(await asBob.blobSize('acme/model', first.digest), first.size);
    const before = asBob.bytesSent;
    await assert.rejects(asBob.pushBlob('acme/model', bufferSource(randomBytes(1000))), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'denied');
      assert.match(e.message, /denied user 'bob' push access to acme\/model/);
      assert.ok(!e.render().includes(bob.password));
      return true;
    });
    assert.equal(asBob.bytesSent, before, 'no blob bytes went out before the refusal');

    const anonymous = await Registry.connect(server.host, FAST);
    await assert.rejects(anonymous.readBlob('acme/model', first.digest), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.kind, 'unauthenticated');
      assert.match(e.message, /requires credentials to pull from acme\/model/);
      return true;
    });

    await assert.rejects(
      Registry.connect(server.host, {
        ...FAST,
        credentials: { username: 'alice', password: 'guessed-wrong' },
      }),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError);
        assert.equal(e.kind, 'credentials');
        assert.match(e.message, /token server .* refused the credentials of user 'alice'/);
        assert.ok(!e.render().includes('guessed-wrong'));
        return true;
      },
    );
    const logged = log.lines.join('\n');
    assert.ok(!logged.includes(alice.password) && !/Bearer|eyJ/.test(logged), 'no secret in the log');
  });
});

describe('an unreachable registry', () => {
  it('fails with a clear error after the retries', async () => {
    const port = await freePort();
    await assert.rejects(
      Registry.connect(`127.0.0.1:${port}`, { retries: 2, backoffMs: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError);
        assert.equal(e.kind, 'unreachable');
        assert.match(
          e.message,
          new RegExp(`^could not reach registry 127\\.0\\.0\\.1:${port}: connection refused`),
        );
        assert.match(e.message, /3 attempts/);
        return true;
      },
    );
  });
});
