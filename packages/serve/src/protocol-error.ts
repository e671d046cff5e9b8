/**
 * A request the server answers with the protocol's `{"error": "…"}` and a 4xx (or 504) status:
 * the client's to fix or to retry, never counted as the server failing.
 */
export class ProtocolError extends Error {
  readonly status: number;
  /** Extra response headers: `retry-after` on a 429, `connection: close` when the body was left unread. */
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** Headers for an answer sent before the body was read: the rest of it must not be taken for the next request. */
export const CLOSE = { connection: 'close' } as const;

/** A client's value in an error message: short, whatever was sent. */
export function quote(x: unknown): string {
  if (typeof x === 'object' && x !== null) return Array.isArray(x) ? 'an array' : 'an object';
  const text = JSON.stringify(x) ?? String(x);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
