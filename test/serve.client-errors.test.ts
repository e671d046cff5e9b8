/**
 * A client's mistakes, against a real `modelship serve`: each is a 4xx that says what was wrong,
 * counted under its own status, never as a server error (the canary's error rate is judged on
 * 5xx), and logged below error level. The server keeps serving through all of them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVE_METRICS } from '../packages/core/src/monitor/signals.ts';
import { ROOT } from './support/run.ts';
import { infer, rawRequest, startServe } from './support/serve.ts';

const MODEL = join(ROOT, 'examples/models/challenger.onnx');
const tensor = (data: unknown, shape: unknown = [1, 4]) => ({
  inputs: [{ name: 'input', shape, datatype: 'FP32', data }],
});

test('client mistakes are 4xx with a useful message, counted by status and never as 5xx', async (t) => {
  const s = await startServe(t, {
    MODELSHIP_MODEL: MODEL,
    MODELSHIP_MAX_BODY_BYTES: String(1024 * 1024),
    MODELSHIP_BODY_TIMEOUT_MS: '200',
  });
  const post = (body: string, headers: Record<string, string> = {}) =>
    infer(s.url, 'challenger', body, { headers: { 'content-type': 'application/json', ...headers } });
  const deep = `{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
  const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
    [
      'malformed percent-encoding in the path',
      infer(s.url, '%E0%A4%A', tensor([1, 2, 3, 4])),
      400,
      /the path segment '%E0%A4%A' has a malformed percent-encoding/,
    ],
    ['JSON nested 100,000 deep', post(deep), 400, /the body nests arrays or objects more than 36 deep/],
    [
      '1e400',
      post('{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[[1,2,1e400,4]]}]}'),
      400,
      /input 'input' holds a number beyond FP32's range \(±3\.4e38\) at \[0, 2\]/,
    ],
    [
      'a finite number beyond FP32',
      post(JSON.stringify(tensor([[1, 1e39, 3, 4]]))),
      400,
      /input 'input' holds a number beyond FP32's range \(±3\.4e38\) at \[0, 1\]/,
    ],
    [
      'a NaN literal',
      post('{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,NaN,3,4]}]}'),
      400,
      /the body is not valid JSON: .*; JSON has no NaN or Infinity/,
    ],
    [
      'ragged rows',
      post(
        JSON.stringify(
          tensor(
            [
              [1, 2, 3, 4],
              [5, 6, 7],
            ],
            [2, 4],
          ),
        ),
      ),
      400,
      /input 'input' has 3 values at \[1\] where its shape \[2, 4\] needs 4/,
    ],
    [
      'data that is not an array',
      post(JSON.stringify(tensor('1,2,3,4'))),
      400,
      /input 'input' needs "data" as an array of values/,
    ],
    [
      'a binary body',
      post('\u0000\u0001', { 'content-type': 'application/octet-stream' }),
      415,
      /content-type 'application\/octet-stream' is not supported; send the tensors as JSON/,
    ],
    [
      'a compressed body',
      post(JSON.stringify(tensor([1, 2, 3, 4])), { 'content-encoding': 'gzip' }),
      415,
      /content-encoding 'gzip' is not supported/,
    ],
    [
      'a streamed body over the limit',
      infer(s.url, 'challenger', '', {
        body: new Blob(['x'.repeat(2 * 1024 * 1024)]).stream(),
        duplex: 'half',
      } as RequestInit),
      413,
      /the body is over the limit of 1048576 bytes \(MODELSHIP_MAX_BODY_BYTES\)/,
    ],
  ];
  for (const [what, answer, status, message] of cases) {
    const r = await answer;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(String(r.body.error), message, what);
  }

  const path = new URL(s.url).host;
  const stalled = await rawRequest(
    s.url,
    `POST /v2/models/challenger/infer HTTP/1.1\r\nhost: ${path}\r\ncontent-type: application/json\r\ncontent-length: 100`,
    '{"inputs": [',
  );
  assert.match(stalled, /^HTTP\/1\.1 408 /, 'a client that stops sending mid-body');
  assert.match(stalled, /the body stopped arriving: nothing came for 200 ms \(MODELSHIP_BODY_TIMEOUT_MS\)/);
  const gone = await rawRequest(
    s.url,
    `POST /v2/models/challenger/infer HTTP/1.1\r\nhost: ${path}\r\ncontent-length: 100`,
    '{"inputs": [',
    { hangUp: true },
  );
  assert.equal(gone, '', 'a client that hung up gets nothing');
  const slashes = await rawRequest(s.url, `GET // HTTP/1.1\r\nhost: ${path}\r\nconnection: close`);
  assert.match(slashes, /^HTTP\/1\.1 404 /, 'a path of slashes is no endpoint');

  const still = await infer(s.url, 'challenger', tensor([[5.1, 3.5, 1.4, 0.2]]));
  assert.equal(still.status, 200, 'the server keeps serving');

  const requests = SERVE_METRICS.requests.name;
  const counted = async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const by: Record<string, number> = {};
    for (const m of text.matchAll(new RegExp(`^${requests}\\{[^}]*status="(\\d+)"\\} (\\d+)$`, 'gm')))
      by[m[1]!] = Number(m[2]);
    return by;
  };
  // The hang-up is counted once the server has seen the connection close: wait for it, boundedly.
  let by = await counted();
  for (let i = 0; i < 100 && by['499'] === undefined; i++) {
    await new Promise((r) => setTimeout(r, 20));
    by = await counted();
  }
  assert.deepEqual(by, { 200: 1, 400: 7, 408: 1, 413: 1, 415: 2, 499: 1 });
  const levels = s.logs.filter((l) => l.msg === 'request').map((l) => `${l.status} ${l.level}`);
  assert.ok(levels.includes('408 warn'), levels.join(', '));
  assert.ok(levels.includes('499 info'), levels.join(', '));
  assert.ok(!levels.some((l) => l.endsWith(' error')), `no client mistake logged as an error: ${levels}`);
});
