/**
 * Puts a built image where it goes: every blob (the base's, then ours), then the manifest under
 * each tag. To a registry, a base blob in the same registry is mounted rather than copied, and a
 * blob the registry has is skipped (HEAD first), so re-pushing an unchanged model sends nothing.
 * To an OCI layout, blobs are streamed to files and checked against their digests, and the layout
 * appears whole or not at all (layout-output.ts).
 */
import { formatBytes } from '../format/bytes.ts';
import type { Logger } from '../platform/port.ts';
import type { Base } from './base.ts';
import type { Registry } from './client.ts';
import { putBlob, putManifest as putLayoutManifest } from './layout.ts';
import { replaceLayout } from './layout-output.ts';
import { blobOf } from './store.ts';
import type { BlobSource } from './types.ts';

export interface BuiltImage {
  base?: Base;
  /** Our blobs: new layers and the config. */
  blobs: BlobSource[];
  manifest: Buffer;
  mediaType: string;
  digest: string;
}

export type Target =
  | { kind: 'registry'; registry: Registry; repo: string }
  /** `input` names the directory in errors, as the user gave it (`--output`). */
  | { kind: 'layout'; dir: string; input: string };

export interface Published {
  /** Bytes the registry took from us (0 when every blob was there or mounted). */
  uploaded: number;
  skipped: number;
  mounted: number;
}

export async function publish(
  image: BuiltImage,
  target: Target,
  tags: string[],
  log: Logger,
  /** Checked between blobs and before any tag moves: a cancelled push never tags a half state. */
  signal?: AbortSignal,
): Promise<Published> {
  const base = image.base;
  const baseBlobs = base ? base.layers.map((d) => blobOf(base.store, d)) : [];
  const out: Published = { uploaded: 0, skipped: 0, mounted: 0 };
  if (target.kind === 'layout') {
    await replaceLayout(target.dir, target.input, async (staging, previous) => {
      for (const blob of [...baseBlobs, ...image.blobs]) {
        signal?.throwIfAborted();
        await putBlob(staging, blob, previous);
      }
      signal?.throwIfAborted();
      for (const tag of tags)
        await putLayoutManifest(staging, image.manifest, { tag, mediaType: image.mediaType });
    });
    return out;
  }
  const { registry, repo } = target;
  const sameRegistry =
    base?.store.kind === 'registry' && base.host === registry.host ? base.store.repo : undefined;
  const results = [
    ...(await registry.pushBlobs(repo, baseBlobs, { ...(sameRegistry && { from: sameRegistry }) })),
    ...(await registry.pushBlobs(repo, image.blobs)),
  ];
  for (const r of results) {
    out.uploaded += r.uploaded;
    if (r.skipped) out.skipped++;
    if (r.mounted) out.mounted++;
  }
  signal?.throwIfAborted();
  for (const tag of tags) await registry.putManifest(repo, tag, image.manifest, image.mediaType);
  log.info(
    `pushed ${registry.host}/${repo}@${image.digest}: ${results.length} blobs, ${out.skipped} already there, ${out.mounted} mounted, ${formatBytes(out.uploaded)} sent`,
  );
  return out;
}
