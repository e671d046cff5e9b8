/**
 * OCI image layout directories (`oci:DIR:TAG` to skopeo): where a build lands before a push, what
 * tests read back, and one way to give a base image without a registry. Blobs are written to a
 * temporary file, checked against their digest and renamed into place, so a crash or a source that
 * lies about its bytes never leaves a blob whose name does not match its content.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import { CHUNK, type Digested, sha256Bytes } from './digest.ts';
import { canonicalJson } from './image.ts';
import { isValidDigest } from './reference.ts';
import { type BlobSource, type Descriptor, MEDIA } from './types.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';

interface IndexJson {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export function blobPath(dir: string, digest: string): string {
  const hex = isValidDigest(digest) ? digest.slice(7) : undefined;
  // The digest becomes a file name: anything but sha256 hex could point outside the layout.
  if (!hex) throw new InputError(`'${digest}' is not a sha256 digest`, { where: { file: dir } });
  return join(dir, 'blobs', 'sha256', hex);
}

/**
 * Marks a directory as a layout. Written with the first manifest, not the first blob: a directory
 * whose writing stopped halfway holds only blobs, and nothing mistakes it for a layout.
 */
async function markLayout(dir: string): Promise<void> {
  const marker = join(dir, 'oci-layout');
  if (!(await exists(marker))) await writeFileAtomic(marker, '{"imageLayoutVersion":"1.0.0"}');
}

/**
 * Stores a blob; one already there with the right size is kept (the name is its content's hash).
 * With `reuse`, a blob another layout holds is hard-linked from it instead of read again.
 */
export async function putBlob(dir: string, blob: BlobSource | Buffer, reuse?: string): Promise<Digested> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const expected = Buffer.isBuffer(blob) ? { digest: sha256Bytes(blob), size: blob.length } : blob;
  const path = blobPath(dir, expected.digest);
  const done = { digest: expected.digest, size: expected.size };
  if ((await sizeOf(path)) === expected.size) return done;
  if (reuse && (await linkFrom(blobPath(reuse, expected.digest), expected.size, path))) return done;
  if (Buffer.isBuffer(blob)) {
    await writeFileAtomic(path, blob);
    return expected;
  }
  const tmp = tempName(dir);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      blob.open(0),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tmp, { highWaterMark: CHUNK }),
    );
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== blob.digest || size !== blob.size) {
      throw new Error(`blob source promised ${blob.digest} (${blob.size} B) but gave ${digest} (${size} B)`);
    }
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return { digest: blob.digest, size: blob.size };
}

export interface TagOptions {
  tag: string;
  /** Read from the manifest's own `mediaType` when left out. */
  mediaType?: string;
  annotations?: Record<string, string>;
  platform?: Descriptor['platform'];
}

/** Stores a manifest (or index) and points `tag` at it; other tags in index.json stay. */
export async function putManifest(dir: string, manifest: Buffer, o: TagOptions): Promise<Descriptor> {
  if (!o.tag) throw new Error('a layout tag cannot be empty');
  const { digest, size } = await putBlob(dir, manifest);
  const mediaType = o.mediaType ?? (JSON.parse(manifest.toString()) as { mediaType?: string }).mediaType;
  if (!mediaType) throw new Error('the manifest has no mediaType; pass one');
  const descriptor: Descriptor = { mediaType, digest, size };
  if (o.platform) descriptor.platform = o.platform;
  descriptor.annotations = { ...o.annotations, [REF_NAME]: o.tag };
  const index = (await readIndex(dir)) ?? { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] };
  index.manifests = [...index.manifests.filter((m) => m.annotations?.[REF_NAME] !== o.tag), descriptor];
  await markLayout(dir);
  // Last, and atomically: index.json is what makes every blob above reachable.
  await writeFileAtomic(join(dir, 'index.json'), canonicalJson(index));
  return descriptor;
}

/** Every blob, then the manifest under `tag`: a complete image (or artifact) in one call. */
export async function writeLayout(
  dir: string,
  o: TagOptions & { manifest: Buffer; blobs: (BlobSource | Buffer)[] },
): Promise<Descriptor> {
  for (const blob of o.blobs) await putBlob(dir, blob);
  return putManifest(dir, o.manifest, o);
}

export interface Layout {
  dir: string;
  /** The manifest (or index) the tag names, as index.json lists it. */
  descriptor: Descriptor;
  /** A blob's bytes, checked against its digest: for manifests and configs. */
  readBlob(digest: string): Promise<Buffer>;
  /** A stream over a blob from `offset`, for layers. */
  openBlob(digest: string, offset?: number): Readable;
  /** A blob as a source for an upload or another layout. */
  blob(descriptor: Descriptor): BlobSource;
}

/** Opens a layout at a tag; without one, a layout holding exactly one manifest opens at it. */
export async function readLayout(dir: string, tag?: string): Promise<Layout> {
  const marker = await readFile(join(dir, 'oci-layout'), 'utf8').catch(() => undefined);
  if (!marker?.includes('imageLayoutVersion')) {
    throw new InputError(`'${dir}' is not an OCI image layout`, {
      where: { file: dir },
      fix: 'Point at a directory written by `skopeo copy … oci:DIR:TAG` or a modelship build (it has an oci-layout file).',
    });
  }
  const index = await readIndex(dir);
  const manifests = index?.manifests ?? [];
  const found =
    tag === undefined
      ? manifests.length === 1
        ? manifests[0]
        : undefined
      : manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (!found) {
    const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
    throw new InputError(
      `${tag === undefined ? 'no single image' : `no tag '${tag}'`} in the OCI layout '${dir}'`,
      {
        where: { file: join(dir, 'index.json') },
        fix: tags.length ? `It has: ${tags.join(', ')}.` : 'Its index.json lists no tagged manifests.',
      },
    );
  }
  const openBlob = (digest: string, offset = 0) =>
    createReadStream(blobPath(dir, digest), { start: offset, highWaterMark: CHUNK });
  return {
    dir,
    descriptor: found,
    openBlob,
    async readBlob(digest) {
      const data = await readFile(blobPath(dir, digest));
      if (sha256Bytes(data) !== digest) {
        throw new InputError(`blob ${digest} in '${dir}' does not match its digest`, {
          where: { file: dir },
        });
      }
      return data;
    },
    blob: (d) => ({ digest: d.digest, size: d.size, open: (offset?: number) => openBlob(d.digest, offset) }),
  };
}

async function readIndex(dir: string): Promise<IndexJson | undefined> {
  const text = await readFile(join(dir, 'index.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const index = JSON.parse(text) as IndexJson;
    if (Array.isArray(index.manifests)) return index;
  } catch {}
  throw new InputError(`the index.json of OCI layout '${dir}' is not a valid index`, {
    where: { file: join(dir, 'index.json') },
  });
}

const tempName = (dir: string) => join(dir, 'blobs', `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => -1,
  );
const exists = (path: string) => sizeOf(path).then((s) => s >= 0);

/** A hard link to `from` when it has the expected size; false when it cannot be had that way. */
async function linkFrom(from: string, size: number, to: string): Promise<boolean> {
  if ((await sizeOf(from)) !== size) return false;
  return link(from, to).then(
    () => true,
    () => false,
  );
}
