/**
 * The few OCI shapes everything in oci/ speaks: media types, descriptors, platforms, and a blob
 * source that can be read again from any offset (so an upload cut short resumes where the registry
 * says it stopped, without holding the blob in memory).
 */
import type { Readable } from 'node:stream';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The OS and architecture an image runs on (`linux/arm64/v8`); not the CI (platform/port.ts). */
export interface ImagePlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: ImagePlatform;
  artifactType?: string;
}

/** Bytes of a blob whose digest and size are known, readable from any offset. */
export interface BlobSource {
  digest: string;
  size: number;
  open(offset?: number): Readable;
}
