/**
 * The outbound client against real node:http servers on 127.0.0.1: what it retries and what it
 * does not, how long it is told to wait, timeouts, aborts, redirects and credentials, bodies
 * streamed again for each attempt. Waits are asserted through the debug log, never timed.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { addSecret } from '../secrets/redact.ts';
import { request, requestBuffered } from './http.ts';
import { linkTo } from './link.ts';
import { NetworkError } from './network-error.ts';

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A server whose handler sees every request with its body read; `hits` records them. */
async function server(t: TestContext, handler: (hit: Hit, res: ServerResponse, n: number) => void) {
  const hits: Hit[] = [];
  const srv = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const hit = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    hits.push(hit);
    handler(hit, res, hits.length);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    srv.closeAllConnections();
    return new Promise<void>((resolve) => srv.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits };
}

const recorder = () => {
  const lines: string[] = [];
  return { lines, debug: (m: string) => void lines.push(m) };
};
const text = async (res: IncomingMessage) => Buffer.concat(await res.toArray()).toString();
/** Backoff so long that a test finishing at all shows the server's Retry-After was used. */
const patient = { tries: 3, baseMs: 600_000, maxMs: 600_000 };

describe('request: retries', () => {
  it('retries a 503 and a 429, waiting as Retry-After says in seconds and as an HTTP date', async (t) => {
    const { url, hits } = await server(t, (_hit, res, n) => {
      if (n === 1) return res.writeHead(503, { 'retry-after': '0' }).end('busy');
      if (n === 2)
        return res.writeHead(429, { 'retry-after': new Date(Date.now() - 5000).toUTCString() }).end();
      res.end('done');
    });
    const log = recorder();
    const res = await request(`${url}/x`, {}, { retry: patient, log });
    assert.deepEqual([res.statusCode, res.attempts, await text(res), hits.length], [200, 3, 'done', 3]);
    const retries = log.lines.filter((l) => l.includes('retry'));
    assert.deepEqual(
      retries.map((l) => /answered (\d+); retry (\d) of 2 in (\d+) ms/.exec(l)?.slice(1)),
      [
        ['503', '1', '0'],
        ['429', '2', '0'],
      ],
    );
  });

  it('gives back the last answer, with its body, when the tries run out', async (t) => {
    const { url, hits } = await server(t, (_hit, res, n) => res.writeHead(503).end(`no ${n}`));
    const res = await request(url, {}, { retry: { tries: 3, baseMs: 1, maxMs: 1 } });
    assert.deepEqual([res.statusCode, res.attempts, await text(res), hits.length], [503, 3, 'no 3', 3]);
  });

  it('does not retry a 4xx, nor a POST unless the caller says it can be repeated', async (t) => {
    const { url, hits } = await server(t, (hit, res) =>
      res.writeHead(hit.url === '/missing' ? 404 : 502).end(),
    );
    const quick = { retry: { tries: 4, baseMs: 1, maxMs: 1 } };
    const missing = await request(`${url}/missing`, {}, quick);
    assert.deepEqual([missing.statusCode, missing.attempts, hits.length], [404, 1, 1]);
    const post = await request(`${url}/create`, { method: 'POST', body: Buffer.from('{}') }, quick);
    assert.deepEqual([post.statusCode, post.attempts, hits.length], [502, 1, 2]);
    const again = await request(`${url}/create`, { method: 'POST' }, { ...quick, repeatable: true });
    assert.deepEqual([again.statusCode, again.attempts, hits.length], [502, 4, 6]);
  });

  it('retries what the caller names besides 429 and 5xx, such as a rate-limit 403', async (t) => {
    const { url, hits } = await server(t, (_hit, res, n) =>
      n === 1
        ? res.writeHead(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' }).end()
        : res.end(),
    );
    const retryOn = (status: number, headers: Headers) =>
      status === 403 && headers.get('x-ratelimit-remaining') === '0';
    const res = await request(url, {}, { retry: patient, retryOn });
    assert.deepEqual([res.statusCode, res.attempts, hits.length], [200, 2, 2]);
  });

  it('sends a streamed body again from its start on every attempt, counting what went out', async (t) => {
    const { url, hits } = await server(t, (_hit, res, n) => res.writeHead(n === 1 ? 500 : 201).end());
    const data = Buffer.alloc(256 * 1024, 7);
    let opened = 0;
    let sent = 0;
    const body = {
      length: data.length,
      open: () => {
        opened++;
        return Readable.from([data.subarray(0, 1000), data.subarray(1000)]);
      },
    };
    const res = await request(
      url,
      { method: 'PUT', body },
      {
        retry: { tries: 2, baseMs: 1, maxMs: 1 },
        onSent: (n) => {
          sent += n;
        },
      },
    );
    assert.deepEqual([res.statusCode, opened, sent], [201, 2, 2 * data.length]);
    assert.deepEqual(
      hits.map((h) => [h.body.length, h.headers['content-length']]),
      [
        [data.length, String(data.length)],
        [data.length, String(data.length)],
      ],
    );
  });
});

describe('request: the network', () => {
  it('names a refused connection as a transient NetworkError once every try failed', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await assert.rejects(
      request(`http://127.0.0.1:${port}/v2/`, {}, { retry: { tries: 3, baseMs: 1, maxMs: 1 } }),
      (e) => {
        assert.ok(e instanceof NetworkError);
        assert.deepEqual(
          [e.code, e.transient, e.attempts, e.url],
          ['ECONNREFUSED', true, 3, `127.0.0.1:${port}/v2/`],
        );
        return true;
      },
    );
  });

  it('fails an exchange that stalls past its timeout, and retries it', async (t) => {
    const { url, hits } = await server(t, (_hit, res, n) => n === 3 && res.end('late but here'));
    await assert.rejects(request(url, {}, { timeoutMs: 100 }), (e) => {
      assert.ok(e instanceof NetworkError);
      assert.deepEqual([e.code, e.transient, e.message], ['ETIMEDOUT', true, 'no answer for 0.1 s']);
      return true;
    });
    const res = await request(url, {}, { timeoutMs: 100, retry: { tries: 2, baseMs: 1, maxMs: 1 } });
    assert.deepEqual([await text(res), res.attempts, hits.length], ['late but here', 2, 3]);
  });

  it('stops at once when aborted, in flight and while waiting to retry', async (t) => {
    const { url, hits } = await server(
      t,
      (hit, res) => hit.url === '/busy' && res.writeHead(503, { 'retry-after': '3600' }).end(),
    );
    const inFlight = new AbortController();
    const hanging = request(`${url}/hang`, {}, { signal: inFlight.signal, retry: patient });
    while (hits.length === 0) await new Promise((r) => setImmediate(r));
    inFlight.abort();
    await assert.rejects(hanging, { name: 'AbortError' });

    const waiting = new AbortController();
    const log = { debug: (m: string) => m.includes('retry') && waiting.abort() };
    const busy = request(
      `${url}/busy`,
      {},
      { signal: waiting.signal, retry: { ...patient, maxMs: 3_600_000 }, log },
    );
    await assert.rejects(busy, { name: 'AbortError' });
    assert.equal(hits.filter((h) => h.url === '/busy').length, 1, 'no second attempt after the abort');
  });
});

describe('request: redirects', () => {
  const auth = { Authorization: 'Bearer s3cret-token', 'PRIVATE-TOKEN': 'glpat-s3cret' };

  it('follows redirects, sending credentials to their own origin only', async (t) => {
    const storage = await server(t, (_hit, res) => res.end('blob'));
    const api = await server(t, (hit, res) => {
      if (hit.url === '/start') return res.writeHead(307, { location: '/same' }).end();
      res.writeHead(302, { location: `${storage.url}/blob?sig=abc` }).end();
    });
    const res = await request(`${api.url}/start`, { headers: { 'x-trace': 'on' }, auth });
    assert.deepEqual([res.statusCode, await text(res)], [200, 'blob']);
    assert.deepEqual(
      api.hits.map((h) => [h.url, h.headers.authorization, h.headers['private-token']]),
      [
        ['/start', auth.Authorization, auth['PRIVATE-TOKEN']],
        ['/same', auth.Authorization, auth['PRIVATE-TOKEN']],
      ],
    );
    assert.deepEqual(
      storage.hits.map((h) => [
        h.url,
        h.headers.authorization,
        h.headers['private-token'],
        h.headers['x-trace'],
      ]),
      [['/blob?sig=abc', undefined, undefined, 'on']],
    );
  });

  it('gives back a redirect it may not follow: another origin, manual, or one hop too many', async (t) => {
    const elsewhere = await server(t, (_hit, res) => res.end());
    const api = await server(t, (hit, res) => {
      if (hit.url === '/away') return res.writeHead(302, { location: `${elsewhere.url}/x` }).end();
      res.writeHead(307, { location: `/loop${hit.url.length}` }).end();
    });
    const away = await request(`${api.url}/away`, { auth }, { redirect: 'same-origin' });
    assert.deepEqual([away.statusCode, away.headers.location], [302, `${elsewhere.url}/x`]);
    assert.equal(elsewhere.hits.length, 0);
    assert.equal((await request(`${api.url}/loop`, {}, { redirect: 'manual' })).statusCode, 307);
    const before = api.hits.length;
    const loop = await request(`${api.url}/loop`, {}, { maxRedirects: 3 });
    assert.deepEqual([loop.statusCode, api.hits.length - before], [307, 4]);
  });

  it('turns a POST answered 303 into a GET without the body', async (t) => {
    const { url, hits } = await server(t, (hit, res) =>
      hit.method === 'POST' ? res.writeHead(303, { location: '/result' }).end() : res.end('result'),
    );
    const res = await request(`${url}/jobs`, { method: 'POST', body: Buffer.from('{"a":1}') });
    assert.equal(await text(res), 'result');
    assert.deepEqual(
      hits.map((h) => [h.method, h.url, h.body]),
      [
        ['POST', '/jobs', '{"a":1}'],
        ['GET', '/result', ''],
      ],
    );
  });
});

describe('requestBuffered', () => {
  it('reads the body within the attempt, so a body cut off midway is retried', async (t) => {
    const { url } = await server(t, (_hit, res, n) => {
      if (n > 1) return res.end('{"all":"here"}');
      res.writeHead(200, { 'content-length': '100' }).write('{"al');
      setImmediate(() => res.destroy());
    });
    const reply = await requestBuffered(url, {}, { retry: { tries: 2, baseMs: 1, maxMs: 1 }, limit: 1024 });
    assert.deepEqual([reply.status, reply.body.toString(), reply.attempts], [200, '{"all":"here"}', 2]);
  });

  it('refuses a body over its limit without retrying it', async (t) => {
    const { url, hits } = await server(t, (_hit, res) => res.end('x'.repeat(5000)));
    await assert.rejects(requestBuffered(url, {}, { retry: patient, limit: 1000 }), /larger than 1000 bytes/);
    assert.equal(hits.length, 1);
  });

  it('walks the pages a Link header names', async (t) => {
    const { url } = await server(t, (hit, res) => {
      const page = Number(new URL(hit.url, 'http://x').searchParams.get('page') ?? 1);
      if (page < 3)
        res.setHeader('link', `</items?page=${page + 1}>; rel="next", </items?page=3>; rel="last"`);
      res.end(JSON.stringify([page * 10, page * 10 + 1]));
    });
    const items: number[] = [];
    for (let next: URL | undefined = new URL(`${url}/items`); next; ) {
      const reply = await requestBuffered(next, {}, { limit: 1024 });
      items.push(...(JSON.parse(reply.body.toString()) as number[]));
      next = linkTo(reply.headers.get('link'), 'next', next);
    }
    assert.deepEqual(items, [10, 11, 20, 21, 30, 31]);
  });
});

describe('redaction', () => {
  it('never logs a query, user info or a registered secret', async (t) => {
    const secret = 'sk-live-7f3a9c1e5b';
    addSecret(secret);
    const { url } = await server(t, (_hit, res) => res.writeHead(503).end());
    const log = recorder();
    const target = url.replace('http://', `http://user:${secret}@`);
    await request(
      `${target}/a/${secret}/b?sig=${secret}&x=1`,
      {},
      { retry: { tries: 2, baseMs: 1, maxMs: 1 }, log },
    );
    assert.ok(log.lines.length >= 3, 'two exchanges and a retry were logged');
    assert.ok(
      log.lines.every((l) => !l.includes(secret) && !l.includes('sig=') && !l.includes('user')),
      log.lines.join('\n'),
    );
    assert.ok(log.lines.some((l) => l.includes('/a/***/b')));
  });
});
