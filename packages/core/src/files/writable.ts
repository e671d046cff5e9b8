/**
 * Can this output path be written? Asked before a step reads any data, so a typo in `--report`
 * costs milliseconds, not the whole evaluation. It only looks (stat, access): nothing is created,
 * so a step refused later leaves no trace. What looking cannot see (a full disk, a FIFO nobody
 * reads) is still caught at the write itself, in the same words.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errno, refuse, writeFailure } from './errors.ts';
import { targetOf } from './target.ts';

export type OutputKind = 'file' | 'directory';

export async function checkWritable(path: string, kind: OutputKind, input?: string): Promise<void> {
  try {
    const target = await targetOf(path, input);
    if (target.kind === 'missing') return await creatable(dirname(target.path), path);
    if (kind === 'file' && target.kind === 'directory') throw errno('EISDIR', path);
    if (kind === 'directory' && target.kind !== 'directory')
      throw refuse(
        path,
        input,
        'it is a file, not a directory',
        (set) => `${set} the path of a directory (made if missing)`,
      );
    // A file is replaced by a rename inside its directory, so the directory is what must take
    // writes (as for the writer, the file's own mode does not matter); a device is opened itself.
    const opened = target.kind === 'file' ? dirname(target.path) : target.path;
    await access(opened, constants.W_OK);
  } catch (e) {
    throw writeFailure(e, path, input);
  }
}

/** The missing directories can be made: the nearest one that exists is a directory we may write. */
async function creatable(dir: string, path: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const st = await stat(current).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && dirname(current) !== current) return undefined;
      throw e;
    });
    if (!st) continue;
    if (!st.isDirectory()) throw errno('ENOTDIR', path);
    return access(current, constants.W_OK | constants.X_OK);
  }
}
