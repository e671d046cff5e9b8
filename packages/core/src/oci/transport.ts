/**
 * One HTTP exchange with a registry or its token server over node:http(s), and what the client
 * needs to judge the answer: which failures are worth a retry, how long to wait, what the
 * registry's error body says. Request bodies are streams re-opened per attempt, so a multi-GB
 * blob is never held in memory and a retry can start again from the right byte.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/** A request body: bytes in memory (manifests), or a stream of known length opened on demand. */
export type Payload = Buffer | { length: number; open(): Readable };

export interface Exchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Payload;
}

export interface TransportOptions {
  /** Idle socket time before the exchange fails as timed out. */
  timeoutMs: number;
  /** Called with each piece of body once the socket has taken it (the OS may still hold it). */
  onSent?: (bytes: number) => void;
}

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

export function send(x: Exchange, options: TransportOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = x.url.protocol === 'https:';
    const headers: Record<string, string> = { 'user-agent': 'modelship', ...x.headers };
    if (x.body) headers['content-length'] = String(x.body.length);
    const req = (secure ? https : http).request(x.url, {
      method: x.method,
      headers,
      agent: secure ? agents.https : agents.http,
    });
    let settled = false;
    const fail = (e: Error) => {
      if (!settled) reject(e);
      settled = true;
    };
    req.on('response', (res) => {
      settled = true;
      resolve(res);
    });
    req.on('error', fail);
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    if (!x.body) return void req.end();
    const body = x.body;
    if (Buffer.isBuffer(body)) return void req.end(body, () => options.onSent?.(body.length));
    const stream = body.open();
    // A failing source is our problem, not the network's: it must not look like a retryable drop.
    stream.on('error', (e) => {
      fail(e);
      req.destroy();
    });
    stream.on('data', (chunk: Buffer) => {
      // Counted once the socket took it: bytes still queued in Node when a connection drops never left.
      const queued = req.write(chunk, (e) => e || options.onSent?.(chunk.length));
      if (!queued) stream.pause();
    });
    req.on('drain', () => stream.resume());
    stream.on('end', () => req.end());
    req.on('close', () => stream.destroy());
  });
}

const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** A network failure another attempt may not meet (a name that does not resolve is not one). */
export const isTransientNetworkError = (e: unknown): boolean =>
  TRANSIENT.has((e as { code?: string } | undefined)?.code ?? '');

export const isNetworkError = (e: unknown): boolean =>
  isTransientNetworkError(e) ||
  /^(ENOTFOUND|ERR_SSL|EPROTO|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/.test(
    (e as { code?: string } | undefined)?.code ?? '',
  );

export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Retry-After in milliseconds (seconds or an HTTP date), capped so a registry cannot stall us for hours. */
export function retryAfterMs(headers: IncomingHttpHeaders, capMs = 60_000): number | undefined {
  const v = headers['retry-after'];
  if (!v) return undefined;
  const seconds = Number(v);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), capMs) : undefined;
}

/** Exponential with full jitter, so parallel uploads that failed together do not retry together. */
export const backoffMs = (attempt: number, baseMs: number): number =>
  Math.round(baseMs * 2 ** attempt * (0.5 + Math.random() / 2));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The body as text, up to `limit` bytes (error bodies and manifests are small; more is a bad answer). */
export async function readBody(res: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw Object.assign(new Error(`response larger than ${limit} bytes`), { code: 'ETOOLARGE' });
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** Lets the socket go back to the pool without reading what we do not need. */
/** What a registry said when it refused: its error body, bounded, or nothing if it cannot be read. */
export const errorBody = (res: IncomingMessage): Promise<Buffer> =>
  readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));

export function discard(res: IncomingMessage): void {
  res.resume();
}

export interface RegistryErrorBody {
  code: string;
  message: string;
}

/** The distribution spec's `{"errors":[{code, message, detail}]}`; empty if the body is anything else. */
export function parseErrors(body: Buffer | string): RegistryErrorBody[] {
  try {
    const parsed = JSON.parse(body.toString()) as { errors?: { code?: unknown; message?: unknown }[] };
    return (parsed.errors ?? []).map((e) => ({
      code: String(e.code ?? ''),
      message: String(e.message ?? ''),
    }));
  } catch {
    return [];
  }
}

export const describeErrors = (errors: RegistryErrorBody[]): string =>
  errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ');
