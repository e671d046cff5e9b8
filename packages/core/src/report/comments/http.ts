/**
 * One call to a forge's REST API, as comment upserts need it, through net/: a timeout per
 * request, a few retries on 429, 5xx and rate-limit 403s that honour Retry-After, redirects
 * followed only to the same origin (the forge's answer is not worth a token sent elsewhere),
 * and failures that carry the status and the forge's own words but never the token.
 */
import { ConfigurationError } from '../../errors.ts';
import { forgeMessage, parseBody, rateLimited } from '../../net/forge.ts';
import { type Buffered, requestBuffered } from '../../net/http.ts';
import { linkTo } from '../../net/link.ts';
import { NetworkError } from '../../net/network-error.ts';
import { isRetryableStatus, type RetryPolicy, retryDelayMs, waitHintMs } from '../../net/retry.ts';
import { addSecret, redact } from '../../secrets/redact.ts';

export interface HttpOptions {
  /** Milliseconds a request may go without a byte from the forge before it fails. */
  timeoutMs?: number;
  /** Attempts in all, the first included. */
  tries?: number;
  /** The first wait between attempts; it doubles each time. */
  backoffMs?: number;
  /** The longest single wait, Retry-After included: a step should not stall on a comment. */
  maxDelayMs?: number;
  /** Stops the call and the waits between attempts. */
  signal?: AbortSignal;
}

const DEFAULTS = { timeoutMs: 15_000, tries: 3, backoffMs: 500, maxDelayMs: 4_000 };
/** A page of 100 comments of 65,536 characters each, in UTF-8 at worst. */
const BODY_LIMIT = 32 * 1024 * 1024;

export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  /** The token's header, sent to the API's origin only. */
  auth?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

export interface ApiReply {
  status: number;
  headers: Headers;
  data: unknown;
}

/** A call that failed: for good, or (transient) in a way that another attempt may fix. */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
  readonly method: string;
  /** The URL's path, for messages; never its query or host credentials. */
  readonly path: string;
  /** 0 when no response came back. */
  readonly status: number;
  /** The forge's own message, or what went wrong on the wire. */
  readonly detail: string;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
  /** Attempts made before giving up. */
  attempts = 1;

  constructor(call: ApiCall, status: number, detail: string, transient: boolean, retryAfterMs?: number) {
    const path = new URL(call.url).pathname;
    // Redact before cutting, so no part of a token survives at the cut.
    const scrubbed = redact(detail);
    const clean = scrubbed.length > 300 ? `${scrubbed.slice(0, 300)}…` : scrubbed;
    super(`${call.method} ${path}: ${status === 0 ? '' : `${status} `}${clean}`);
    this.method = call.method;
    this.path = path;
    this.status = status;
    this.detail = clean;
    this.transient = transient;
    this.retryAfterMs = retryAfterMs;
  }
}

const policyOf = (o: HttpOptions): RetryPolicy => {
  const { tries, backoffMs, maxDelayMs } = { ...DEFAULTS, ...o };
  return { tries, baseMs: backoffMs, maxMs: maxDelayMs };
};

export async function call(req: ApiCall, options: HttpOptions = {}): Promise<ApiReply> {
  const json = req.body !== undefined;
  let reply: Buffered;
  try {
    reply = await requestBuffered(
      req.url,
      {
        method: req.method,
        headers: json ? { ...req.headers, 'Content-Type': 'application/json' } : req.headers,
        auth: req.auth,
        body: json ? Buffer.from(JSON.stringify(req.body)) : undefined,
      },
      {
        timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
        retry: policyOf(options),
        // A POST that timed out or answered 502 may still have created its comment, so it is not
        // repeated here: the upsert looks for the comment again before another attempt.
        repeatable: req.method !== 'POST',
        retryOn: rateLimited,
        redirect: 'same-origin',
        maxRedirects: 3,
        signal: options.signal,
        limit: BODY_LIMIT,
      },
    );
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    throw Object.assign(new ApiFailure(req, 0, e.message, e.transient), { attempts: e.attempts });
  }
  const { status, headers } = reply;
  const failure = (detail: string, transient: boolean, hintMs?: number) =>
    Object.assign(new ApiFailure(req, status, detail, transient, hintMs), { attempts: reply.attempts });
  if (status >= 300 && status < 400) {
    const to = headers.get('location');
    throw failure(`redirected to ${to ? new URL(to, req.url).origin : 'nowhere'}; not following`, false);
  }
  const text = reply.body.toString('utf8');
  if (status >= 200 && status < 300) return { status, headers, data: parseBody(text) };
  const transient = isRetryableStatus(status) || rateLimited(status, headers);
  throw failure(forgeMessage(text, reply.statusText), transient, waitHintMs(headers));
}

export function retryDelay(failure: ApiFailure, attempt: number, options: HttpOptions = {}): number {
  return retryDelayMs(policyOf(options), attempt, failure.retryAfterMs);
}

/**
 * A token pasted with its newline, or with spaces, makes fetch throw an error that quotes the
 * header, token and all; trim it, and refuse what is still not a header value, without showing it.
 */
export function cleanToken(token: string, credential: string): string {
  const t = token.trim();
  if (!t || /[\s\x00-\x1f\x7f]/.test(t) || /[^\x20-\xff]/.test(t))
    throw new ConfigurationError(
      `the token from ${credential} is empty or contains spaces or control characters`,
      {
        fix: 'Store the token alone, without quotes or line breaks.',
      },
    );
  // Registered with the shared redaction, so no log line or error of any module can show it.
  addSecret(t);
  return t;
}

/** The next page's URL, only if it stays on the API's origin: the token goes with it. */
export function nextLink(headers: Headers, api: string): string | undefined {
  const url = linkTo(headers.get('link'), 'next', api);
  if (url && url.origin !== new URL(api).origin)
    throw new Error(`the next page is on another host: ${url.origin}`);
  return url?.href;
}
