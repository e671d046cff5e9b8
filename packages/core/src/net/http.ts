/**
 * The one outbound HTTP client: every API and registry call goes through request() (the body
 * left to stream) or requestBuffered() (the body read as part of the attempt). Both give each
 * exchange an idle timeout and the caller's AbortSignal, retry what a policy allows (network
 * drops, 429 and 5xx, honouring Retry-After), and follow redirects while sending credentials
 * only to the origin they were given for.
 */
import type { IncomingMessage } from 'node:http';
import { discard, exchange, headersOf, type Payload, readBody } from './exchange.ts';
import { asNetworkError, describeUrl, NetworkError } from './network-error.ts';
import { isRetryableStatus, NO_RETRY, type RetryPolicy, retryDelayMs, sleep, waitHintMs } from './retry.ts';

export interface HttpRequest {
  /** GET when absent. */
  method?: string;
  headers?: Record<string, string>;
  /**
   * Credentials (Authorization, PRIVATE-TOKEN, …): sent only to the request's own origin, never
   * across a redirect to another. A function is asked again before every attempt, so a token
   * that expired while we waited is renewed.
   */
  auth?: Record<string, string> | (() => Promise<Record<string, string>>);
  body?: Payload;
}

export interface RequestOptions {
  /** The socket may be idle this long before the attempt fails (and is retried); default 30 s. */
  timeoutMs?: number;
  /** Default: one attempt. */
  retry?: RetryPolicy;
  /**
   * Whether a request that may have reached the server can be sent again. Default: only the
   * idempotent methods; a POST that timed out may have done its work already.
   */
  repeatable?: boolean;
  /** Answers besides 429 and 5xx worth another attempt, e.g. GitHub's rate-limit 403. */
  retryOn?: (status: number, headers: Headers) => boolean;
  /**
   * follow (default): every redirect, credentials kept to their origin; same-origin: only to the
   * same origin; manual: none. A redirect not followed is given back as the 3xx answer.
   */
  redirect?: 'follow' | 'same-origin' | 'manual';
  /** Default 5. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Each exchange and each retry, at debug level; never a header or a query. */
  log?: { debug(message: string): void };
  /** Called with each piece of request body once the socket has taken it. */
  onSent?: (bytes: number) => void;
  /** CA certificates (PEM) to trust besides the system's. */
  ca?: string;
}

/** The answer, its body still to read (or discard), and the attempts it took. */
export type Answer = IncomingMessage & { attempts: number };

export interface Buffered {
  status: number;
  statusText: string;
  headers: Headers;
  body: Buffer;
  attempts: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends the request and gives back the answer once its headers are in. The last answer is given
 * back when retries run out, so the caller can read what the server said; network failures are
 * thrown as NetworkError, an abort as the signal's reason.
 */
export async function request(
  url: string | URL,
  init: HttpRequest,
  options: RequestOptions = {},
): Promise<Answer> {
  const start = new URL(url);
  const got = await retrying(
    start,
    init,
    options,
    async (auth) => {
      const res = await follow(start, init, auth, options);
      return { status: res.statusCode ?? 0, headers: headersOf(res), res };
    },
    (r) => discard(r.res),
  );
  return Object.assign(got.res, { attempts: got.attempts });
}

/** request(), with the body (up to `limit` bytes) read within the attempt: a drop mid-body is retried too. */
export async function requestBuffered(
  url: string | URL,
  init: HttpRequest,
  options: RequestOptions & { limit: number },
): Promise<Buffered> {
  const start = new URL(url);
  return retrying(
    start,
    init,
    options,
    async (auth) => {
      const res = await follow(start, init, auth, options);
      const body = await readBody(res, options.limit).catch((e: unknown) => {
        throw options.signal?.aborted ? options.signal.reason : asNetworkError(e, start);
      });
      return {
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: headersOf(res),
        body,
      };
    },
    () => {},
  );
}

type Head = { status: number; headers: Headers };

async function retrying<T extends Head>(
  start: URL,
  init: HttpRequest,
  o: RequestOptions,
  once: (auth: Record<string, string>) => Promise<T>,
  release: (t: T) => void,
): Promise<T & { attempts: number }> {
  const method = init.method ?? 'GET';
  const policy = o.retry ?? NO_RETRY;
  const tries = (o.repeatable ?? IDEMPOTENT.has(method)) ? Math.max(1, policy.tries) : 1;
  const what = `${method} ${describeUrl(start)}`;
  for (let attempt = 1; ; attempt++) {
    o.signal?.throwIfAborted();
    const auth = typeof init.auth === 'function' ? await init.auth() : (init.auth ?? {});
    let got: T;
    try {
      got = await once(auth);
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      e.attempts = attempt;
      if (!e.transient || attempt >= tries) throw e;
      await pause(o, policy, attempt, tries, undefined, `${what}: ${e.message}`);
      continue;
    }
    const again = isRetryableStatus(got.status) || (o.retryOn?.(got.status, got.headers) ?? false);
    if (!again || attempt >= tries) return { ...got, attempts: attempt };
    release(got);
    await pause(o, policy, attempt, tries, waitHintMs(got.headers), `${what} answered ${got.status}`);
  }
}

async function pause(
  o: RequestOptions,
  policy: RetryPolicy,
  attempt: number,
  tries: number,
  hintMs: number | undefined,
  why: string,
): Promise<void> {
  const ms = retryDelayMs(policy, attempt, hintMs);
  o.log?.debug(`${why}; retry ${attempt} of ${tries - 1} in ${ms} ms`);
  await sleep(ms, o.signal);
}

/** One attempt: the exchange, and the redirects the options allow. */
async function follow(
  start: URL,
  init: HttpRequest,
  auth: Record<string, string>,
  o: RequestOptions,
): Promise<IncomingMessage> {
  let url = start;
  let method = init.method ?? 'GET';
  let body = init.body;
  const timeoutMs = o.timeoutMs ?? 30_000;
  for (let hop = 0; ; hop++) {
    const headers = url.origin === start.origin ? { ...init.headers, ...auth } : { ...init.headers };
    const res = await exchange(
      url,
      { method, headers, body },
      { timeoutMs, signal: o.signal, onSent: o.onSent, ca: o.ca },
    );
    o.log?.debug(`${method} ${describeUrl(url)} → ${res.statusCode}`);
    const next = redirectTarget(res, url, start, o, hop);
    if (!next) return res;
    discard(res);
    if (res.statusCode === 303 && method !== 'HEAD') {
      method = 'GET';
      body = undefined;
    }
    url = next;
  }
}

function redirectTarget(
  res: IncomingMessage,
  url: URL,
  start: URL,
  o: RequestOptions,
  hop: number,
): URL | undefined {
  const mode = o.redirect ?? 'follow';
  const location = res.headers.location;
  if (mode === 'manual' || !REDIRECTS.has(res.statusCode ?? 0) || !location) return undefined;
  if (hop >= (o.maxRedirects ?? 5)) return undefined;
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    return undefined;
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return undefined;
  if (mode === 'same-origin' && next.origin !== start.origin) return undefined;
  return next;
}
