/**
 * A build's documents, assembled from its parts: the config and manifest bytes, and every blob a
 * push or a layout needs. An image stacks new layers on a base and inherits its settings; an
 * artifact has no base, and its config is whatever facts the caller wants stored beside the file.
 */
import { Readable } from 'node:stream';
import type { Base } from './base.ts';
import { sha256Bytes } from './digest.ts';
import { artifactManifest, canonicalJson, descriptorOf, imageConfig, imageManifest } from './image.ts';
import type { BuiltImage } from './publish.ts';
import { type BlobSource, type Descriptor, MEDIA } from './types.ts';

/** A layer we add: what the manifest lists, what the config's rootfs lists, and its bytes. */
export interface NewLayer {
  descriptor: Descriptor;
  diffId: string;
  source: BlobSource;
}

/** What an image's config sets on top of its base's. */
export interface ImageSettings {
  env?: Record<string, string>;
  entrypoint?: string[];
  exposedPorts?: number[];
  workingDir?: string;
}

export interface Assembled extends BuiltImage {
  config: Descriptor;
  /** The manifest's layers, the base's first, exactly as the manifest lists them. */
  layers: Descriptor[];
}

export interface ImageParts {
  base: Base;
  layers: NewLayer[];
  settings: ImageSettings;
  /** On the manifest, and as labels in the config (what `docker inspect` shows). */
  annotations: Record<string, string>;
  /** Seconds since the epoch, for `created`. */
  created: number;
}

export function assembleImage(o: ImageParts): Assembled {
  const config = imageConfig({
    base: o.base.config,
    ...o.settings,
    labels: o.annotations,
    diffIds: o.layers.map((l) => l.diffId),
    created: o.created,
  });
  const configDescriptor = descriptorOf(MEDIA.ociConfig, config);
  const manifest = imageManifest({
    config: configDescriptor,
    layers: [...o.base.layers, ...o.layers.map((l) => l.descriptor)],
    annotations: {
      ...o.annotations,
      'org.opencontainers.image.base.digest': o.base.digest,
      'org.opencontainers.image.base.name': o.base.name,
    },
  });
  return built(manifest, configDescriptor, config, o.layers, o.base);
}

export interface ArtifactParts {
  artifactType: string;
  configType: string;
  /** The config document, written as canonical JSON. */
  config: unknown;
  layers: NewLayer[];
  annotations: Record<string, string>;
}

export function assembleArtifact(o: ArtifactParts): Assembled {
  const config = canonicalJson(o.config);
  const configDescriptor = descriptorOf(o.configType, config);
  const manifest = artifactManifest({
    artifactType: o.artifactType,
    config: configDescriptor,
    layers: o.layers.map((l) => l.descriptor),
    annotations: o.annotations,
  });
  return built(manifest, configDescriptor, config, o.layers);
}

/** Bytes held in memory as a blob source, e.g. a config just built; pass the digest if known. */
export function bufferSource(data: Buffer, digest = sha256Bytes(data)): BlobSource {
  return {
    digest,
    size: data.length,
    open: (offset = 0) => Readable.from([data.subarray(offset)]),
  };
}

function built(
  manifest: Buffer,
  config: Descriptor,
  configBytes: Buffer,
  added: NewLayer[],
  base?: Base,
): Assembled {
  return {
    ...(base && { base }),
    blobs: [...added.map((l) => l.source), bufferSource(configBytes)],
    manifest,
    mediaType: MEDIA.ociManifest,
    digest: sha256Bytes(manifest),
    config,
    layers: (JSON.parse(manifest.toString('utf8')) as { layers: Descriptor[] }).layers,
  };
}
