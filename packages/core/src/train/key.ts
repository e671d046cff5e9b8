/**
 * The training key: what decides whether a training would produce the same model as last time —
 * the data (validate-data's digest), the training code (the git tree id of each code path, so any
 * change beneath a path changes it, while unrelated commits do not), the params and the image.
 * git is run without a shell: paths are arguments, never interpolated.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { InputError } from '../errors.ts';

const git = promisify(execFile);

export interface KeyParts {
  dataDigest: string | undefined;
  /** path → git object id of that path at HEAD (a tree for a folder, a blob for a file). */
  code: Record<string, string>;
  params: Record<string, string>;
  image: string | undefined;
}

/** sha256 over a canonical JSON of the parts: sorted keys, so the order inputs are given in does not matter. */
export function trainingKey(parts: KeyParts): string {
  const canonical = JSON.stringify({
    v: 1,
    data: parts.dataDigest ?? null,
    code: sorted(parts.code),
    params: sorted(parts.params),
    image: parts.image ?? null,
  });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The committed object id of each path. Uncommitted changes under a path are refused: the key
 * would describe code that is not what trains.
 */
export async function codeTrees(
  paths: string[],
  cwd: string,
  input: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const raw of paths) {
    const path = raw.replace(/\/+$/, '') || '.';
    const id = await git('git', ['rev-parse', '--verify', '--quiet', `HEAD:${path === '.' ? '' : path}`], {
      cwd,
    })
      .then((r) => r.stdout.trim())
      .catch(() => undefined);
    if (!id)
      throw new InputError(`${input}: '${raw}' is not a committed path of the git repository in ${cwd}`, {
        fix: 'Give paths relative to the repository root that exist in the checked-out commit.',
      });
    const dirty = (await git('git', ['status', '--porcelain', '--', path], { cwd })).stdout.trim();
    if (dirty)
      throw new InputError(
        `${input}: '${raw}' has uncommitted changes, so the training key would not describe the code that trains`,
        {
          fix: 'Commit the changes (or leave the path out of code-paths).',
        },
      );
    out[path] = id;
  }
  return out;
}

/** The tag a model with this key is pushed under: what skip.ts looks up. */
export const keyTag = (key: string) => `train-${key.replace(/^sha256:/, '')}`;
