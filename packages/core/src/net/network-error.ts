/**
 * A request that got no usable answer because of the network (refused, reset, timed out, no such
 * host, a TLS failure), told apart from every other error so a client can retry it or name the
 * host it could not reach. Its text never carries a URL's query or user info, nor any secret
 * registered for redaction.
 */
import { redact } from '../secrets/redact.ts';

/** Failures another attempt may get past. A name that does not resolve, or a bad certificate, is not one. */
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

const PERMANENT = /^(ENOTFOUND|ERR_SSL|EPROTO|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/;

export class NetworkError extends Error {
  override name = 'NetworkError';
  /** The socket's code: ECONNREFUSED, ETIMEDOUT, ENOTFOUND, CERT_HAS_EXPIRED, … */
  readonly code: string;
  readonly transient: boolean;
  /** Where it was going, as describeUrl shows it. */
  readonly url: string;
  /** Attempts made before giving up, the first included; set by request(). */
  attempts = 1;

  constructor(code: string, message: string, url: URL, cause?: unknown) {
    super(redact(message), cause === undefined ? undefined : { cause });
    this.code = code;
    this.transient = TRANSIENT.has(code);
    this.url = describeUrl(url);
  }
}

/** The error as a NetworkError if it came from the network; anything else (a failing body source) as it is. */
export function asNetworkError(e: unknown, url: URL): unknown {
  if (e instanceof NetworkError) return e;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !(TRANSIENT.has(code) || PERMANENT.test(code))) return e;
  return new NetworkError(code, e instanceof Error ? e.message : String(e), url, e);
}

/**
 * A URL fit for a log line or a message: host and path only. The query is left out because
 * signed storage URLs carry their signature there, and user info because it is a password.
 */
export const describeUrl = (url: URL): string => redact(`${url.host}${url.pathname}`);
