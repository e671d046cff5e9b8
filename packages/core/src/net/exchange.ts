/**
 * One HTTP exchange over node:http(s), without retries or redirects: headers out, body streamed
 * out, the response back with its body still to read. node:http rather than fetch because a
 * registry push needs what fetch does not give: a body of known length streamed from disk,
 * bytes counted once the socket took them, and an idle timeout in place of undici's fixed
 * 300-second limits (a registry may take longer to check a multi-GB blob).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import tls from 'node:tls';
import { VERSION } from '../version.ts';
import { asNetworkError, NetworkError } from './network-error.ts';

/** A request body: bytes in memory, or a stream of known length opened anew for every attempt. */
export type Payload = Buffer | { length: number; open(): Readable };

export interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body?: Payload | undefined;
}

export interface ExchangeOptions {
  /** The socket may be idle this long (connecting, sending, waiting, reading) before the exchange fails. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called with each piece of body once the socket has taken it (the OS may still hold it). */
  onSent?: ((bytes: number) => void) | undefined;
  /** CA certificates (PEM) to trust for https besides the system's, e.g. a private Prometheus's. */
  ca?: string | undefined;
}

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

/** One keep-alive agent per extra CA, so its connections are reused like the default agent's. */
const caAgents = new Map<string, https.Agent>();
function httpsAgent(ca: string | undefined): https.Agent {
  if (!ca) return agents.https;
  let agent = caAgents.get(ca);
  if (!agent) {
    // `ca` replaces the trusted set, so the defaults (bundled and NODE_EXTRA_CA_CERTS) go along.
    agent = new https.Agent({ keepAlive: true, ca: [...tls.getCACertificates('default'), ca] });
    caAgents.set(ca, agent);
  }
  return agent;
}

export function exchange(url: URL, out: Outgoing, options: ExchangeOptions): Promise<IncomingMessage> {
  options.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { 'user-agent': `modelship/${VERSION}` };
    for (const [name, value] of Object.entries(out.headers)) headers[name.toLowerCase()] = value;
    if (out.body) headers['content-length'] = String(out.body.length);
    const req = (secure ? https : http).request(url, {
      method: out.method,
      headers,
      agent: secure ? httpsAgent(options.ca) : agents.http,
      signal: options.signal,
    });
    let settled = false;
    const fail = (e: unknown) => {
      if (!settled) reject(options.signal?.aborted ? options.signal.reason : asNetworkError(e, url));
      settled = true;
    };
    req.on('response', (res) => {
      settled = true;
      resolve(res);
    });
    req.on('error', fail);
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(new NetworkError('ETIMEDOUT', `no answer for ${options.timeoutMs / 1000} s`, url)),
    );
    if (out.body) sendBody(req, out.body, fail, options.onSent);
    else req.end();
  });
}

function sendBody(
  req: http.ClientRequest,
  body: Payload,
  fail: (e: unknown) => void,
  onSent: ((bytes: number) => void) | undefined,
): void {
  if (Buffer.isBuffer(body)) return void req.end(body, () => onSent?.(body.length));
  const stream = body.open();
  // A failing source is the caller's problem, not the network's: it must not look like a retryable drop.
  stream.on('error', (e) => {
    fail(e);
    req.destroy();
  });
  stream.on('data', (chunk: Buffer) => {
    // Counted once the socket took it: bytes still queued in Node when a connection drops never left.
    const queued = req.write(chunk, (e) => e || onSent?.(chunk.length));
    if (!queued) stream.pause();
  });
  req.on('drain', () => stream.resume());
  stream.on('end', () => req.end());
  req.on('close', () => stream.destroy());
}

/** The body, up to `limit` bytes (API answers and manifests are small; more is a bad answer). */
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
export function discard(res: IncomingMessage): void {
  res.resume();
}

/** The response's headers as fetch's Headers, repeated ones kept. */
export function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  return headers;
}
