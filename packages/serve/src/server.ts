/**
 * The HTTP face of the Open Inference Protocol. Liveness answers as soon as the port is open;
 * readiness only once the model is loaded and a warm-up run has passed. No request, however
 * malformed, takes the server down: each gets a protocol error and the next is served.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VERSION } from '@modelship/core/version.ts';
import type { ServeConfig } from './config.ts';
import { Executor } from './executor.ts';
import type { JsonLogger } from './logger.ts';
import { ServerMetrics } from './metrics.ts';
import { loadModel, metadata, type ServedModel } from './model.ts';
import { encodeOutput, ProtocolError, parseInferRequest } from './protocol.ts';

export interface RunningServer {
  url: string;
  port: number;
  /** Resolves when the model is loaded and warm; rejects if it cannot be. */
  loaded: Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes. */
  close(): Promise<void>;
}

type Route = { name: string; version?: string; action: 'metadata' | 'ready' | 'infer' };

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer))?$/;

export async function startServer(config: ServeConfig, log: JsonLogger): Promise<RunningServer> {
  const metrics = new ServerMetrics(config.name, config.version);
  let model: ServedModel | undefined;
  let executor: Executor | undefined;
  let stopping = false;
  let open = 0;
  let quiet: (() => void) | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse, id: string): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/v2/health/live') return send(res, 200, { live: true });
    if (path === '/v2/health/ready')
      return send(res, model && !stopping ? 200 : 400, { ready: !!model && !stopping });
    if (path === '/v2') return send(res, 200, { name: 'modelship', version: VERSION, extensions: [] });
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.text());
      return 200;
    }
    const m = MODEL_ROUTE.exec(path);
    if (!m)
      throw new ProtocolError(
        404,
        `no endpoint ${req.method} ${path}; see /v2 and /v2/models/${config.name}`,
      );
    const route: Route = {
      name: decodeURIComponent(m[1]!),
      action: (m[3] as Route['action']) ?? 'metadata',
      ...(m[2] && { version: decodeURIComponent(m[2]) }),
    };
    if (route.name !== config.name || (route.version !== undefined && route.version !== config.version)) {
      const which =
        route.version === undefined ? `'${route.name}'` : `'${route.name}' version '${route.version}'`;
      throw new ProtocolError(
        404,
        `unknown model ${which}; this server serves '${config.name}' version '${config.version}'`,
      );
    }
    const wanted = route.action === 'infer' ? 'POST' : 'GET';
    if (req.method !== wanted) throw new ProtocolError(405, `${path} takes ${wanted}, not ${req.method}`);
    if (route.action === 'ready') return send(res, model ? 200 : 400, { name: config.name, ready: !!model });
    if (!model || !executor) throw new ProtocolError(400, `model '${config.name}' is not ready yet`);
    if (route.action === 'metadata') return send(res, 200, metadata(model, config));
    return infer(req, res, id, model, executor);
  };

  const infer = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    m: ServedModel,
    ex: Executor,
  ) => {
    const body = await readJson(req, config.maxBodyBytes);
    const outputs = m.outputs.map((o) => o.name);
    const request = parseInferRequest(body, m.inputs, outputs);
    const job = ex.submit(request);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        job.cancel();
        reject(new ProtocolError(504, `the request was not answered within ${config.timeoutMs} ms`));
      }, config.timeoutMs);
    });
    const result = await Promise.race([job.done, timeout]).finally(() => clearTimeout(timer));
    return send(res, 200, {
      model_name: config.name,
      model_version: config.version,
      id: request.id ?? id,
      outputs: (request.outputs ?? outputs).map((n) => encodeOutput(n, result.outputs[n]!)),
    });
  };

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    if (stopping) res.setHeader('connection', 'close');
    open++;
    let error: string | undefined;
    // Every inference request counts, misrouted ones too: a canary answering 404 is failing.
    const timed = req.url?.split('?')[0]?.replace(/\/+$/, '').endsWith('/infer')
      ? metrics.started()
      : undefined;
    handle(req, res, id)
      .catch((e: unknown) => {
        const status = e instanceof ProtocolError ? e.status : 500;
        error =
          e instanceof ProtocolError
            ? e.message
            : `inference failed: ${(e as Error).message?.split('\n')[0]}`;
        if (status === 429) res.setHeader('retry-after', '1');
        if (status === 413) res.setHeader('connection', 'close');
        return res.headersSent ? status : send(res, status, { error });
      })
      .then((status) => {
        if (timed) {
          metrics.answered(status);
          timed();
        }
        if (log.enabled('debug') || status >= 400) {
          const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'debug';
          log.log(level, 'request', {
            request_id: id,
            method: req.method,
            path: req.url,
            status,
            duration_ms: Number((performance.now() - started).toFixed(3)),
            ...(error && { error }),
          });
        }
      })
      .finally(() => {
        if (--open === 0) quiet?.();
      });
  });
  server.requestTimeout = Math.max(config.timeoutMs * 2, 30_000);
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeouts

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.log('info', 'listening', { url, model: config.name, version: config.version });

  const loaded = loadModel(config, log).then((m) => {
    model = m;
    executor = new Executor(m, {
      maxQueue: config.maxQueue,
      batchMaxRows: config.batchMaxRows,
      batchWaitMs: config.batchWaitMs,
      alwaysFetch: m.classes ? [m.classes.output] : [],
      onRun: (rows, seconds, outputs) => {
        metrics.ran(rows, seconds);
        const c = m.classes && outputs[m.classes.output];
        if (c && m.classes) metrics.countClasses(c, m.classes.argmax);
      },
    });
    log.log('info', 'ready', {
      model: config.name,
      version: config.version,
      device: m.runtime.plan.device,
      load_ms: Number(m.opened.loadMs.toFixed(1)),
      batching:
        config.batchMaxRows > 0 ? { max_rows: config.batchMaxRows, wait_ms: config.batchWaitMs } : 'off',
    });
  });

  const close = async () => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'shutting down', { in_flight: open });
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    const drained = open === 0 ? Promise.resolve() : new Promise<void>((r) => (quiet = r));
    const grace = new Promise<void>((r) => setTimeout(r, config.shutdownTimeoutMs).unref());
    await Promise.race([Promise.all([drained, executor?.drained()]), grace]);
    server.closeAllConnections();
    await closed;
    log.log('info', 'stopped', { unanswered: open });
  };

  return { url, port, loaded, close };
}

function send(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return status;
}

/** The body as JSON, refusing more than `limit` bytes before reading them where the length is declared. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    throw new ProtocolError(
      413,
      `the body is ${declared} bytes; the limit is ${limit} (MODELSHIP_MAX_BODY_BYTES)`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new ProtocolError(413, `the body is over the limit of ${limit} bytes (MODELSHIP_MAX_BODY_BYTES)`);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new ProtocolError(400, `the body is not valid JSON: ${(e as Error).message}`);
  }
}
