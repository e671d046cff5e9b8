/**
 * What the Kubernetes API said, as one line a person can act on. Every call the kube module makes
 * names what it tried (verb, resource, namespace, name), so a 403 says which RBAC rule is missing
 * even when the server's Status is terse, and a refused connection says which server was tried.
 */
import { ConfigurationError } from '../errors.ts';

export class KubeError extends ConfigurationError {
  override name = 'KubeError';
  /** The HTTP status, or 0 when the API server was never reached. */
  readonly status: number;
  /** The same request may well succeed a moment later (server down or failing, 429). */
  readonly transient: boolean;
  constructor(what: string, status: number, fix?: string, transient = false) {
    super(what, fix === undefined ? {} : { fix });
    this.status = status;
    this.transient = transient;
  }
}

/** What a call tried to do, for the message. */
export interface Attempt {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'logs';
  /** Plural resource name with its group, e.g. `deployments.apps`, `configmaps`. */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  server: string;
}

interface Status {
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

/** `{code, body}` as client-node's ApiException carries it; a watch's failed start has `statusCode`. */
export function statusOf(e: unknown): { code: number; body: Status } | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof o.code === 'number' ? o.code : typeof o.statusCode === 'number' ? o.statusCode : 0;
  if (code < 100) return undefined;
  let body: unknown = o.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = { message: body };
    }
  }
  return { code, body: typeof body === 'object' && body !== null ? (body as Status) : {} };
}

/** The network failure's code (ECONNREFUSED, CERT_HAS_EXPIRED, …) when the server was never reached. */
export function networkCodeOf(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    if (c instanceof DOMException && c.name === 'TimeoutError') return 'ETIMEDOUT';
  }
  if (e instanceof TypeError && /fetch failed/.test(e.message)) return 'EFAILED';
  return undefined;
}

/**
 * Worth another attempt: the server was unreachable, starting, overloaded, or behind a proxy that
 * lost it. Not a 500: the API server answers those for requests it will refuse every time.
 */
export function isTransient(e: unknown): boolean {
  const s = statusOf(e);
  if (s) return s.code === 429 || s.code === 502 || s.code === 503 || s.code === 504;
  const code = networkCodeOf(e);
  return (
    code !== undefined && !code.startsWith('CERT') && !code.includes('TLS') && !code.includes('SELF_SIGNED')
  );
}

const target = (a: Attempt) =>
  `${a.resource}${a.name ? ` '${a.name}'` : ''}${a.namespace ? ` in namespace '${a.namespace}'` : ''}`;

/** The one-line KubeError for a failed call; anything that is not an API or network failure is returned as is. */
export function kubeErrorOf(e: unknown, a: Attempt): unknown {
  if (e instanceof KubeError) return e;
  const s = statusOf(e);
  if (!s) {
    const code = networkCodeOf(e);
    if (!code) return e;
    return new KubeError(
      `cannot reach the Kubernetes API server at ${a.server} (${code}) to ${a.verb} ${target(a)}`,
      0,
      code.includes('CERT') || code.includes('TLS') || code.includes('SIGNED')
        ? "Check the kubeconfig's certificate-authority data for this server."
        : "Check the kubeconfig's server address, that the cluster is up, and that this runner can reach it.",
      isTransient(e),
    );
  }
  const { code, body } = s;
  const message = body.message ?? body.reason ?? `HTTP ${code}`;
  switch (code) {
    case 401:
      return new KubeError(
        `the Kubernetes API server at ${a.server} refused the kubeconfig's credentials (401 Unauthorized)`,
        code,
        'Check the token or client certificate in the kubeconfig; it may have expired.',
      );
    case 403:
      return forbidden(message, a);
    case 404:
      return notFound(message, a);
    case 409:
      return new KubeError(
        `conflict on ${target(a)}: ${message}`,
        code,
        /apply/i.test(message) || a.verb === 'patch'
          ? "Another field manager owns these fields: remove them from the other tool's manifests, or delete the object and deploy again."
          : 'Another change was made at the same time; run the step again.',
      );
    case 422:
      return invalid(body, message, a);
    default:
      return new KubeError(
        `the Kubernetes API refused to ${a.verb} ${target(a)}: ${message} (HTTP ${code})`,
        code,
        undefined,
        isTransient(e),
      );
  }
}

const FORBIDDEN =
  /User "([^"]+)" cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/;

function forbidden(message: string, a: Attempt): KubeError {
  const m = FORBIDDEN.exec(message);
  const user = m?.[1] ?? "the kubeconfig's user";
  const verb = m?.[2] ?? a.verb;
  const resource = m ? `${m[3]}${m[4] ? `.${m[4]}` : ''}` : a.resource;
  const namespace = m?.[5] ?? a.namespace;
  const [plural, ...group] = resource.split('.');
  return new KubeError(
    `forbidden: ${user} may not ${verb} ${resource}${namespace ? ` in namespace '${namespace}'` : ''}`,
    403,
    `Grant it with a Role${namespace ? ` in '${namespace}'` : ''}: apiGroups: ["${group.join('.')}"], resources: ["${plural}"], verbs: ["${verb}"], bound to ${user}.`,
  );
}

function notFound(message: string, a: Attempt): KubeError {
  const ns = /namespaces "([^"]+)" not found/.exec(message);
  if (ns)
    return new KubeError(
      `namespace '${ns[1]}' does not exist on ${a.server}`,
      404,
      'Create it first, or set the namespace input to an existing one.',
    );
  return new KubeError(`${target(a)} not found: ${message}`, 404);
}

function invalid(body: Status, message: string, a: Attempt): KubeError {
  const causes = body.details?.causes ?? [];
  const first = causes[0];
  const where = first?.field ? `${first.field}: ${first.message ?? first.reason ?? 'invalid'}` : message;
  const more = causes.length > 1 ? ` (and ${causes.length - 1} more)` : '';
  return new KubeError(
    `the Kubernetes API rejected ${target(a)} as invalid: ${where}${more}`,
    422,
    'Fix that field in the manifests or inputs.',
  );
}
