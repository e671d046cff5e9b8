/**
 * What a registry can refuse, as user errors: each says which registry, what was refused and
 * what to change. Built only from host names, repository names, user names and the registry's
 * own error codes, so no password or token can end up in a message.
 */
import { ConfigurationError, type Location } from '../errors.ts';

export type RegistryFailure =
  /** 401 after credentials were sent, or the token server refused them. */
  | 'credentials'
  /** The registry wants credentials and none were given. */
  | 'unauthenticated'
  /** Authenticated, but not allowed to do this (403, DENIED, insufficient_scope). */
  | 'denied'
  /** Connection refused, reset, timed out, … after every retry. */
  | 'unreachable'
  /** 5xx or 429 after every retry. */
  | 'server'
  | 'not-found'
  /** Bytes that do not match their digest. */
  | 'integrity'
  /** Any other answer the registry gave that we cannot act on. */
  | 'refused';

export interface RegistryErrorOptions {
  where?: Location;
  fix?: string;
  cause?: unknown;
  status?: number;
  /** The registry's error code, e.g. MANIFEST_UNKNOWN. */
  code?: string;
}

export class RegistryError extends ConfigurationError {
  override name = 'RegistryError';
  readonly kind: RegistryFailure;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(kind: RegistryFailure, what: string, options: RegistryErrorOptions = {}) {
    super(what, options);
    this.kind = kind;
    this.status = options.status;
    this.code = options.code;
  }
}

/** What an operation needed, for messages: `push to acme/model`. */
export interface Access {
  action: 'pull' | 'push' | 'delete';
  repository: string;
}

const describe = (a: Access | undefined) =>
  a ? `${a.action} ${a.action === 'push' ? 'to' : 'from'} ${a.repository}` : 'access it';

export function credentialsRefused(host: string, username: string | undefined, by = host): RegistryError {
  return new RegistryError(
    'credentials',
    by === host
      ? `registry ${host} refused the credentials of user '${username ?? ''}'`
      : `the token server ${by} of registry ${host} refused the credentials of user '${username ?? ''}'`,
    {
      status: 401,
      fix: `Check the username and the password or token given for ${host}: they may be wrong, expired or revoked`,
    },
  );
}

export function unauthenticated(host: string, access: Access | undefined): RegistryError {
  return new RegistryError(
    'unauthenticated',
    `registry ${host} requires credentials to ${describe(access)}`,
    {
      status: 401,
      fix: `Give a username and a password or token for ${host}${access ? ` that may ${access.action} ${access.repository}` : ''}`,
    },
  );
}

export function denied(
  host: string,
  username: string | undefined,
  access: Access | undefined,
  status: number,
): RegistryError {
  const who = username === undefined ? 'anonymous' : `user '${username}'`;
  const fix =
    username === undefined
      ? `${access?.repository ?? 'The repository'} may be private or may not exist: give credentials that may ${access?.action ?? 'access'} it, or check the repository name`
      : `Grant '${username}' ${access?.action ?? ''} access${access ? ` to ${access.repository}` : ''} on ${host}, or use credentials that have it`;
  const what = access ? `${access.action} access to ${access.repository}` : 'access';
  return new RegistryError('denied', `registry ${host} denied ${who} ${what}`, {
    status,
    fix: fix.replace(/ {2}/g, ' '),
  });
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

export function unreachable(host: string, cause: unknown, attempts: number): RegistryError {
  const code = (cause as { code?: string } | undefined)?.code;
  const why = (code && NETWORK[code]) ?? (cause as Error | undefined)?.message ?? String(cause);
  // An https request to a plain-http registry fails in the TLS handshake with this.
  const plainHttp = /wrong version number|packet length too long/i.test(String((cause as Error)?.message));
  const untrusted = /^(CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/.test(code ?? '');
  return new RegistryError(
    'unreachable',
    `could not reach registry ${host}: ${why}${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
    {
      cause,
      fix: plainHttp
        ? `${host} seems to speak plain http: allow an insecure registry for it`
        : untrusted
          ? `This machine does not trust ${host}'s TLS certificate: add its CA with NODE_EXTRA_CA_CERTS`
          : `Check that the registry host and port are right, that it is running, and that this machine can reach it`,
    },
  );
}
