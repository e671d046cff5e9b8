/**
 * A build written as an OCI layout is there complete or not at all. It is written into a hidden
 * directory beside the output and renamed into place once its index.json is written, so a build
 * that fails halfway (no space, a base layer that cannot be read, a cancelled job) leaves the
 * output as it was, and nothing a reader would take for a layout.
 *
 * The output is this build's layout: an earlier build's layout there is replaced whole (its blobs
 * that this build shares are hard-linked, not read again), and any other directory with files in
 * it is refused before the build starts, because replacing it would delete the user's files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { refuse, writeFailure } from '../files/errors.ts';
import { finalPath } from '../files/target.ts';

/** The entries an OCI image layout is made of; a directory holding anything else is not ours. */
const LAYOUT_ENTRIES = new Set(['oci-layout', 'index.json', 'blobs']);

type Existing = 'missing' | 'empty' | 'layout';

/** Refuses a directory that is neither missing, empty, nor an OCI layout; `input` names it. */
export async function checkLayoutOutput(dir: string, input: string): Promise<void> {
  await existing(dir, input);
}

/**
 * Runs `write` on a fresh directory beside `dir`, then puts that directory at `dir`. `write` gets
 * the directory to fill, and the earlier layout at `dir` (if any) to reuse blobs from.
 */
export async function replaceLayout(
  dir: string,
  input: string,
  write: (staging: string, previous: string | undefined) => Promise<void>,
): Promise<void> {
  const was = await existing(dir, input);
  // A link to a directory is followed: the layout lands where the link points, the link stays.
  const final = await finalPath(dir);
  const staging = sibling(final, 'new');
  try {
    await mkdir(dirname(final), { recursive: true });
    await removeAbandoned(final);
    await mkdir(staging);
    await write(staging, was === 'layout' ? final : undefined);
    await swapIn(staging, final);
  } catch (e) {
    throw fromWrite(e, dir, final, input);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function existing(dir: string, input: string): Promise<Existing> {
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw writeFailure(e, dir, input);
  });
  if (!entries) return 'missing';
  if (entries.length === 0) return 'empty';
  if (entries.includes('oci-layout') && entries.every((e) => LAYOUT_ENTRIES.has(e))) return 'layout';
  throw refuse(
    dir,
    input,
    'it is a directory with other files in it, not an OCI image layout',
    (set) => `${set} a new or empty directory, or an earlier build's layout (which is replaced whole)`,
  );
}

/** rename(2) takes the place of a missing or empty directory; a layout is moved aside first. */
async function swapIn(staging: string, final: string): Promise<void> {
  try {
    await rename(staging, final);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
  const old = sibling(final, 'old');
  await rename(final, old);
  try {
    await rename(staging, final);
  } catch (e) {
    await rename(old, final);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

/** `.image.<pid>.<random>.new` beside `image`: hidden, and named for the process that owns it. */
const sibling = (final: string, kind: 'new' | 'old') =>
  join(dirname(final), `.${basename(final)}.${process.pid}.${randomBytes(4).toString('hex')}.${kind}`);

/** Directories left by a build that was killed before it could clean up (its process is gone). */
async function removeAbandoned(final: string): Promise<void> {
  const prefix = `.${basename(final)}.`;
  for (const name of await readdir(dirname(final))) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.(?:new|old)$/.exec(name.slice(prefix.length));
    if (!m || isAlive(Number(m[1]))) continue;
    const path = join(dirname(final), name);
    if ((await stat(path)).isDirectory()) await rm(path, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A file-system error writing the layout is the user's (no space, no permission); one reading
 * something else (a base layout, the model) names another path and stays what it is.
 */
function fromWrite(e: unknown, dir: string, final: string, input: string): unknown {
  const path = (e as NodeJS.ErrnoException | undefined)?.path;
  const ours =
    path === undefined ||
    path === final ||
    path.startsWith(final + sep) ||
    final.startsWith(path + sep) ||
    path.startsWith(join(dirname(final), `.${basename(final)}.`));
  return ours ? writeFailure(e, dir, input) : e;
}
