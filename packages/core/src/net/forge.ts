/**
 * What GitHub's and GitLab's REST APIs have in common when they refuse: how they say a rate limit
 * and how they word an error. Shared by every caller of a forge (comments, training dispatch).
 */

/** GitHub's primary and secondary rate limits answer 403, with headers that say so. */
export const rateLimited = (status: number, headers: Headers) =>
  status === 403 && (headers.has('retry-after') || headers.get('x-ratelimit-remaining') === '0');

/** A forge answer: JSON when it is, else the text (or nothing for an empty body). */
export function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GitHub says `{message}`, GitLab `{message}` (a string, or an object of field errors) or `{error}`. */
export function forgeMessage(text: string, statusText: string): string {
  const data = parseBody(text);
  const said =
    data && typeof data === 'object'
      ? ((data as Record<string, unknown>).message ?? (data as Record<string, unknown>).error)
      : undefined;
  return said === undefined ? statusText : typeof said === 'string' ? said : JSON.stringify(said);
}
