/**
 * RFC 8288 Link headers, as paginated APIs send them (GitHub, GitLab, the OCI tag list):
 * `<https://api.example/x?page=2>; rel="next", <…>; rel="last"`. A URL may hold commas and
 * semicolons, and a rel may list several relations, so the header is scanned, not split.
 */

export interface Link {
  /** As written: absolute, or relative to the URL that answered. */
  target: string;
  /** Relation types, lowercase. */
  rel: string[];
}

const ENTRY = /\s*<([^>]*)>((?:\s*;\s*[^\s;,=]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^\s;,"]*))?)*)\s*(?:,|$)/y;
const PARAM = /;\s*([^\s;,=]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;,"]*)))?/g;

/** Every link in the header (or its repeated values); a malformed rest of the header is ignored. */
export function parseLinks(header: string | readonly string[] | null | undefined): Link[] {
  const text = typeof header === 'string' ? header : (header ?? []).join(', ');
  const links: Link[] = [];
  ENTRY.lastIndex = 0;
  for (let m = ENTRY.exec(text); m && m[0] !== ''; m = ENTRY.exec(text)) {
    let rel: string[] = [];
    for (const p of m[2]!.matchAll(PARAM))
      if (p[1]!.toLowerCase() === 'rel' && rel.length === 0)
        rel = (p[2]?.replace(/\\(.)/g, '$1') ?? p[3] ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    links.push({ target: m[1]!.trim(), rel });
  }
  return links;
}

/** The first link with relation `rel` (`next` for the following page), resolved against `base`. */
export function linkTo(
  header: string | readonly string[] | null | undefined,
  rel: string,
  base: string | URL,
): URL | undefined {
  const link = parseLinks(header).find((l) => l.rel.includes(rel));
  return link ? new URL(link.target, base) : undefined;
}
