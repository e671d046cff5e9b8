/**
 * The registry's WWW-Authenticate dance. Every request goes out anonymously until the registry
 * says how it wants credentials: `Basic` (send them on every request from then on) or `Bearer`
 * (trade them at the token server for a token scoped to the repositories and actions at hand,
 * kept per scope until it expires). Tokens and passwords are registered as secrets so no log
 * line can carry them.
 */
import { addSecret } from '../secrets/redact.ts';
import { type Access, credentialsRefused, denied, RegistryError, unauthenticated } from './errors.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="a b"` → challenges, quoted values unescaped. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re =
    /\s*(?:([A-Za-z][\w!#$%&'*+.^`|~-]*)(?=\s|$|,)|([\w!#$%&'*+.^`|~-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*))\s*,?/gy;
  let m: RegExpExecArray | null = re.exec(header);
  while (m && m[0] !== '') {
    if (m[1]) out.push({ scheme: m[1].toLowerCase(), params: {} });
    else if (m[2] && out.length > 0) {
      const value = m[4] !== undefined ? m[4].replace(/\\(.)/g, '$1') : (m[3] ?? '');
      out.at(-1)!.params[m[2].toLowerCase()] = value;
    }
    m = re.exec(header);
  }
  return out;
}

/** `repository:NAME:pull,push`; writes ask for pull too, as the registry needs it to check blobs. */
export function repositoryScope(repository: string, action: 'pull' | 'push' | 'delete'): string {
  const actions = action === 'pull' ? 'pull' : action === 'push' ? 'pull,push' : 'delete';
  return `repository:${repository}:${actions}`;
}

/** The first repository scope, for error messages: what the operation was trying to do. */
export function accessOf(scopes: string[]): Access | undefined {
  const m = /^repository:(.+):([a-z,*]+)$/.exec(scopes[0] ?? '');
  if (!m) return undefined;
  const actions = m[2]!.split(',');
  const action = actions.includes('push') ? 'push' : actions.includes('delete') ? 'delete' : 'pull';
  return { action, repository: m[1]! };
}

/** What was sent with one request, so a 401 can be judged: first contact, stale token, or refusal. */
export interface Sent {
  scheme: 'none' | 'basic' | 'bearer';
  header: string | undefined;
  /** The token was fetched for this request rather than taken from the cache. */
  fetched: boolean;
}

/** A GET to the token server; the client supplies it so retries and TLS settings are shared. */
export type TokenGet = (
  url: URL,
  headers: Record<string, string>,
) => Promise<{ status: number; body: Buffer }>;

interface Token {
  value: string;
  expires: number;
}

/** Refresh a little early (at most a tenth of its life), so a token does not expire on its way. */
const EXPIRY_MARGIN_MS = 10_000;
/** The token spec's default lifetime when the server does not say. */
const DEFAULT_TOKEN_SECONDS = 60;

export class Authenticator {
  readonly host: string;
  readonly credentials: Credentials | undefined;
  private readonly get: TokenGet;
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private realm: URL | undefined;
  private service: string | undefined;
  private readonly tokens = new Map<string, Token>();

  constructor(host: string, credentials: Credentials | undefined, get: TokenGet) {
    this.host = host;
    this.credentials = credentials;
    this.get = get;
    if (credentials) addSecret(credentials.password);
  }

  /** The Authorization header for a request needing `scopes`, fetching a token if none is cached. */
  async authorize(scopes: string[]): Promise<Sent> {
    if (this.scheme === 'basic') return { scheme: 'basic', header: this.basic(), fetched: false };
    if (this.scheme === 'none') return { scheme: 'none', header: undefined, fetched: false };
    const cached = this.tokens.get(key(scopes));
    if (cached && cached.expires > Date.now())
      return { scheme: 'bearer', header: `Bearer ${cached.value}`, fetched: false };
    return { scheme: 'bearer', header: `Bearer ${await this.fetchToken(scopes)}`, fetched: true };
  }

  /**
   * Called on a 401. Learns the scheme and gets fresh credentials for a retry, or throws the
   * error that says why retrying is pointless: the registry already refused what we would send.
   * `fresh` is true when what was sent is already the newest we could get.
   */
  async challenged(header: string | undefined, scopes: string[], sent: Sent, fresh: boolean): Promise<void> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const access = accessOf(scopes);
    if (bearer?.params.realm) {
      if (sent.scheme === 'bearer' && fresh) {
        if (bearer.params.error === 'insufficient_scope' || !this.credentials)
          throw this.credentials
            ? denied(this.host, this.credentials.username, access, 401)
            : unauthenticated(this.host, access);
        throw credentialsRefused(this.host, this.credentials.username);
      }
      this.useBearer(bearer.params.realm, bearer.params.service);
      this.tokens.delete(key(scopes));
      await this.fetchToken(scopes, bearer.params.scope);
      return;
    }
    if (basic || challenges.length === 0) {
      if (!this.credentials) throw unauthenticated(this.host, access);
      if (sent.scheme === 'basic') throw credentialsRefused(this.host, this.credentials.username);
      this.scheme = 'basic';
      return;
    }
    throw new RegistryError(
      'refused',
      `registry ${this.host} asks for '${challenges[0]!.scheme}' authentication, which is not supported`,
      { status: 401, fix: 'Use a registry that accepts Basic or Bearer (token) authentication' },
    );
  }

  private basic(): string {
    const c = this.credentials!;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private useBearer(realm: string, service: string | undefined): void {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('refused', `registry ${this.host} named a token server that is not a URL`);
    }
    if (this.realm?.href !== url.href || this.service !== service) this.tokens.clear();
    this.scheme = 'bearer';
    this.realm = url;
    this.service = service;
  }

  private async fetchToken(scopes: string[], challengeScope?: string): Promise<string> {
    const url = new URL(this.realm!);
    if (this.service) url.searchParams.set('service', this.service);
    // Calls with no scope of their own (the /v2/ ping) ask for whatever the registry named.
    const asked = scopes.length > 0 ? scopes : (challengeScope?.split(' ').filter(Boolean) ?? []);
    for (const s of asked) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.credentials) {
      url.searchParams.set('account', this.credentials.username);
      headers.authorization = this.basic();
    }
    const { status, body } = await this.get(url, headers);
    if (status === 401 || status === 403) {
      if (this.credentials) throw credentialsRefused(this.host, this.credentials.username, url.host);
      throw unauthenticated(this.host, accessOf(scopes));
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      parsed = status === 200 ? JSON.parse(body.toString()) : {};
    } catch {
      parsed = {};
    }
    const value = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    if (typeof value !== 'string' || !value)
      throw new RegistryError(
        'refused',
        `the token server ${url.host} of registry ${this.host} answered ${status} without a token`,
        { status, fix: `Check that ${url.origin}${url.pathname} is the registry's token service` },
      );
    addSecret(value);
    const seconds = typeof parsed.expires_in === 'number' ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof parsed.issued_at === 'string' ? Date.parse(parsed.issued_at) : Number.NaN;
    const from = Number.isFinite(issued) ? Math.min(issued, Date.now()) : Date.now();
    const margin = Math.min(EXPIRY_MARGIN_MS, seconds * 100);
    this.tokens.set(key(scopes), { value, expires: from + seconds * 1000 - margin });
    return value;
  }
}

const key = (scopes: string[]) => [...scopes].sort().join(' ');
