/**
 * Sending one blob's bytes: a single PUT for small blobs, PATCHes of `chunkSize` for large ones.
 * When a PATCH is cut off or answered 5xx, the registry is asked how much it kept (GET on the
 * upload URL, `Range: 0-N`) and the upload goes on from byte N+1, the source re-opened there; only
 * an upload session the registry has dropped starts again from byte 0. Distribution (2.x and 3.x)
 * drops the session when a PATCH it had partly received broke off, because the offset signed
 * into the upload URL no longer matches; registries behind a buffering proxy, and those that
 * track offsets themselves, resume.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { formatBytes, formatRate } from '../format/bytes.ts';
import { discard } from '../net/exchange.ts';
import { retryDelayMs, sleep } from '../net/retry.ts';
import { repositoryScope } from './auth.ts';
import type { Registry } from './client.ts';
import { errorBody, parseErrors } from './error-body.ts';
import { RegistryError } from './errors.ts';
import type { BlobSource } from './types.ts';

interface Session {
  url: URL;
  /** Bytes the registry holds for this upload. */
  offset: number;
}

/** Uploads `source` into `repo` (in `session` if one is open already); returns the bytes sent. */
export async function uploadBlob(
  reg: Registry,
  repo: string,
  source: BlobSource,
  session?: URL,
): Promise<number> {
  const upload = new Upload(reg, repo, source);
  await upload.run(session);
  return upload.sent;
}

class Upload {
  sent = 0;
  private readonly reg: Registry;
  private readonly repo: string;
  private readonly source: BlobSource;
  private readonly scopes: string[];
  private readonly started = Date.now();

  constructor(reg: Registry, repo: string, source: BlobSource) {
    this.reg = reg;
    this.repo = repo;
    this.source = source;
    this.scopes = [repositoryScope(repo, 'push')];
  }

  async run(open: URL | undefined): Promise<void> {
    const { size } = this.source;
    const monolithic = size <= this.reg.chunkSize;
    let session: Session = { url: open ?? (await this.start()), offset: 0 };
    let failures = 0;
    // Failures are forgiven only for new ground: a session that keeps restarting must still give up.
    let furthest = 0;
    for (;;) {
      try {
        if (monolithic) return await this.putWhole(session);
        if (session.offset < size) {
          session = await this.patch(session);
          if (session.offset > furthest) {
            furthest = session.offset;
            failures = 0;
          }
          this.progress(session.offset);
          continue;
        }
        return await this.finish(session);
      } catch (e) {
        if (!isPassing(e) || ++failures > this.reg.retries) throw e;
        const ms = retryDelayMs(this.reg.retry, failures);
        this.reg.log?.debug(
          `upload of ${this.source.digest} to ${this.repo} failed (${(e as Error).message}); retry ${failures} in ${ms} ms`,
        );
        await sleep(ms, this.reg.signal);
        // A PUT whose answer was lost may have stored the blob after all.
        const putting = monolithic || session.offset >= size;
        if (putting && (await this.reg.blobSize(this.repo, this.source.digest)) !== undefined) return;
        // A whole-blob PUT cannot continue where it stopped: the next one needs a fresh session.
        session = monolithic ? { url: await this.start(), offset: 0 } : await this.recover(session);
      }
    }
  }

  private async start(): Promise<URL> {
    const res = await this.reg.request({
      method: 'POST',
      url: `/v2/${this.repo}/blobs/uploads/`,
      scopes: this.scopes,
    });
    if (res.statusCode !== 202)
      throw await this.reg.failure(res, `start an upload to ${this.repo}`, this.scopes);
    discard(res);
    return this.reg.location(res, `upload to ${this.repo}`);
  }

  private async putWhole(session: Session): Promise<void> {
    const { size } = this.source;
    const res = await this.send('PUT', withDigest(session.url, this.source.digest), 0, size);
    await this.completed(res);
  }

  private async patch(session: Session): Promise<Session> {
    const length = Math.min(this.reg.chunkSize, this.source.size - session.offset);
    const res = await this.send('PATCH', session.url, session.offset, length, {
      'content-range': `${session.offset}-${session.offset + length - 1}`,
    });
    if (res.statusCode === 202) {
      discard(res);
      const offset = rangeEnd(res, session.offset + length) ?? session.offset + length;
      return { url: this.reg.location(res, 'continue the upload'), offset };
    }
    const body = await errorBody(res);
    if (isGone(res, body)) return this.restart('the registry dropped the upload session');
    throw await this.reg.failure(
      res,
      `accept bytes of ${this.source.digest} for ${this.repo}`,
      this.scopes,
      body,
    );
  }

  private async finish(session: Session): Promise<void> {
    const res = await this.reg.request({
      method: 'PUT',
      url: withDigest(session.url, this.source.digest),
      scopes: this.scopes,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(0),
      retry: false,
    });
    await this.completed(res);
  }

  /** Asks the registry how much of the upload it kept; a session it no longer knows starts over. */
  private async recover(session: Session): Promise<Session> {
    const res = await this.reg.request({ method: 'GET', url: session.url, scopes: this.scopes });
    if (res.statusCode === 204 || res.statusCode === 202) {
      discard(res);
      const offset = rangeEnd(res, 0);
      // Without a Range we cannot know where to go on; appending blindly would corrupt the blob.
      if (offset === undefined || offset > this.source.size)
        return this.restart('the registry did not say how much it kept');
      this.reg.log?.debug(`upload of ${this.source.digest} resumes at byte ${offset} of ${this.source.size}`);
      return { url: this.reg.location(res, 'resume the upload'), offset };
    }
    const body = await errorBody(res);
    if (isGone(res, body)) return this.restart('the registry dropped the upload session after the failure');
    throw await this.reg.failure(res, `report the upload of ${this.source.digest}`, this.scopes, body);
  }

  private async restart(why: string): Promise<Session> {
    this.reg.log?.debug(`${why}: uploading ${this.source.digest} again from byte 0`);
    return { url: await this.start(), offset: 0 };
  }

  private send(
    method: string,
    url: URL,
    offset: number,
    length: number,
    headers: Record<string, string> = {},
  ): Promise<IncomingMessage> {
    return this.reg.request({
      method,
      url,
      scopes: this.scopes,
      headers: { 'content-type': 'application/octet-stream', ...headers },
      body: { length, open: () => Readable.from(take(this.source, offset, length)) },
      retry: false,
      onSent: (n) => {
        this.sent += n;
      },
    });
  }

  private async completed(res: IncomingMessage): Promise<void> {
    const { digest } = this.source;
    if (res.statusCode !== 201) {
      const body = await errorBody(res);
      const codes = parseErrors(body).map((e) => e.code);
      if (codes.includes('DIGEST_INVALID') || codes.includes('SIZE_INVALID'))
        throw new RegistryError(
          'integrity',
          `registry ${this.reg.host} found that the bytes sent for ${digest} do not match it`,
          {
            code: codes[0],
            fix: 'The file changed while it was pushed, or its recorded digest is stale; build the image again',
          },
        );
      if (isGone(res, body)) throw new SessionGone();
      throw await this.reg.failure(res, `store blob ${digest} in ${this.repo}`, this.scopes, body);
    }
    discard(res);
    const stored = res.headers['docker-content-digest'];
    if (typeof stored === 'string' && stored !== digest)
      throw new RegistryError('integrity', `registry ${this.reg.host} stored ${digest} as ${stored}`);
  }

  private progress(offset: number): void {
    const { size, digest } = this.source;
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = this.sent / seconds;
    const eta = rate > 0 ? Math.ceil((size - offset) / rate) : undefined;
    this.reg.log?.progress(
      `${this.repo} ${digest.slice(7, 19)}: ${Math.floor((offset / size) * 100)}% (${formatBytes(offset)} of ${formatBytes(size)}, ${formatRate(rate)}${eta === undefined ? '' : `, ${eta} s left`})`,
    );
  }
}

/** The registry no longer knows the upload; caught like a network failure, it leads to a restart. */
class SessionGone extends Error {
  constructor() {
    super('the registry dropped the upload session');
  }
}

/** Failures another try may get past: the network, the registry's 5xx and 429, a lost session. */
const isPassing = (e: unknown): boolean =>
  e instanceof SessionGone ||
  (e instanceof RegistryError && (e.kind === 'unreachable' || e.kind === 'server'));

/** 416, or 404/400 naming the upload: the session expired or the registry cancelled it. */
function isGone(res: IncomingMessage, body: Buffer): boolean {
  if (res.statusCode === 416) return true;
  if (res.statusCode !== 404 && res.statusCode !== 400) return false;
  return parseErrors(body).some((e) => e.code === 'BLOB_UPLOAD_UNKNOWN' || e.code === 'BLOB_UPLOAD_INVALID');
}

/**
 * The registry's count of bytes held, from `Range: 0-N` (N+1 bytes). distribution writes `0-0`
 * for an empty upload too; our chunks are never a single byte, so `0-0` means nothing kept
 * unless we had just sent exactly one byte (`expected` = 1).
 */
function rangeEnd(res: IncomingMessage, expected: number): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
  if (!m) return undefined;
  const end = Number(m[1]);
  return end === 0 && expected !== 1 ? 0 : end + 1;
}

function withDigest(url: URL, digest: string): URL {
  const out = new URL(url);
  out.searchParams.set('digest', digest);
  return out;
}

/** `length` bytes of the source from `offset`; the source is closed as soon as they are read. */
async function* take(source: BlobSource, offset: number, length: number): AsyncGenerator<Buffer> {
  let left = length;
  if (left === 0) return;
  for await (const chunk of source.open(offset) as AsyncIterable<Buffer>) {
    if (chunk.length >= left) {
      yield chunk.subarray(0, left);
      return;
    }
    left -= chunk.length;
    yield chunk;
  }
  throw new Error(
    `the source of blob ${source.digest} ended ${left} bytes before its size of ${source.size}`,
  );
}
