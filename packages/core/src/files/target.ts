/**
 * What a path the step writes to really is, decided once for the preflight and the write alike.
 *
 * Symbolic links are followed, deliberately: `--report latest.json` where latest.json links to
 * runs/42.json updates runs/42.json and keeps the link, as `echo > latest.json` would. Replacing
 * the link with a file would silently cut what the user linked.
 *
 * Character devices and FIFOs are written through, never replaced: `--report /dev/null` is the
 * ordinary way to say "no report", `/dev/stdout` or a FIFO hands the report to another process,
 * and renaming a file over a device (as root) would destroy the device node. Block devices and
 * sockets are refused: a report written over a disk is never what anyone meant, and a socket
 * cannot be opened as a file.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errno, refuse } from './errors.ts';

export type Target =
  | { kind: 'file' | 'missing' | 'directory'; path: string }
  /** A character device or FIFO: written in place. */
  | { kind: 'stream'; path: string; fifo: boolean };

/** Linux gives up after 40 links in one lookup; so do we. */
const MAX_LINKS = 40;

/** The absolute path a write to `path` lands on, after following links at its last component. */
export async function finalPath(path: string): Promise<string> {
  let current = resolve(path);
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    const link = await readlink(current).catch((e: NodeJS.ErrnoException) => {
      // EINVAL: not a link; ENOENT: nothing there yet, a file will be created.
      if (e.code === 'EINVAL' || e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (link === undefined) return current;
    current = resolve(dirname(current), link);
  }
  throw errno('ELOOP', path);
}

/** What `path` is; throws the user's error (via writeFailure upstream) for what may not be written. */
export async function targetOf(path: string, input: string | undefined): Promise<Target> {
  const full = await finalPath(path);
  let st: Stats;
  try {
    st = await lstat(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', path: full };
    throw e;
  }
  if (st.isFile()) return { kind: 'file', path: full };
  if (st.isDirectory()) return { kind: 'directory', path: full };
  if (st.isCharacterDevice() || st.isFIFO()) return { kind: 'stream', path: full, fifo: st.isFIFO() };
  const what = st.isBlockDevice() ? 'a block device (a disk)' : 'a socket';
  throw refuse(path, input, `it is ${what}, not a file`, (set) => `${set} the path of a file`);
}
