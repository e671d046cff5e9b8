/**
 * A client for the OCI distribution spec: blobs (check, read, mount, push) and manifests (get,
 * put, list tags, delete) in one registry. Every call authenticates as the registry asks (auth.ts),
 * retries what is worth retrying with exponential backoff, and turns what is not into a
 * RegistryError that says what to fix. Blob bodies stream both ways; nothing holds a whole blob.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable, Transform } from 'node:stream';
import { InputError } from '../errors.ts';
import { discard, type Payload, readBody } from '../net/exchange.ts';
import { type Answer, type RequestOptions, request, requestBuffered } from '../net/http.ts';
import { linkTo } from '../net/link.ts';
import { NetworkError } from '../net/network-error.ts';
import { isRetryableStatus, NO_RETRY, type RetryPolicy } from '../net/retry.ts';
import type { Logger } from '../platform/port.ts';
import { Authenticator, accessOf, type Credentials, repositoryScope, type Sent } from './auth.ts';
import { uploadBlob } from './blob-upload.ts';
import { sha256Bytes } from './digest.ts';
import { describeErrors, errorBody, parseErrors } from './error-body.ts';
import { denied, RegistryError, unreachable } from './errors.ts';
import { isValidDigest, isValidRepository, isValidTag } from './reference.ts';
import { type BlobSource, MEDIA } from './types.ts';

export type { Credentials } from './auth.ts';

export interface RegistryOptions {
  credentials?: Credentials;
  /** Plain http instead of https; the default for localhost, 127.0.0.1 and [::1]. */
  insecure?: boolean;
  log?: Logger;
  /** Retries after the first attempt of a call that failed in a way worth retrying; default 4. */
  retries?: number;
  /** Blobs up to this size go up in one PUT, larger ones in PATCHes of this size; default 16 MiB. */
  chunkSize?: number;
  /** Blobs pushed at once by pushBlobs; default 4. */
  concurrency?: number;
  /** First retry waits about this long, doubling after; default 500 ms. Tests make it tiny. */
  backoffMs?: number;
  /** A socket idle this long fails the exchange (and it is retried); default 10 minutes. */
  timeoutMs?: number;
  /** Stops every call in flight, and the waits between retries. */
  signal?: AbortSignal;
}

export interface PushOptions {
  /** A repository in the same registry that may have the blob: mount it from there instead of uploading. */
  from?: string;
}

export interface PushResult {
  /** Bytes of this blob the registry now holds from us: its size if uploaded, 0 if skipped or mounted. */
  uploaded: number;
  /** Bytes put on the wire for it, retries included. */
  sent: number;
  /** The registry had it already. */
  skipped: boolean;
  /** Mounted from `from` without sending its bytes. */
  mounted: boolean;
}

export interface Manifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

/** One request as the client makes it: authenticated, retried, redirected as asked. */
export interface Call {
  method: string;
  /** A path under the registry (`/v2/…`), or an absolute URL it gave us (an upload's Location). */
  url: string | URL;
  /** Token scopes the call needs (`repository:acme/model:pull,push`). */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Payload;
  /** false: give the first transient failure straight back (as a RegistryError) to a caller that recovers itself. */
  retry?: boolean;
  /** Follow redirects, sending credentials only to the registry itself. */
  follow?: boolean;
  onSent?: (bytes: number) => void;
}

export const MANIFEST_TYPES = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList];

const MiB = 1024 * 1024;
/** Well above the 4 MiB the distribution spec asks registries to accept. */
const MANIFEST_LIMIT = 8 * MiB;
const LOCAL = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export class Registry {
  /** `host[:port]` as given (docker.io becomes its API host). */
  readonly host: string;
  readonly base: URL;
  readonly retries: number;
  readonly chunkSize: number;
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  readonly log: Logger | undefined;
  /** How calls, and blob uploads that broke off, are retried: exponential backoff with jitter. */
  readonly retry: RetryPolicy;
  readonly signal: AbortSignal | undefined;
  /** Request-body bytes handed to the network by this client, retries included. */
  bytesSent = 0;
  private readonly auth: Authenticator;
  private readonly http: RequestOptions;

  private constructor(host: string, options: RegistryOptions) {
    let name = host.trim();
    let insecure = options.insecure;
    const scheme = /^(https?):\/\//.exec(name);
    if (scheme) {
      insecure ??= scheme[1] === 'http';
      name = name.slice(scheme[0].length).replace(/\/+$/, '');
    }
    if (name === 'docker.io' || name === 'index.docker.io') name = 'registry-1.docker.io';
    if (!name || /[/\s@]/.test(name))
      throw new InputError(`'${host}' is not a registry host`, {
        fix: 'Give the registry as a host name with an optional port, e.g. ghcr.io or localhost:5000',
      });
    this.host = name;
    this.base = new URL(`${(insecure ?? LOCAL.test(name)) ? 'http' : 'https'}://${name}`);
    this.retries = options.retries ?? 4;
    this.chunkSize = options.chunkSize ?? 16 * MiB;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.backoffMs = options.backoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
    this.log = options.log;
    // Retry-After is honoured up to a minute, so a registry cannot stall a push for hours.
    this.retry = { tries: this.retries + 1, baseMs: this.backoffMs, maxMs: 60_000, jitter: true };
    this.signal = options.signal;
    this.http = { timeoutMs: this.timeoutMs, log: this.log, signal: this.signal };
    this.auth = new Authenticator(name, options.credentials, (url, headers) => this.tokenGet(url, headers));
  }

  /** A client for `host`, after checking it answers as a registry and accepts the credentials. */
  static async connect(host: string, options: RegistryOptions = {}): Promise<Registry> {
    const registry = new Registry(host, options);
    await registry.ping();
    return registry;
  }

  private async ping(): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.request({ method: 'GET', url: '/v2/', scopes: [] });
    } catch (e) {
      // Without credentials a registry may still serve public repositories: let each call find out.
      if (e instanceof RegistryError && e.kind === 'unauthenticated') return;
      throw e;
    }
    if (res.statusCode === 200) return discard(res);
    if (res.statusCode === 404) {
      discard(res);
      throw new RegistryError(
        'refused',
        `${this.host} does not answer as an OCI registry (GET /v2/ gave 404)`,
        {
          status: 404,
          fix: "Give the registry's own host, e.g. ghcr.io or localhost:5000",
        },
      );
    }
    throw await this.failure(res, 'answer GET /v2/');
  }

  async blobSize(repo: string, digest: string): Promise<number | undefined> {
    const res = await this.request({
      method: 'HEAD',
      url: blobPath(repo, digest),
      scopes: pull(repo),
      follow: true,
    });
    discard(res);
    if (res.statusCode === 200) return Number(res.headers['content-length']);
    if (res.statusCode === 404) return undefined;
    throw await this.failure(res, `check blob ${digest} in ${repo}`, pull(repo));
  }

  /** The blob's bytes, checked against its digest as they stream (a mismatch fails the stream). */
  async readBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.request({
      method: 'GET',
      url: blobPath(repo, digest),
      scopes: pull(repo),
      follow: true,
    });
    if (res.statusCode !== 200) throw await this.failure(res, `read blob ${digest} from ${repo}`, pull(repo));
    const hash = createHash('sha256');
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush: (done) => {
        const got = `sha256:${hash.digest('hex')}`;
        if (got === digest) return done();
        done(
          new RegistryError('integrity', `blob ${digest} read from ${this.host}/${repo} has digest ${got}`, {
            fix: 'The registry or something between it and this machine altered the bytes; try again, and report it to the registry operator if it repeats',
          }),
        );
      },
    });
    // pipeline, so a reader that stops early also frees the connection.
    return pipeline(res, check, () => {});
  }

  /** Links a blob `fromRepo` has into `repo` without sending it; false if the registry would not. */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const outcome = await this.tryMount(repo, digest, fromRepo);
    if (outcome === true) return true;
    // The registry opened an upload instead; nobody will use it.
    const res = await this.request({ method: 'DELETE', url: outcome, scopes: push(repo) });
    discard(res);
    return false;
  }

  /** true when mounted, else the upload session the registry opened in its place. */
  private async tryMount(repo: string, digest: string, fromRepo: string): Promise<true | URL> {
    checkRepository(repo);
    checkRepository(fromRepo);
    checkDigest(digest);
    const query = new URLSearchParams({ mount: digest, from: fromRepo });
    const scopes = [...push(repo), repositoryScope(fromRepo, 'pull')];
    const res = await this.request({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?${query}`, scopes });
    discard(res);
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202) return this.location(res, `mount ${digest} into ${repo}`);
    throw await this.failure(res, `mount blob ${digest} from ${fromRepo} into ${repo}`, scopes);
  }

  async pushBlob(repo: string, source: BlobSource, options: PushOptions = {}): Promise<PushResult> {
    checkDigest(source.digest);
    const size = await this.blobSize(repo, source.digest);
    if (size !== undefined) {
      this.log?.debug(`${source.digest} is already in ${repo}`);
      return { uploaded: 0, sent: 0, skipped: true, mounted: false };
    }
    let session: URL | undefined;
    if (options.from !== undefined && options.from !== repo) {
      const outcome = await this.tryMount(repo, source.digest, options.from).catch((e: unknown) => {
        // Mounting only saves bytes: without read access to `from`, upload as if it were not there.
        if (!(e instanceof RegistryError && (e.kind === 'denied' || e.kind === 'unauthenticated'))) throw e;
        this.log?.debug(`could not mount ${source.digest} from ${options.from}: ${e.message}; uploading it`);
        return undefined;
      });
      if (outcome === true) return { uploaded: 0, sent: 0, skipped: false, mounted: true };
      session = outcome;
    }
    const sent = await uploadBlob(this, repo, source, session);
    return { uploaded: source.size, sent, skipped: false, mounted: false };
  }

  /** pushBlob for each source, `concurrency` at a time; the first failure stops new ones and is thrown. */
  async pushBlobs(repo: string, sources: BlobSource[], options: PushOptions = {}): Promise<PushResult[]> {
    const results: PushResult[] = new Array(sources.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < sources.length) {
        const i = next++;
        try {
          results[i] = await this.pushBlob(repo, sources[i]!, options);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const workers = Array.from({ length: Math.min(this.concurrency, sources.length) }, worker);
    const settled = await Promise.allSettled(workers);
    const rejected = settled.find((s) => s.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
    return results;
  }

  async getManifest(
    repo: string,
    reference: string,
    accept: readonly string[] = MANIFEST_TYPES,
  ): Promise<Manifest> {
    checkManifestReference(reference);
    const res = await this.request({
      method: 'GET',
      url: `/v2/${checkRepository(repo)}/manifests/${reference}`,
      scopes: pull(repo),
      headers: { accept: accept.join(', ') },
    });
    if (res.statusCode === 404) {
      const errors = parseErrors(await errorBody(res));
      throw new RegistryError('not-found', `${this.describe(repo, reference)} was not found`, {
        status: 404,
        code: errors[0]?.code,
        fix: `Check the ${isValidDigest(reference) ? 'digest' : 'tag'} and that it was pushed to ${this.host}/${repo}`,
      });
    }
    if (res.statusCode !== 200)
      throw await this.failure(res, `get manifest ${reference} of ${repo}`, pull(repo));
    const bytes = await readBody(res, MANIFEST_LIMIT);
    const computed = sha256Bytes(bytes);
    const header = res.headers['docker-content-digest'];
    const claimed = isValidDigest(reference) ? reference : typeof header === 'string' ? header : undefined;
    if (claimed?.startsWith('sha256:') && claimed !== computed)
      throw new RegistryError(
        'integrity',
        `the manifest of ${this.describe(repo, reference)} has digest ${computed}, not ${claimed}`,
        {
          fix: 'Something altered the manifest on its way; try again, and report it to the registry operator if it repeats',
        },
      );
    return { mediaType: mediaTypeOf(res, bytes), digest: claimed ?? computed, bytes };
  }

  /** Stores a manifest under a tag or its digest; returns its digest. */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    checkManifestReference(reference);
    const digest = sha256Bytes(bytes);
    const res = await this.request({
      method: 'PUT',
      url: `/v2/${checkRepository(repo)}/manifests/${reference}`,
      scopes: push(repo),
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200)
      throw await this.failure(res, `put manifest ${reference} to ${repo}`, push(repo));
    discard(res);
    const header = res.headers['docker-content-digest'];
    if (typeof header === 'string' && header.startsWith('sha256:') && header !== digest)
      throw new RegistryError(
        'integrity',
        `registry ${this.host} stored the manifest as ${header}, not ${digest}`,
      );
    return digest;
  }

  /** Every tag of `repo` (none for a repository the registry does not know), page after page. */
  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let url: URL | string | undefined = `/v2/${checkRepository(repo)}/tags/list`;
    while (url) {
      const res: IncomingMessage = await this.request({ method: 'GET', url, scopes: pull(repo) });
      if (res.statusCode === 404) {
        const errors = parseErrors(await errorBody(res));
        if (errors.some((e) => e.code === 'NAME_UNKNOWN')) return tags;
        throw new RegistryError('not-found', `repository ${this.host}/${repo} was not found`, {
          status: 404,
        });
      }
      if (res.statusCode !== 200) throw await this.failure(res, `list the tags of ${repo}`, pull(repo));
      const page = JSON.parse((await readBody(res, MANIFEST_LIMIT)).toString()) as { tags?: string[] | null };
      tags.push(...(page.tags ?? []));
      url = linkTo(res.headers.link, 'next', this.base);
    }
    return tags;
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    checkDigest(digest);
    const scopes = [repositoryScope(checkRepository(repo), 'delete')];
    const res = await this.request({ method: 'DELETE', url: `/v2/${repo}/manifests/${digest}`, scopes });
    if (res.statusCode === 202 || res.statusCode === 200) return discard(res);
    if (res.statusCode === 404)
      throw new RegistryError('not-found', `${this.describe(repo, digest)} was not found`, {
        status: 404,
        fix: 'It may have been deleted already; check the digest',
      });
    if (res.statusCode === 405)
      throw new RegistryError('refused', `registry ${this.host} does not allow deleting manifests`, {
        status: 405,
        fix: 'Enable deletes on the registry (distribution: storage.delete.enabled), or leave the manifest',
      });
    throw await this.failure(res, `delete ${digest} from ${repo}`, scopes);
  }

  /**
   * One call, authenticated as the registry asks and retried while the failure looks passing.
   * The building block of the methods above, public for blob-upload.ts and for calls they lack.
   */
  async request(call: Call): Promise<IncomingMessage> {
    const url = typeof call.url === 'string' ? new URL(call.url, this.base) : call.url;
    let sent: Sent = { scheme: 'none', header: undefined, fetched: false };
    // Whether what we send now is the newest we can get: a 401 to it is final.
    let fresh = false;
    // Asked before every attempt, so a token that expired during a retry's wait is renewed.
    const auth = async (): Promise<Record<string, string>> => {
      sent = await this.auth.authorize(call.scopes);
      fresh ||= sent.fetched;
      // Credentials are for the registry only, never for an upload or storage URL elsewhere.
      return sent.header && url.origin === this.base.origin ? { authorization: sent.header } : {};
    };
    const options: RequestOptions = {
      ...this.http,
      retry: call.retry === false ? NO_RETRY : this.retry,
      repeatable: true,
      redirect: call.follow ? 'follow' : 'manual',
      onSent: (n) => {
        this.bytesSent += n;
        call.onSent?.(n);
      },
    };
    for (;;) {
      let res: Answer;
      try {
        res = await request(
          url,
          { method: call.method, headers: call.headers, body: call.body, auth },
          options,
        );
      } catch (e) {
        throw e instanceof NetworkError ? unreachable(this.host, e, e.attempts) : e;
      }
      if (res.statusCode === 401) {
        discard(res);
        await this.auth.challenged(res.headers['www-authenticate'], call.scopes, sent, fresh);
        fresh = true;
        continue;
      }
      const status = res.statusCode ?? 0;
      if (!isRetryableStatus(status)) return res;
      const errors = describeErrors(parseErrors(await errorBody(res)));
      throw new RegistryError(
        'server',
        `registry ${this.host} answered ${status} to ${call.method} ${url.pathname}${errors ? ` (${errors})` : ''}${res.attempts > 1 ? ` ${res.attempts} times` : ''}`,
        { status, fix: 'The registry is failing or overloaded; try again later, or ask its operator' },
      );
    }
  }

  private async tokenGet(
    url: URL,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Buffer }> {
    try {
      const options = { ...this.http, retry: this.retry, redirect: 'manual' as const, limit: MANIFEST_LIMIT };
      return await requestBuffered(url, { method: 'GET', auth: headers }, options);
    } catch (e) {
      throw e instanceof NetworkError ? unreachable(url.host, e, e.attempts) : e;
    }
  }

  /** The upload URL a 202 names, resolved against the registry's. @internal for blob-upload.ts */
  location(res: IncomingMessage, what: string): URL {
    const location = res.headers.location;
    if (!location)
      throw new RegistryError('refused', `registry ${this.host} gave no upload location to ${what}`, {
        status: res.statusCode,
      });
    return new URL(location, this.base);
  }

  /**
   * The error for an answer the caller cannot use, from its status and the registry's error codes
   * (`body` if already read). @internal for blob-upload.ts
   */
  async failure(
    res: IncomingMessage,
    what: string,
    scopes: string[] = [],
    body?: Buffer,
  ): Promise<RegistryError> {
    const status = res.statusCode ?? 0;
    const errors = parseErrors(body ?? (await errorBody(res)));
    if (status === 403 || errors.some((e) => e.code === 'DENIED'))
      return denied(this.host, this.auth.credentials?.username, accessOf(scopes), status);
    const said = describeErrors(errors);
    if (status === 404)
      return new RegistryError(
        'not-found',
        `registry ${this.host} could not ${what}: not found${said ? ` (${said})` : ''}`,
        {
          status,
          code: errors[0]?.code,
          fix: 'Check the repository name and digest, and that it was pushed there',
        },
      );
    return new RegistryError(
      'refused',
      `registry ${this.host} would not ${what}: ${status}${said ? ` ${said}` : ''}`,
      {
        status,
        code: errors[0]?.code,
      },
    );
  }

  private describe(repo: string, reference: string): string {
    return `${this.host}/${repo}${isValidDigest(reference) ? '@' : ':'}${reference}`;
  }
}

const pull = (repo: string) => [repositoryScope(repo, 'pull')];
const push = (repo: string) => [repositoryScope(repo, 'push')];

function blobPath(repo: string, digest: string): string {
  return `/v2/${checkRepository(repo)}/blobs/${checkDigest(digest)}`;
}

function checkRepository(repo: string): string {
  if (!isValidRepository(repo))
    throw new InputError(`'${repo}' is not a valid repository name`, {
      fix: 'A repository is lowercase path components like acme/fraud-model',
    });
  return repo;
}

function checkDigest(digest: string): string {
  if (!isValidDigest(digest))
    throw new InputError(`'${digest}' is not a sha256 digest`, {
      fix: 'A digest is sha256: and 64 lowercase hex digits',
    });
  return digest;
}

function checkManifestReference(reference: string): void {
  if (!isValidTag(reference) && !isValidDigest(reference))
    throw new InputError(`'${reference}' is neither a tag nor a sha256 digest`, {
      fix: 'A tag is up to 128 letters, digits, _, . and -; a digest is sha256: and 64 hex digits',
    });
}

/** The media type the registry sent, or the manifest's own field when it sent a generic one. */
function mediaTypeOf(res: IncomingMessage, bytes: Buffer): string {
  const header = res.headers['content-type']?.split(';')[0]?.trim();
  if (header && header !== 'application/json' && header !== 'application/octet-stream') return header;
  try {
    const own = (JSON.parse(bytes.toString()) as { mediaType?: unknown }).mediaType;
    if (typeof own === 'string') return own;
  } catch {}
  return header ?? MEDIA.ociManifest;
}
