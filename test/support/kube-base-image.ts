/**
 * The Node 24 base image the serve images run on in the test node: the pinned `node` binary (the
 * `node` devDependency, the same one the tests run on) and the Debian libraries it and onnxruntime
 * need (libc6, libgcc-s1, libstdc++6, as this machine has them), unpacked from Debian's own .debs
 * and written as layers with modelship's OCI code. Pushed as `<registry>/base/node:24`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bufferSource } from '../../packages/core/src/oci/assemble.ts';
import { Registry } from '../../packages/core/src/oci/client.ts';
import { sha256Bytes } from '../../packages/core/src/oci/digest.ts';
import { descriptorOf, imageConfig, imageManifest } from '../../packages/core/src/oci/image.ts';
import { publish } from '../../packages/core/src/oci/publish.ts';
import { dirLayer, fileLayer, layerDigest } from '../../packages/core/src/oci/tar.ts';
import { type BlobSource, type Descriptor, MEDIA } from '../../packages/core/src/oci/types.ts';
import { quietLog } from './kube-images.ts';
import { ROOT } from './run.ts';

const sh = promisify(execFile);
const LIBS = ['libc6', 'libgcc-s1', 'libstdc++6'];
const NODE_BIN = join(ROOT, 'node_modules/node/bin/node');
const CACHE = join(process.env.MODELSHIP_CACHE_DIR ?? '/var/cache/modelship', 'kube-node', 'debs');

export async function pushNodeBaseImage(registryHost: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'modelship-base-'));
  try {
    for (const deb of await debs()) await sh('dpkg-deb', ['-x', deb, root]);
    const layers: { descriptor: Descriptor; diffId: string; source: BlobSource }[] = [];
    for (const top of (await readdir(root)).sort()) {
      if (top === 'etc') continue; // ld.so.conf.d alone; LD_LIBRARY_PATH below says the same
      const l = await dirLayer(join(root, top), top, {
        mtime: 0,
        include: (rel) => !rel.startsWith('share'),
      });
      layers.push({
        descriptor: { mediaType: MEDIA.ociLayerGzip, digest: l.digest, size: l.size },
        diffId: l.diffId,
        source: bufferSource(l.gzip),
      });
    }
    // The node binary barely compresses and is 100+ MB: one uncompressed layer, streamed.
    const node = await fileLayer(NODE_BIN, 'usr/local/bin/node', { mtime: 0, mode: 0o755 });
    const d = await layerDigest(node);
    layers.push({
      descriptor: { mediaType: MEDIA.ociLayer, digest: d.digest, size: d.size },
      diffId: d.digest,
      source: { digest: d.digest, size: d.size, open: node.open },
    });
    const config = imageConfig({
      platform: { os: 'linux', architecture: 'amd64' },
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LD_LIBRARY_PATH: '/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu',
      },
      cmd: ['node'],
      diffIds: layers.map((l) => l.diffId),
      created: 0,
    });
    const manifest = imageManifest({
      config: descriptorOf(MEDIA.ociConfig, config),
      layers: layers.map((l) => l.descriptor),
    });
    const registry = await Registry.connect(registryHost);
    await publish(
      {
        blobs: [...layers.map((l) => l.source), bufferSource(config)],
        manifest,
        mediaType: MEDIA.ociManifest,
        digest: sha256Bytes(manifest),
      },
      { kind: 'registry', registry, repo: 'base/node' },
      ['24'],
      quietLog,
    );
    return `${registryHost}/base/node:24`;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** This machine's versions of the libraries, downloaded once into the cache. */
async function debs(): Promise<string[]> {
  await mkdir(CACHE, { recursive: true });
  const out: string[] = [];
  for (const pkg of LIBS) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const version = (await sh('dpkg-query', ['-W', '-f=${Version}', pkg])).stdout.trim();
    const file = `${pkg}_${version.replace(/^\d+:/, '')}_amd64.deb`;
    if (!(await readdir(CACHE)).includes(file))
      await sh('apt-get', ['download', '-q', `${pkg}=${version}`], { cwd: CACHE }).catch(
        (e: { stderr?: string }) => {
          throw new Error(`apt-get download ${pkg}=${version} failed: ${e.stderr}`);
        },
      );
    out.push(join(CACHE, file));
  }
  return out;
}
