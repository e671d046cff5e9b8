/**
 * The model for bench/build-image: `size` bytes of seeded pseudo-random data (AES-256-CTR over
 * zeros with a fixed key, so every run writes the same bytes and nothing compresses or
 * deduplicates), written once into bench/.work/build-image/ and reused while it has the right size.
 * Also the OCI layout skopeo copies from: the same bytes as its one layer, written by modelship
 * itself with `--push false` (outside any timing).
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CLI } from '../../test/support/run.ts';

export const GiB = 2 ** 30;
const BLOCK = 4 << 20;

/** `model-<n>gib.bin` of `size` seeded random bytes in `dir`; kept when it is already that size. */
export async function generateModel(dir: string, size: number): Promise<string> {
  const file = join(dir, `model-${size / GiB}gib.bin`);
  if (existsSync(file) && statSync(file).size === size) return file;
  await mkdir(dir, { recursive: true });
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(BLOCK);
  async function* blocks() {
    for (let left = size; left > 0; left -= BLOCK)
      yield cipher.update(zeros.subarray(0, Math.min(BLOCK, left)));
  }
  await pipeline(blocks, createWriteStream(file));
  return file;
}

export interface Layout {
  dir: string;
  tag: string;
  /** The model layer's digest, as modelship computed it. */
  digest: string;
}

/**
 * An OCI layout holding `model` as its one layer, under `tag`: modelship build-image with
 * runtime artifact and no push, so the layer is the same bytes modelship pushes. Rewritten when
 * the model is newer than the layout.
 */
export function generateLayout(_root: string, model: string, dir: string, cacheDir: string): Layout {
  const tag = 'bench';
  const index = join(dir, 'index.json');
  const stamp = `${dir}.digest`;
  if (existsSync(index) && existsSync(stamp) && statSync(stamp).mtimeMs > statSync(model).mtimeMs) {
    return { dir, tag, digest: readFileSync(stamp, 'utf8').trim() };
  }
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'build-image',
      ...['--model', model, '--name', 'localhost/bench/layout', '--runtime', 'artifact'],
      ...['--push', 'false', '--output', dir, '--tags', tag],
    ],
    { cwd: join(dir, '..'), encoding: 'utf8', env: { ...process.env, MODELSHIP_CACHE_DIR: cacheDir } },
  );
  if (r.status !== 0) throw new Error(`build-image to a layout exited ${r.status}: ${r.stderr.slice(-1000)}`);
  const digest = JSON.parse(r.stdout)['model-digest'] as string;
  writeFileSync(stamp, `${digest}\n`);
  return { dir, tag, digest };
}
