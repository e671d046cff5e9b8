/**
 * The peer of bench/serve: the least a Node server on onnxruntime-node does for one inference
 * request. node:http, the body read and JSON-parsed, one `session.run` (the server's session
 * options), both outputs written back as the protocol's JSON; no routing, validation, queue,
 * metrics, request ids or logs. What modelship serve costs beyond it is what its features cost.
 *
 * Usage: node bare.ts <model.onnx> (listens on a free 127.0.0.1 port; logs {"msg":"listening","url"} like serve)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';

const model = process.argv[2];
if (!model) throw new Error('usage: bare.ts <model.onnx>');
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
});

interface Body {
  inputs: { name: string; shape: number[]; data: number[] }[];
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
    const x = body.inputs[0]!;
    const out = await session.run({
      [x.name]: new ort.Tensor('float32', Float32Array.from(x.data), x.shape),
    });
    const text = JSON.stringify({
      model_name: 'lr',
      model_version: '1',
      outputs: Object.entries(out).map(([name, t]) => ({
        name,
        datatype: t.type === 'int64' ? 'INT64' : 'FP32',
        shape: t.dims,
        data: Array.from(t.data as ArrayLike<number | bigint>, Number),
      })),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
