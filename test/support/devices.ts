/**
 * Special files for tests of the output writer, made in a test's own directory so that code which
 * wrongly replaced them (as root, a rename over /dev/full succeeds) can only harm the copy.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A character device that fails every write with ENOSPC: a private copy of /dev/full (major 1,
 * minor 7) where this user may make device nodes (root), else /dev/full itself, which a user
 * who cannot make devices cannot replace either.
 */
export function fullDevice(dir: string): string {
  if (process.getuid?.() !== 0) return '/dev/full';
  const path = join(dir, 'full');
  execFileSync('mknod', ['-m', '666', path, 'c', '1', '7']);
  return path;
}

/** A character device that takes every write and keeps nothing, as /dev/null (1, 3). */
export function nullDevice(dir: string): string {
  if (process.getuid?.() !== 0) return '/dev/null';
  const path = join(dir, 'null');
  execFileSync('mknod', ['-m', '666', path, 'c', '1', '3']);
  return path;
}

export function fifo(dir: string, name = 'fifo'): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}
