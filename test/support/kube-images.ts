/**
 * Images for the test node, built with modelship's own OCI code (the tar writer, config and manifest
 * builders, publish) and pushed to a local registry the node pulls from: `staticImage` wraps static
 * binaries (the pause process, a tiny HTTP server) in an image with no base at all.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bufferSource } from '../../packages/core/src/oci/assemble.ts';
import { Registry } from '../../packages/core/src/oci/client.ts';
import { sha256Bytes } from '../../packages/core/src/oci/digest.ts';
import { descriptorOf, imageConfig, imageManifest } from '../../packages/core/src/oci/image.ts';
import { publish } from '../../packages/core/src/oci/publish.ts';
import { type LayerEntry, smallLayer } from '../../packages/core/src/oci/tar.ts';
import { MEDIA } from '../../packages/core/src/oci/types.ts';
import type { Logger } from '../../packages/core/src/platform/port.ts';

const sh = promisify(execFile);

export const quietLog: Logger = { info() {}, warn() {}, notice() {}, debug() {}, progress() {} };

/** `host/repo@sha256:…` of an image made of `files` alone, pushed under `tag`. */
export async function staticImage(
  host: string,
  repo: string,
  tag: string,
  files: LayerEntry[],
  settings: { entrypoint: string[]; env?: Record<string, string>; exposedPorts?: number[] },
): Promise<string> {
  const layer = await smallLayer(files, { mtime: 0 });
  const config = imageConfig({
    platform: { os: 'linux', architecture: 'amd64' },
    ...settings,
    diffIds: [layer.diffId],
    created: 0,
  });
  const layerD = { mediaType: MEDIA.ociLayerGzip, digest: layer.digest, size: layer.size };
  const manifest = imageManifest({ config: descriptorOf(MEDIA.ociConfig, config), layers: [layerD] });
  const registry = await Registry.connect(host);
  await publish(
    {
      blobs: [bufferSource(layer.gzip), bufferSource(config)],
      manifest,
      mediaType: MEDIA.ociManifest,
      digest: sha256Bytes(manifest),
    },
    { kind: 'registry', registry, repo },
    [tag],
    quietLog,
  );
  return `${host}/${repo}@${sha256Bytes(manifest)}`;
}

/** Compiles one C file with `gcc -static` into `dir`; the binary runs in an image with nothing else. */
export async function staticBinary(source: string, dir: string, name: string): Promise<Buffer> {
  const out = join(dir, name);
  await sh('gcc', ['-static', '-Os', '-o', out, source]).catch((e: { stderr?: string; message: string }) => {
    throw new Error(`gcc -static ${source} failed: ${e.stderr || e.message}`);
  });
  await sh('strip', [out]);
  return readFile(out);
}
