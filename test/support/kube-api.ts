/**
 * A small Kubernetes API client for the test fixtures: JSON over HTTPS with the node's CA and a client
 * certificate, plus a poll-until helper. Product code goes through @kubernetes/client-node in
 * packages/core/src/kube; this one only lets the fixtures and tests set the scene and look at it.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';

export interface KubeApi {
  server: string;
  /** Resolves with the parsed body on 2xx; rejects with status and message otherwise. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  /** Like `call`, but resolves with the status and body whatever the status. */
  raw(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; body: string }>;
}

export class KubeApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function kubeApi(
  server: string,
  tls: { ca: string; cert: string; key: string },
): Promise<KubeApi> {
  const [ca, cert, key] = await Promise.all([readFile(tls.ca), readFile(tls.cert), readFile(tls.key)]);
  const agent = new Agent({ ca, cert, key, keepAlive: true });
  const raw: KubeApi['raw'] = (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request(
        `${server}${path}`,
        {
          method,
          agent,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined && {
              'content-type': contentType,
              'content-length': Buffer.byteLength(payload),
            }),
          },
          timeout: 30_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  return {
    server,
    raw,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const r = await raw(method, path, body);
      if (r.status < 200 || r.status >= 300) {
        let message = r.body;
        try {
          message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
        } catch {}
        throw new KubeApiError(r.status, `${method} ${path}: ${r.status} ${message}`);
      }
      return (r.body ? JSON.parse(r.body) : {}) as T;
    },
  };
}

/** Re-runs `probe` until it returns something other than undefined; throws with the last state seen. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => Promise<string> | string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const seen = await Promise.resolve(describe()).catch((e: unknown) => String(e));
  throw new Error(
    `${what}: not after ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}\n${seen}`,
  );
}
