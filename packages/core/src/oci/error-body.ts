/**
 * What a registry says when it refuses: the distribution spec's `{"errors":[{code, message}]}`,
 * read with a bound so a misbehaving server cannot make us hold a large body.
 */
import type { IncomingMessage } from 'node:http';
import { readBody } from '../net/exchange.ts';

export interface RegistryErrorBody {
  code: string;
  message: string;
}

/** The registry's error body, bounded, or nothing if it cannot be read. */
export const errorBody = (res: IncomingMessage): Promise<Buffer> =>
  readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));

/** The errors listed in a body; empty if the body is anything else. */
export function parseErrors(body: Buffer | string): RegistryErrorBody[] {
  try {
    const parsed = JSON.parse(body.toString()) as { errors?: { code?: unknown; message?: unknown }[] };
    return (parsed.errors ?? []).map((e) => ({
      code: String(e.code ?? ''),
      message: String(e.message ?? ''),
    }));
  } catch {
    return [];
  }
}

export const describeErrors = (errors: RegistryErrorBody[]): string =>
  errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ');
