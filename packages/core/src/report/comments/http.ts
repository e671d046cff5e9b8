/**
 * One call to a forge's REST API, as comment upserts need it: a timeout per request, a few
 * retries on 429 and 5xx that honour Retry-After, redirects followed only to the same origin
 * (a custom auth header such as PRIVATE-TOKEN would otherwise travel to another host), and
 * failures that carry the status and the forge's own words but never the token.
 */
import { ConfigurationError } from '../../errors.ts';
import { addSecret, redact } from '../../platform/redact.ts';

export interface HttpOptions {
  /** Milliseconds each request may take, body included. */
  timeoutMs?: number;
  /** Attempts in all, the first included. */
  tries?: number;
  /** The first wait between attempts; it doubles each time. */
  backoffMs?: number;
  /** The longest single wait, Retry-After included: a step should not stall on a comment. */
  maxDelayMs?: number;
}

const DEFAULTS: Required<HttpOptions> = { timeoutMs: 15_000, tries: 3, backoffMs: 500, maxDelayMs: 4_000 };

export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
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
  /** Set by call() once it gives up. */
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

export async function call(req: ApiCall, options: HttpOptions = {}): Promise<ApiReply> {
  const o = { ...DEFAULTS, ...options };
  // A POST that timed out or answered 502 may still have created its comment, so it is not
  // repeated here: the upsert looks for the comment again before another attempt.
  const repeatable = req.method !== 'POST';
  for (let attempt = 1; ; attempt++) {
    const reply = await once(req, o.timeoutMs);
    if (!(reply instanceof ApiFailure)) return reply;
    if (!reply.transient || !repeatable || attempt >= o.tries) {
      reply.attempts = attempt;
      throw reply;
    }
    await sleep(retryDelay(reply, attempt, o));
  }
}

export function retryDelay(failure: ApiFailure, attempt: number, options: HttpOptions = {}): number {
  const o = { ...DEFAULTS, ...options };
  const wait = failure.retryAfterMs ?? o.backoffMs * 2 ** (attempt - 1);
  return Math.min(Math.max(0, wait), o.maxDelayMs);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function once(req: ApiCall, timeoutMs: number, hops = 0): Promise<ApiReply | ApiFailure> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.body === undefined ? req.headers : { ...req.headers, 'Content-Type': 'application/json' },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      redirect: 'manual',
      signal,
    });
    text = await res.text();
  } catch (e) {
    const timedOut = signal.aborted;
    const why = timedOut ? `no answer within ${timeoutMs / 1000} s` : wireError(e);
    return new ApiFailure(req, 0, why, true);
  }
  if (res.status >= 300 && res.status < 400) return redirect(req, res, timeoutMs, hops);
  if (res.ok) return { status: res.status, headers: res.headers, data: parse(text) };
  const limited = res.status === 429 || rateLimited(res);
  const transient = limited || res.status >= 500;
  return new ApiFailure(req, res.status, forgeMessage(text, res), transient, waitHint(res));
}

async function redirect(req: ApiCall, res: Response, timeoutMs: number, hops: number) {
  const location = res.headers.get('location');
  const to = location ? new URL(location, req.url) : undefined;
  if (!to || to.origin !== new URL(req.url).origin || hops >= 3)
    return new ApiFailure(req, res.status, `redirected to ${to?.origin ?? 'nowhere'}; not following`, false);
  return once({ ...req, url: to.href }, timeoutMs, hops + 1);
}

/** GitHub's primary and secondary rate limits answer 403, with headers that say so. */
const rateLimited = (res: Response) =>
  res.status === 403 && (res.headers.has('retry-after') || res.headers.get('x-ratelimit-remaining') === '0');

function waitHint(res: Response): number | undefined {
  const after = res.headers.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return date - Date.now();
  }
  const reset = Number(res.headers.get('x-ratelimit-reset'));
  if (res.headers.get('x-ratelimit-remaining') === '0' && reset > 0) return reset * 1000 - Date.now();
  return undefined;
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GitHub says `{message}`, GitLab `{message}` (sometimes an object of field errors) or `{error}`. */
function forgeMessage(text: string, res: Response): string {
  const data = parse(text);
  const said =
    data && typeof data === 'object'
      ? ((data as Record<string, unknown>).message ?? (data as Record<string, unknown>).error)
      : undefined;
  return said === undefined ? res.statusText : typeof said === 'string' ? said : JSON.stringify(said);
}

/** fetch wraps the socket error in `cause`; that is the useful part. */
function wireError(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  return cause instanceof Error ? cause.message : String(cause);
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
  for (const part of (headers.get('link') ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part);
    if (m?.[2]?.split(/\s+/).includes('next') && m[1]) {
      const url = new URL(m[1], api);
      if (url.origin !== new URL(api).origin)
        throw new Error(`the next page is on another host: ${url.origin}`);
      return url.href;
    }
  }
  return undefined;
}
