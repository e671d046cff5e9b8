import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Write through a temporary file and rename, so a reader never sees half a file; a failed write
 * leaves nothing behind. The temporary name is unique even for concurrent writes in one process.
 */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<string> {
  const full = resolve(path);
  await mkdir(dirname(full), { recursive: true });
  const tmp = `${full}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, full);
  } finally {
    await rm(tmp, { force: true });
  }
  return full;
}

export const writeJson = (path: string, value: unknown) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
