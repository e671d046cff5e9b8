/**
 * An inference request's body: JSON, within the size limit, arriving without stalling, nested no
 * deeper than a tensor needs. Every way a client gets this wrong is a 4xx that names the limit
 * and the setting that raises it, never a 500: the canary's server-error rate is judged on 5xx.
 */
import type { IncomingMessage } from 'node:http';
import { SETTINGS } from './config.ts';
import { NestingGuard } from './json-nesting.ts';
import { MAX_RANK } from './protocol.ts';
import { CLOSE, ProtocolError } from './protocol-error.ts';

/** The body object, its inputs array, a tensor, its data array: four levels above a tensor's dimensions. */
export const MAX_DEPTH = MAX_RANK + 4;

export interface BodyLimits {
  maxBytes: number;
  /** The longest pause between two pieces of the body before the client is taken to have stalled. */
  stallMs: number;
}

/** A status for a client that hung up mid-body: nothing can be answered, but it is no server error (as nginx). */
export const CLIENT_GONE = 499;

export async function readJson(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  checkEncoding(req);
  const declared = Number(req.headers['content-length']);
  if (declared > limits.maxBytes)
    throw tooLarge(`the body is ${declared} bytes; the limit is ${limits.maxBytes}`);
  return parseJson(await readBody(req, limits));
}

/** JSON, and what clients send JSON as without saying so: `curl -d`'s form type, text/plain. */
const JSON_TYPES = /^(?:application\/(?:json|[\w.+-]+\+json|x-www-form-urlencoded)|text\/plain)$/;

function checkEncoding(req: IncomingMessage): void {
  const [media, ...params] = (req.headers['content-type'] ?? '')
    .split(';')
    .map((s) => s.trim().toLowerCase());
  const unsupported = (what: string, fix: string) =>
    new ProtocolError(415, `${what} is not supported; ${fix}`, CLOSE);
  if (media && !JSON_TYPES.test(media))
    throw unsupported(
      `content-type '${media}'`,
      'send the tensors as JSON, with content-type: application/json',
    );
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  if (charset && !/^utf-?8$/.test(charset)) throw unsupported(`charset '${charset}'`, 'send JSON as UTF-8');
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity')
    throw unsupported(`content-encoding '${encoding}'`, 'send the body uncompressed');
}

const tooLarge = (what: string) => new ProtocolError(413, `${what} (${SETTINGS.maxBodyBytes.env})`, CLOSE);

function readBody(req: IncomingMessage, { maxBytes, stallMs }: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const nesting = new NestingGuard(MAX_DEPTH);
    const stop = (e?: ProtocolError) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      if (!e) return resolve(Buffer.concat(chunks, size));
      req.resume(); // whatever still comes is dropped, not taken for the next request
      reject(e);
    };
    const stalled = () =>
      stop(
        new ProtocolError(
          408,
          `the body stopped arriving: nothing came for ${stallMs} ms (${SETTINGS.bodyTimeoutMs.env})`,
          CLOSE,
        ),
      );
    const timer = setTimeout(stalled, stallMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return stop(tooLarge(`the body is over the limit of ${maxBytes} bytes`));
      if (!nesting.feed(chunk))
        return stop(
          new ProtocolError(
            400,
            `the body nests arrays or objects more than ${MAX_DEPTH} deep; tensors have at most ${MAX_RANK} dimensions`,
            CLOSE,
          ),
        );
      chunks.push(chunk);
      timer.refresh();
    };
    const onEnd = () => stop();
    const onGone = () =>
      stop(new ProtocolError(CLIENT_GONE, 'the client closed the connection before the body was complete'));
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    const hint = /(?:^|[^\w"])-?(?:NaN|Infinity)\b/.test(text)
      ? '; JSON has no NaN or Infinity, so send finite numbers'
      : '';
    throw new ProtocolError(400, `the body is not valid JSON: ${(e as Error).message}${hint}`);
  }
}
