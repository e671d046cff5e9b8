import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Write through a temporary file and rename, so a reader never sees half a report. */
export async function writeFileAtomic(path: string, content: string): Promise<string> {
  const full = resolve(path);
  await mkdir(dirname(full), { recursive: true });
  const tmp = `${full}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, full);
  return full;
}

export const writeJson = (path: string, value: unknown) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
