/**
 * When to try a request again and how long to wait first: exponential backoff (with jitter, so
 * clients that failed together do not retry together), or the server's own Retry-After, never
 * longer than the policy allows so a server cannot stall a step for hours.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  tries: number;
  /** The first wait; it doubles after each failed attempt. */
  baseMs: number;
  /** The longest single wait, Retry-After included. */
  maxMs: number;
  /** Wait between half and all of the backoff, at random. */
  jitter?: boolean;
}

export const NO_RETRY: RetryPolicy = { tries: 1, baseMs: 0, maxMs: 0 };

/** Answers worth another attempt whatever the API: rate limited, or the server failed. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** The wait after failed attempt number `attempt` (1 for the first), or the server's `hintMs`, capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, hintMs?: number): number {
  const spread = policy.jitter ? 0.5 + Math.random() / 2 : 1;
  const wait = hintMs ?? Math.round(policy.baseMs * 2 ** (attempt - 1) * spread);
  return Math.min(Math.max(0, wait), policy.maxMs);
}

/** Retry-After in milliseconds from now: delta-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  // Every HTTP-date form has a time of day; Date.parse alone would take '-5' for a year.
  const date = /\d\d:\d\d:\d\d/.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long the server asked us to wait: Retry-After, or else the end of an exhausted rate-limit
 * window (`X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` in epoch seconds, as GitHub sends).
 */
export function waitHintMs(headers: Headers, now = Date.now()): number | undefined {
  const after = retryAfterMs(headers.get('retry-after'), now);
  if (after !== undefined) return after;
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (headers.get('x-ratelimit-remaining') === '0' && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
