/**
 * Where an image is read from or written to: a repository in a registry, or an OCI image layout
 * on disk (`oci:<dir>:<tag>`, what build-image writes when it does not push). Both give blobs as
 * sources readable from any offset, so copying a base image never holds a layer in memory.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Registry } from './client.ts';
import { RegistryError } from './errors.ts';
import type { Layout } from './layout.ts';
import type { BlobSource, Descriptor } from './types.ts';

export type Store =
  | { kind: 'registry'; registry: Registry; repo: string }
  | { kind: 'layout'; layout: Layout };

/** A remote blob as a source: each open() is a fresh GET, skipping to `offset`. */
export function remoteBlob(registry: Registry, repo: string, d: Descriptor): BlobSource {
  return {
    digest: d.digest,
    size: d.size,
    open(offset = 0): Readable {
      const out = new PassThrough({ highWaterMark: 1 << 20 });
      registry.readBlob(repo, d.digest).then(
        (stream) => {
          let skip = offset;
          stream.on('error', (e) => out.destroy(e));
          stream.on('data', (chunk: Buffer) => {
            if (skip >= chunk.length) {
              skip -= chunk.length;
              return;
            }
            const rest = skip ? chunk.subarray(skip) : chunk;
            skip = 0;
            if (!out.write(rest)) {
              stream.pause();
              out.once('drain', () => stream.resume());
            }
          });
          stream.on('end', () => out.end());
        },
        (e: unknown) => out.destroy(e as Error),
      );
      return out;
    },
  };
}

export function blobOf(store: Store, d: Descriptor): BlobSource {
  return store.kind === 'layout' ? store.layout.blob(d) : remoteBlob(store.registry, store.repo, d);
}

export async function readAll(store: Store, d: Descriptor): Promise<Buffer> {
  if (store.kind === 'layout') return store.layout.readBlob(d.digest);
  const chunks: Buffer[] = [];
  for await (const c of await store.registry.readBlob(store.repo, d.digest)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A manifest by tag or digest, or undefined when the registry has no such thing. */
export async function manifestOrUndefined(registry: Registry, repo: string, reference: string) {
  try {
    return await registry.getManifest(repo, reference);
  } catch (e) {
    if (e instanceof RegistryError && e.kind === 'not-found') return undefined;
    throw e;
  }
}
