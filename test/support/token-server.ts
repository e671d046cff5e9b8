/**
 * For tests only: the token server of the distribution token spec on 127.0.0.1, the part of a
 * registry like Docker Hub or GHCR that trades credentials for a short-lived JWT. The JWT is
 * signed RS256 with a throwaway key whose self-signed certificate (made by the `openssl` CLI,
 * since node:crypto cannot issue certificates) travels in the `x5c` header; distribution accepts
 * it because the same certificate is its `rootcertbundle`. What each user may do per repository
 * comes from `access`, so tests can have a user who may pull but not push.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Actions `user` (undefined: anonymous) gets on `repository`, out of those it `asked` for. */
export type AccessPolicy = (user: string | undefined, repository: string, asked: string[]) => string[];

export interface TokenServerOptions {
  /** Where the key and certificate are written. */
  dir: string;
  service: string;
  issuer: string;
  /** name → password */
  users: Record<string, string>;
  access: AccessPolicy;
  /** Token lifetime; default 300 s. */
  expiresIn?: number;
}

export interface TokenRequest {
  /** The authenticated user, if any. */
  user: string | undefined;
  scopes: string[];
  status: number;
}

export interface TokenServer {
  /** The realm: `http://127.0.0.1:PORT/token`. */
  realm: string;
  /** The certificate whose key signs tokens: the registry's `rootcertbundle`. */
  certFile: string;
  /** Every token request, in order. */
  requests: TokenRequest[];
  stop(): Promise<void>;
}

type Hooks = { after: (fn: () => unknown) => void };

const run = promisify(execFile);

export async function startTokenServer(t: Hooks, options: TokenServerOptions): Promise<TokenServer> {
  const keyFile = join(options.dir, 'token-key.pem');
  const certFile = join(options.dir, 'token-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=modelship-test-token-issuer',
  ]);
  const key = createPrivateKey(await readFile(keyFile));
  const x5c = new X509Certificate(await readFile(certFile)).raw.toString('base64');
  const requests: TokenRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') return reply(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
    const scopes = url.searchParams.getAll('scope');
    const user = authenticate(req, options.users);
    if (user === null) {
      requests.push({ user: undefined, scopes, status: 401 });
      return reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    }
    if (url.searchParams.get('service') !== options.service) {
      requests.push({ user, scopes, status: 400 });
      return reply(res, 400, { errors: [{ code: 'INVALID_SERVICE' }] });
    }
    const access = scopes.flatMap((s) => grant(s, user, options.access));
    const expiresIn = options.expiresIn ?? 300;
    const token = jwt(key, x5c, {
      iss: options.issuer,
      sub: user ?? '',
      aud: options.service,
      exp: now() + expiresIn,
      nbf: now() - 10,
      iat: now(),
      jti: randomUUID(),
      access,
    });
    requests.push({ user, scopes, status: 200 });
    reply(res, 200, {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  t.after(stop);
  const { port } = server.address() as AddressInfo;
  return { realm: `http://127.0.0.1:${port}/token`, certFile, requests, stop };
}

const now = () => Math.floor(Date.now() / 1000);
const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function jwt(key: ReturnType<typeof createPrivateKey>, x5c: string, claims: object): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [x5c] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

/** The user named by Basic credentials; undefined for none, null for wrong ones. */
function authenticate(req: IncomingMessage, users: Record<string, string>): string | undefined | null {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Basic (.+)$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString();
  const colon = decoded.indexOf(':');
  const name = decoded.slice(0, colon);
  return colon > 0 && Object.hasOwn(users, name) && users[name] === decoded.slice(colon + 1) ? name : null;
}

/** `repository:acme/model:pull,push` → the access claim the policy allows (none: no claim). */
function grant(scope: string, user: string | undefined, policy: AccessPolicy) {
  const m = /^(repository):(.+):([a-z*,]+)$/.exec(scope);
  if (!m) return [];
  const asked = m[3]!.split(',');
  const actions = policy(user, m[2]!, asked).filter((a) => asked.includes(a));
  return actions.length ? [{ type: m[1]!, name: m[2]!, actions }] : [];
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
