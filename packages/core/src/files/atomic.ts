/**
 * Every file a step writes goes through here. A file is written to a temporary name next to it and
 * renamed, so a reader never sees half a file and a failed write leaves nothing behind; a device or
 * FIFO is written in place instead (see target.ts for why). Any failure the user can fix (no space,
 * no permission, a directory in the way) becomes one line naming the input and the path as typed.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errno, writeFailure } from './errors.ts';
import { finalPath, targetOf } from './target.ts';

export type Content = string | Buffer | Iterable<string | Buffer> | AsyncIterable<string | Buffer>;

export interface WriteOptions {
  /** How the user named this path (`--report`, `the 'report' input …`), for error messages. */
  input?: string;
}

/** Writes `content` to `path`; returns the absolute path written (after following links). */
export async function writeFileAtomic(path: string, content: Content, options: WriteOptions = {}) {
  try {
    const target = await targetOf(path, options.input);
    if (target.kind === 'directory') throw errno('EISDIR', path);
    if (target.kind === 'stream') await writeThrough(target.path, target.fifo, content);
    else await replace(target.path, content);
    return target.path;
  } catch (e) {
    throw writeFailure(e, path, options.input);
  }
}

export const writeJson = (path: string, value: unknown, options: WriteOptions = {}) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);

/** The temporary name is unique even for concurrent writes in one process. */
async function replace(full: string, content: Content) {
  await mkdir(dirname(full), { recursive: true });
  const tmp = `${full}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await put(tmp, content, 'wx');
    await rename(tmp, full);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function writeThrough(full: string, fifo: boolean, content: Content) {
  // A FIFO without a reader would block the step forever; O_NONBLOCK fails at once (ENXIO) instead,
  // and once a reader holds it open, the ordinary blocking open below returns at once too.
  const probe = fifo ? await open(full, constants.O_WRONLY | constants.O_NONBLOCK) : undefined;
  try {
    // No O_CREAT or O_TRUNC: if the device vanished since we looked, fail rather than create a file.
    await put(full, content, constants.O_WRONLY | constants.O_NOCTTY);
  } finally {
    await probe?.close();
  }
}

async function put(path: string, content: Content, flags: string | number) {
  const handle = await open(path, flags, 0o666);
  if (typeof content === 'string' || Buffer.isBuffer(content)) {
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  } else {
    // The stream owns the handle from here and closes it, on success and on error alike.
    await pipeline(Readable.from(content), handle.createWriteStream());
  }
}

/**
 * Takes back a report already written when the run ends in an error after all: a report that
 * says "passed" beside a failed exit is worse than none. Only a regular file is removed; what was
 * written through to a device or FIFO has gone and cannot be recalled.
 */
export async function retractFile(path: string): Promise<void> {
  const full = await finalPath(path).catch(() => undefined);
  if (!full) return;
  const st = await lstat(full).catch(() => undefined);
  if (st?.isFile()) await rm(full, { force: true });
}
