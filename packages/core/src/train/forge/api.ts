/**
 * The forge REST calls a dispatch makes, through net/http: JSON in and out, retries on 429, 5xx
 * and rate-limit 403s (Retry-After honoured), and artifact downloads that follow the forge's
 * redirect to its blob storage without taking the token along. A POST that starts something (a
 * dispatch, a pipeline) is sent again only when the forge said it did nothing: 429, or a 403
 * rate limit; a 5xx or a timeout may have started a run already, and a second one would train twice.
 */
import { ConfigurationError } from '../../errors.ts';
import { writeFileAtomic } from '../../files/atomic.ts';
import { discard, readBody } from '../../net/exchange.ts';
import { forgeMessage, parseBody, rateLimited } from '../../net/forge.ts';
import { request, requestBuffered } from '../../net/http.ts';
import { NetworkError } from '../../net/network-error.ts';
import { type RetryPolicy, retryDelayMs, sleep, waitHintMs } from '../../net/retry.ts';
import type { Logger } from '../../platform/port.ts';
import { redact } from '../../secrets/redact.ts';

export interface ForgeClient {
  forge: 'GitHub' | 'GitLab';
  /** The REST root, no trailing slash: https://api.github.com, https://gitlab.com/api/v4. */
  api: string;
  /** The token's header: sent to the API's origin only. */
  auth: Record<string, string>;
  headers: Record<string, string>;
  log: Logger;
  signal: AbortSignal;
  retry?: RetryPolicy;
}

export const FORGE_RETRY: RetryPolicy = { tries: 6, baseMs: 1_000, maxMs: 60_000, jitter: true };
const TIMEOUT_MS = 60_000;
const JSON_LIMIT = 64 * 1024 * 1024;

/** A call the forge refused: the status and its own words, never the token. */
export class ForgeFailure extends Error {
  override name = 'ForgeFailure';
  readonly method: string;
  /** The URL's path, for messages; never its query. */
  readonly path: string;
  /** 0 when no answer came. */
  readonly status: number;
  /** The forge's own words, redacted. */
  readonly detail: string;
  readonly attempts: number;
  /** The socket's error code when no answer came: ENOTFOUND, ECONNREFUSED, … */
  readonly code: string | undefined;

  constructor(method: string, path: string, status: number, detail: string, attempts: number, code?: string) {
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    super(`${method} ${path}: ${status === 0 ? '' : `${status} `}${detail}${tries}`);
    this.method = method;
    this.path = path;
    this.status = status;
    this.detail = detail;
    this.attempts = attempts;
    this.code = code;
  }
}

export interface JsonReply<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** `path` is below the API root, with its query if any; `body` goes as JSON. */
export async function forgeJson<T>(
  c: ForgeClient,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<JsonReply<T>> {
  const url = `${c.api}${path}`;
  const policy = c.retry ?? FORGE_RETRY;
  for (let attempt = 1; ; attempt++) {
    const reply = await requestBuffered(
      url,
      {
        method,
        headers: {
          Accept: 'application/json',
          ...c.headers,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        auth: c.auth,
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      },
      options(c, method, policy),
    ).catch((e) => rethrow(e, c, method, url));
    const again = method === 'POST' && attempt < policy.tries && refusedForNow(reply.status, reply.headers);
    if (again) {
      const ms = retryDelayMs(policy, attempt, waitHintMs(reply.headers));
      c.log.debug(`POST ${pathOf(url)} answered ${reply.status}; again in ${ms} ms`);
      await sleep(ms, c.signal);
      continue;
    }
    const text = reply.body.toString('utf8');
    if (reply.status >= 200 && reply.status < 300)
      return { status: reply.status, headers: reply.headers, data: parseBody(text) as T };
    throw new ForgeFailure(method, pathOf(url), reply.status, said(text, reply.statusText), reply.attempts);
  }
}

/** Streams a file (an artifact zip, a raw artifact file) to `dest`, following redirects to other hosts without the token. */
export async function forgeDownload(c: ForgeClient, path: string, dest: string): Promise<void> {
  const url = `${c.api}${path}`;
  const policy = c.retry ?? FORGE_RETRY;
  for (let attempt = 1; ; attempt++) {
    const res = await request(url, { headers: c.headers, auth: c.auth }, options(c, 'GET', policy)).catch(
      (e) => rethrow(e, c, 'GET', url),
    );
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
      throw new ForgeFailure('GET', pathOf(url), status, said(text, res.statusMessage ?? ''), res.attempts);
    }
    try {
      await writeFileAtomic(dest, res);
      return;
    } catch (e) {
      // A connection dropped mid-body: the whole file again, as many times as the policy allows.
      if (c.signal.aborted || attempt >= policy.tries || e instanceof ConfigurationError) throw e;
      c.log.debug(`download of ${pathOf(url)} broke off (${(e as Error).message}); again`);
      discard(res);
      await sleep(retryDelayMs(policy, attempt), c.signal);
    }
  }
}

/** The last `keep` bytes of a text resource (a job log, which can run to gigabytes), read as it streams. */
export async function forgeTextTail(c: ForgeClient, path: string, keep = 256 * 1024): Promise<string> {
  const url = `${c.api}${path}`;
  const res = await request(
    url,
    { headers: { ...c.headers, Accept: 'text/plain' }, auth: c.auth },
    options(c, 'GET', c.retry ?? FORGE_RETRY),
  ).catch((e) => rethrow(e, c, 'GET', url));
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const text = (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
    throw new ForgeFailure('GET', pathOf(url), status, said(text, res.statusMessage ?? ''), res.attempts);
  }
  let tail = Buffer.alloc(0);
  for await (const chunk of res) {
    tail = Buffer.concat([tail, chunk as Buffer]);
    if (tail.length > 2 * keep) tail = tail.subarray(tail.length - keep);
  }
  return tail.subarray(Math.max(0, tail.length - keep)).toString('utf8');
}

function options(c: ForgeClient, method: string, retry: RetryPolicy) {
  return {
    timeoutMs: TIMEOUT_MS,
    retry,
    repeatable: method !== 'POST',
    retryOn: refusedForNow,
    signal: c.signal,
    log: c.log,
    limit: JSON_LIMIT,
  };
}

/** 429, and GitHub's primary and secondary rate limits, which answer 403 with headers that say so. */
const refusedForNow = (status: number, headers: Headers) => status === 429 || rateLimited(status, headers);

function rethrow(e: unknown, c: ForgeClient, method: string, url: string): never {
  if (e instanceof NetworkError && !c.signal.aborted)
    throw new ForgeFailure(
      method,
      pathOf(url),
      0,
      `${c.forge} did not answer: ${e.message}`,
      e.attempts,
      e.code,
    );
  throw e;
}

const pathOf = (url: string) => new URL(url).pathname;

/** The forge's words for a refusal, on one line, with no secret in them. */
function said(text: string, statusText: string): string {
  const words = forgeMessage(text, statusText);
  // One line, whatever the forge sent: GitHub's 422s come with blank lines in them.
  const clean = redact(words).replace(/\s+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}
