/**
 * modelship serve as a process on a loopback port, with real ONNX models and real HTTP: answers
 * equal to a direct onnxruntime run, a protocol error for every malformed request (and the next
 * request still served), back-pressure, timeouts, dynamic batching and a graceful SIGTERM.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { linearClassifier } from '../packages/core/src/onnx/models.ts';
import { writeModelFiles } from './support/models.ts';
import { ROOT } from './support/run.ts';
import { infer, runServe, startServe } from './support/serve.ts';

const MODEL = join(ROOT, 'examples/models/challenger.onnx');
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];
const body = (rows: number[][], extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'input', shape: [rows.length, 4], datatype: 'FP32', data: rows }],
  ...extra,
});

describe('modelship serve', () => {
  it('speaks the Open Inference Protocol and answers as onnxruntime does', async (t) => {
    const s = await startServe(t, { MODELSHIP_MODEL: MODEL, MODELSHIP_MODEL_VERSION: 'v3' });
    const get = async (path: string) => {
      const r = await fetch(`${s.url}${path}`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    assert.deepEqual(await get('/v2/health/live'), { status: 200, body: { live: true } });
    assert.deepEqual(await get('/v2/health/ready'), { status: 200, body: { ready: true } });
    assert.equal((await get('/v2')).body.name, 'modelship');
    const meta = await get('/v2/models/challenger');
    assert.deepEqual(meta.body, {
      name: 'challenger',
      versions: ['v3'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
    assert.deepEqual(await get('/v2/models/challenger/versions/v3'), meta);
    assert.deepEqual(await get('/v2/models/challenger/versions/v3/ready'), {
      status: 200,
      body: { name: 'challenger', ready: true },
    });

    const r = await infer(s.url, 'challenger/versions/v3', body(ROWS, { id: 'req-1' }), {
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-42' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-request-id'), 'trace-42');
    const session = await ort.InferenceSession.create(MODEL);
    const direct = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(ROWS.flat()), [3, 4]),
    });
    assert.deepEqual(r.body, {
      model_name: 'challenger',
      model_version: 'v3',
      id: 'req-1',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [3], data: [...(direct.label!.data as string[])] },
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [3, 3],
          data: Array.from(direct.probabilities!.data as Float32Array),
        },
      ],
    });
    const flat = await infer(s.url, 'challenger', {
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ROWS[0] }],
      outputs: [{ name: 'label' }],
    });
    assert.deepEqual(flat.body.outputs, [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] }]);
  });

  it('runs the same from the bundled entrypoint an image starts', async (t) => {
    const s = await startServe(t, { MODELSHIP_MODEL: MODEL, MODELSHIP_MODEL_NAME: 'iris' }, 'bundle');
    const r = await infer(s.url, 'iris', body(ROWS));
    assert.equal(r.status, 200);
    assert.deepEqual((r.body.outputs as { data: unknown[] }[])[0]!.data, [
      'setosa',
      'virginica',
      'versicolor',
    ]);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  });

  it('answers every malformed request with a protocol error and keeps serving', async (t) => {
    const s = await startServe(t, { MODELSHIP_MODEL: MODEL, MODELSHIP_MAX_BODY_BYTES: '4096' });
    const cases: [string, unknown, number, RegExp][] = [
      [
        'wrong shape',
        { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
        400,
        /input 'input' has shape \[1, 3\]; the model expects \[-1, 4\]/,
      ],
      [
        'values do not fill the shape',
        { inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        400,
        /has 4 values for shape \[2, 4\] \(8\)/,
      ],
      [
        'wrong datatype',
        { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: [1, 2, 3, 4] }] },
        400,
        /datatype "FP64"; the model expects FP32/,
      ],
      [
        'a string where a number goes',
        { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 'x', 3, 4] }] },
        400,
        /holds "x", which is not a number/,
      ],
      ['bad JSON', '{"inputs": [', 400, /the body is not valid JSON/],
      ['not an object', '[1, 2]', 400, /must be a JSON object with an "inputs" array/],
      ['no inputs', { inputs: [] }, 400, /"inputs" must be a non-empty array/],
      [
        'unknown input',
        { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        400,
        /unknown input 'x'; the model's inputs are input/,
      ],
      ['unknown output', body([ROWS[0]!], { outputs: [{ name: 'logits' }] }), 400, /unknown output "logits"/],
      [
        'negative shape',
        { inputs: [{ name: 'input', shape: [-1, 4], datatype: 'FP32', data: [] }] },
        400,
        /needs a "shape" of non-negative integers/,
      ],
      [
        'huge body',
        body(Array.from({ length: 1000 }, () => [1, 2, 3, 4])),
        413,
        /over the limit of 4096 bytes|the limit is 4096/,
      ],
    ];
    for (const [what, request, status, message] of cases) {
      const r = await infer(s.url, 'challenger', request);
      assert.equal(r.status, status, what);
      assert.match(String(r.body.error), message, what);
    }
    const unknown = await infer(s.url, 'nope', body([ROWS[0]!]));
    assert.equal(unknown.status, 404);
    assert.match(
      String(unknown.body.error),
      /unknown model 'nope'; this server serves 'challenger' version '1'/,
    );
    const version = await infer(s.url, 'challenger/versions/9', body([ROWS[0]!]));
    assert.equal(version.status, 404);
    const method = await fetch(`${s.url}/v2/models/challenger/infer`);
    assert.equal(method.status, 405);
    assert.equal((await fetch(`${s.url}/nowhere`)).status, 404);
    const still = await infer(s.url, 'challenger', body(ROWS));
    assert.equal(still.status, 200, 'the server keeps serving');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /modelship_requests_total\{model="challenger",version="1",status="400"\} 10/);
    assert.match(metrics, /modelship_requests_total\{model="challenger",version="1",status="413"\} 1/);
    assert.match(metrics, /modelship_predictions_total\{model="challenger",version="1",class="setosa"\} 1/);
    assert.match(metrics, /process_resident_memory_bytes \d+/);
    assert.ok(s.logs.some((l) => l.msg === 'request' && l.status === 400 && /shape/.test(String(l.error))));
  });

  it('feeds one input per column, int64 inputs, and merges concurrent requests into one run', async (t) => {
    const weights = [
      [1, -1],
      [0.5, 0.5],
      [-1, 1],
    ];
    const models = await writeModelFiles(t, {
      columns: linearClassifier({
        weights,
        bias: [0, 0],
        inputLayout: 'columns',
        featureNames: ['a', 'b', 'c'],
      }),
      ints: linearClassifier({ weights, bias: [0, 0], inputType: 'int64' }),
    });
    const cols = await startServe(t, { MODELSHIP_MODEL: models.columns });
    const byColumn = await infer(cols.url, 'columns', {
      inputs: ['a', 'b', 'c'].map((name, i) => ({ name, shape: [2, 1], datatype: 'FP32', data: [i, -i] })),
    });
    assert.equal(byColumn.status, 200, JSON.stringify(byColumn.body));
    const ints = await startServe(t, {
      MODELSHIP_MODEL: models.ints,
      MODELSHIP_BATCH_MAX_ROWS: '64',
      MODELSHIP_BATCH_WAIT_MS: '200',
    });
    const one = (i: number) => ({
      inputs: [{ name: 'input', shape: [1, 3], datatype: 'INT64', data: [i, 2 * i, -i] }],
    });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => infer(ints.url, 'ints', one(i))));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200);
      const alone = await ort.InferenceSession.create(models.ints).then((s) =>
        s.run({ input: new ort.Tensor('int64', BigInt64Array.from([i, 2 * i, -i].map(BigInt)), [1, 3]) }),
      );
      const probabilities = (a.body.outputs as { name: string; data: number[] }[]).find(
        (o) => o.name === 'probabilities',
      )!;
      assert.deepEqual(
        probabilities.data,
        Array.from(alone.probabilities!.data as Float32Array),
        `request ${i}`,
      );
    }
    const metrics = await (await fetch(`${ints.url}/metrics`)).text();
    const runs = Number(/modelship_batch_rows_count\{[^}]*\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(runs < 8 + 1, `8 concurrent requests ran in ${runs} runs (warm-up not counted)`);
    assert.match(
      metrics,
      /modelship_batch_rows_bucket\{le="1",[^}]*\} 0/,
      'no run of a single row: they were merged',
    );
  });

  it('answers 429 when the queue is full and 504 when a request waits too long', async (t) => {
    const full = await startServe(t, {
      MODELSHIP_MODEL: MODEL,
      MODELSHIP_MAX_QUEUE: '1',
      MODELSHIP_BATCH_MAX_ROWS: '8',
      MODELSHIP_BATCH_WAIT_MS: '500',
    });
    const first = infer(full.url, 'challenger', body([ROWS[0]!]));
    await new Promise((r) => setTimeout(r, 100)); // the first now waits in the queue for its batch
    const second = await infer(full.url, 'challenger', body([ROWS[1]!]));
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '1');
    assert.match(String(second.body.error), /the server is busy/);
    assert.equal((await first).status, 200);

    const slow = await startServe(t, {
      MODELSHIP_MODEL: MODEL,
      MODELSHIP_TIMEOUT_MS: '50',
      MODELSHIP_BATCH_MAX_ROWS: '8',
      MODELSHIP_BATCH_WAIT_MS: '400',
    });
    const late = await infer(slow.url, 'challenger', body([ROWS[0]!]));
    assert.equal(late.status, 504);
    assert.match(String(late.body.error), /not answered within 50 ms/);
  });

  it('drains on SIGTERM: every accepted request gets its answer, then it exits 0', async (t) => {
    const s = await startServe(t, {
      MODELSHIP_MODEL: MODEL,
      MODELSHIP_BATCH_MAX_ROWS: '4',
      MODELSHIP_BATCH_WAIT_MS: '100',
    });
    const sent = Array.from({ length: 40 }, (_, i) =>
      infer(s.url, 'challenger', body([ROWS[i % 3]!])).then(
        (r) => ({ ok: true as const, status: r.status }),
        (e: Error & { cause?: { code?: string } }) => ({
          ok: false as const,
          code: e.cause?.code ?? e.message,
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    s.child.kill('SIGTERM');
    const results = await Promise.all(sent);
    const lost = results.filter((r) => !r.ok && r.code !== 'ECONNREFUSED');
    assert.deepEqual(lost, [], 'no accepted request went unanswered');
    const answered = results.filter((r) => r.ok);
    assert.ok(answered.length > 0);
    assert.ok(answered.every((r) => r.status === 200));
    assert.equal(await s.exited, 0);
    assert.ok(s.logs.some((l) => l.msg === 'stopped' && l.unanswered === 0));
    const refused = await fetch(`${s.url}/v2/health/live`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(refused, 'refused', 'no longer accepting');
  });

  it('refuses a bad configuration with one line naming the variable, and exit 2', async () => {
    const missing = await runServe({});
    assert.equal(missing.code, 2);
    assert.match(missing.out, /"level":"error","msg":"MODELSHIP_MODEL is not set\. Set MODELSHIP_MODEL/);
    const port = await runServe({ MODELSHIP_MODEL: MODEL, MODELSHIP_PORT: 'http' });
    assert.equal(port.code, 2);
    assert.match(port.out, /MODELSHIP_PORT is 'http', expected a whole number from 0 to 65535/);
    const flag = await runServe({}, ['--modle', MODEL]);
    assert.equal(flag.code, 2);
    assert.match(flag.out, /unknown option '--modle' for serve\. Did you mean --model\?/);
    const notOnnx = await runServe({
      MODELSHIP_MODEL: join(ROOT, 'examples/data/iris.csv'),
      MODELSHIP_PORT: '0',
    });
    assert.equal(notOnnx.code, 2);
    assert.match(notOnnx.out, /is not a valid ONNX model/);
  });

  it('refuses a port in use and a host that does not resolve with one line naming the setting, exit 2', async (t) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    t.after(() => taken.close());
    const port = String((taken.address() as AddressInfo).port);
    const env = { MODELSHIP_MODEL: MODEL, MODELSHIP_HOST: '127.0.0.1', MODELSHIP_PORT: port };
    for (const entry of ['cli', 'bundle'] as const) {
      const inUse = await runServe(env, [], entry);
      assert.equal(inUse.code, 2, `${entry}: ${inUse.out}`);
      assert.match(
        inUse.out,
        new RegExp(
          `"level":"error","msg":"MODELSHIP_PORT is ${port}, which another process already listens on \\(127\\.0\\.0\\.1:${port}\\)\\. Stop that process, or set MODELSHIP_PORT \\(--port\\) to a free port`,
        ),
        entry,
      );
      assert.doesNotMatch(inUse.out, /"stack"/, entry);
    }
    const host = await runServe({}, ['--model', MODEL, '--host', 'no-such-host.invalid', '--port', '0']);
    assert.equal(host.code, 2, host.out);
    assert.match(
      host.out,
      /MODELSHIP_HOST is 'no-such-host\.invalid', which does not resolve to an address\. Set MODELSHIP_HOST \(--host\)/,
    );
    assert.equal(host.out.trim().split('\n').length, 1, 'one line');
    const elsewhere = await runServe({
      MODELSHIP_MODEL: MODEL,
      MODELSHIP_HOST: '192.0.2.1',
      MODELSHIP_PORT: '0',
    });
    assert.equal(elsewhere.code, 2, elsewhere.out);
    assert.match(elsewhere.out, /MODELSHIP_HOST is '192\.0\.2\.1', which is not an address of this machine/);
  });
});
