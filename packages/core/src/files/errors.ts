/**
 * A path the step cannot write is the user's to fix, whether found before the work starts or at
 * the write itself: one line naming the input, the path as typed, why in words, and what to do.
 */
import { ConfigurationError } from '../errors.ts';

/**
 * errno → why, in words, and what to do; `set` is "set --report to" (or "choose" where no input
 * names the path). Any other errno is not the user's doing and stays a bug.
 */
const REASONS: Record<string, [string, (set: string) => string]> = {
  EACCES: ['permission denied', (set) => `Give the job write access there, or ${set} a path it can write`],
  EPERM: [
    'the operation is not permitted',
    (set) => `Give the job write access there, or ${set} a path it can write`,
  ],
  EROFS: ['the file system is read-only', (set) => `${cap(set)} a path on a writable file system`],
  EISDIR: ['it is a directory', (set) => `${cap(set)} the path of a file, e.g. one inside that directory`],
  ENOTDIR: [
    'a part of the path is a file, not a directory',
    (set) => `Move that file away, or ${set} another path`,
  ],
  EEXIST: [
    'a part of the path is a file, not a directory',
    (set) => `Move that file away, or ${set} another path`,
  ],
  ENAMETOOLONG: [
    'the name is too long (at most 255 bytes a name, 4096 a path)',
    (set) => `${cap(set)} a shorter path`,
  ],
  ENOSPC: ['no space left on the device', (set) => `Free space there, or ${set} a path on another disk`],
  EDQUOT: ['the disk quota is exceeded', (set) => `Free space there, or ${set} a path on another disk`],
  EFBIG: ['the file is too large for that file system', (set) => `${cap(set)} a path on another file system`],
  ELOOP: [
    'it is a loop of symbolic links',
    (set) => `Point the link at a file, or ${set} the path of a file`,
  ],
  ENXIO: ['nothing is reading it', (set) => `Start the reader first, or ${set} the path of a file`],
  EIO: [
    'the device reported an input/output error',
    (set) => `Check the disk, or ${set} a path on another one`,
  ],
  EBUSY: ['the device or file is busy', (set) => `${cap(set)} another path`],
  ETXTBSY: ['the file is a running program', (set) => `${cap(set)} another path`],
};

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const setter = (input: string | undefined) => (input ? `set ${input} to` : 'choose');

export class OutputPathError extends ConfigurationError {
  override name = 'OutputPathError';
}

/** `--report 'x.json'`, or just `'x.json'` where no input names the path (CI report files). */
const named = (path: string, input: string | undefined) =>
  `${input ? `${input} ` : ''}${/[\p{Cc}']/u.test(path) ? JSON.stringify(path) : `'${path}'`}`;

/** A refusal that no errno describes (a block device, a socket), in the same form. */
export function refuse(
  path: string,
  input: string | undefined,
  why: string,
  fix: (set: string) => string,
): OutputPathError {
  return new OutputPathError(`${named(path, input)} cannot be written: ${why}`, {
    fix: `${cap(fix(setter(input)))}.`,
  });
}

/** The user's error for a failed write, or the error itself when it is not one (a bug). */
export function writeFailure(e: unknown, path: string, input: string | undefined): unknown {
  if (e instanceof ConfigurationError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? REASONS[code] : undefined;
  if (!reason) return e;
  const [why, fix] = reason;
  return new OutputPathError(`${named(path, input)} cannot be written: ${why} (${code})`, {
    fix: `${fix(setter(input))}.`,
    cause: e,
  });
}

/** An errno-shaped error for a condition found by looking rather than by a failed call. */
export function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code, path });
}
