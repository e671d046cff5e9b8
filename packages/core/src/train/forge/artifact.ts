/**
 * The model inside a CI artifact: the `artifact` input is `name` or `name:path`; the zip the forge
 * hands over is unpacked to a fresh temporary directory, and the model is the file at `path`, or
 * else the artifact's only file, or else its only `.onnx` file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../../errors.ts';
import { extractEntry, listZip, type ZipEntry } from './zip.ts';

export interface ArtifactSpec {
  name: string;
  path: string | undefined;
}

export function parseArtifact(value: string): ArtifactSpec {
  const colon = value.indexOf(':');
  const name = (colon < 0 ? value : value.slice(0, colon)).trim();
  const path =
    colon < 0
      ? undefined
      : value
          .slice(colon + 1)
          .trim()
          .replace(/^\.?\/+/, '');
  if (!name || path === '')
    throw new InputError(`'${value}' names no artifact`, {
      where: { path: 'artifact' },
      fix: 'Write the artifact name, optionally followed by :path of the model file inside it, e.g. model:model.onnx.',
    });
  return { name, path };
}

/**
 * Runs `fetch` in a directory of its own for what one dispatch downloads. The directory stays only
 * when `fetch` gives the model's path: the step pushes the file from there.
 */
export async function inDownloadDir<T>(fetch: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-forge-'));
  let kept = false;
  try {
    const out = await fetch(dir);
    kept = typeof out === 'string';
    return out;
  } finally {
    if (!kept) await rm(dir, { recursive: true, force: true });
  }
}

/** Unpacks the model from `zip` next to it, and removes the zip. */
export async function modelFromZip(zip: string, spec: ArtifactSpec, where: string): Promise<string> {
  try {
    const entry = pick(await listZip(zip), spec, where);
    const dest = join(zip, '..', basename(entry.name));
    await extractEntry(zip, entry, dest);
    return dest;
  } finally {
    await rm(zip, { force: true });
  }
}

function pick(entries: ZipEntry[], spec: ArtifactSpec, where: string): ZipEntry {
  const files = entries.filter((e) => !e.name.endsWith('/'));
  const found = spec.path
    ? files.filter((e) => e.name === spec.path)
    : files.length === 1
      ? files
      : files.filter((e) => e.name.toLowerCase().endsWith('.onnx'));
  if (found.length === 1) return found[0]!;
  const listed =
    files
      .slice(0, 10)
      .map((e) => e.name)
      .join(', ') + (files.length > 10 ? ', …' : '');
  const what = spec.path
    ? `${where} holds no file '${spec.path}'`
    : `${where} holds ${files.length} files and ${found.length === 0 ? 'no' : found.length} .onnx files`;
  throw new InputError(`${what} (${listed || 'it is empty'})`, {
    where: { path: 'artifact' },
    fix: `Name the model file inside it: ${spec.name}:path/of/the/model.`,
  });
}
