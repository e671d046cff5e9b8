import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../../../../test/support/run.ts';
import { InputError } from '../errors.ts';
import { sha256Bytes } from './digest.ts';
import { descriptorOf, imageConfig, imageManifest } from './image.ts';
import { blobPath, putBlob, putManifest, REF_NAME, readLayout, writeLayout } from './layout.ts';
import { fileLayer, layerDigest, smallLayer } from './tar.ts';
import { type Descriptor, MEDIA } from './types.ts';

const run = promisify(execFile);
const skopeo = async (...args: string[]) => (await run('skopeo', ['--insecure-policy', ...args])).stdout;

/** A config, a gzip layer and an uncompressed model layer: the shape of a modelship image. */
async function build(dir: string) {
  const weights = join(dir, 'model.onnx');
  await writeFile(weights, randomBytes(2 * (1 << 20) + 5));
  const bundle = await smallLayer([{ path: 'app/server.js', data: 'console.log("serve")\n' }], { mtime: 0 });
  const model = await fileLayer(weights, 'models/iris/1/model.onnx', { mtime: 0 });
  const modelDigest = await layerDigest(model);
  const config = imageConfig({
    platform: { os: 'linux', architecture: 'amd64' },
    cmd: ['node', '/app/server.js'],
    diffIds: [bundle.diffId, modelDigest.digest],
    created: 0,
  });
  const layers: Descriptor[] = [
    { mediaType: MEDIA.ociLayerGzip, digest: bundle.digest, size: bundle.size },
    { mediaType: MEDIA.ociLayer, digest: modelDigest.digest, size: modelDigest.size },
  ];
  const manifest = imageManifest({ config: descriptorOf(MEDIA.ociConfig, config), layers });
  const blobs = [config, bundle.gzip, { ...modelDigest, open: model.open }];
  return { config, manifest, layers, blobs };
}

describe('OCI image layout', () => {
  it('is read by skopeo, which copies it to another layout', async (t) => {
    const dir = await tempDir(t, 'layout-');
    const image = await build(dir);
    const out = join(dir, 'oci');
    const written = await writeLayout(out, { tag: 'v1', manifest: image.manifest, blobs: image.blobs });
    assert.equal(written.digest, sha256Bytes(image.manifest));
    assert.deepEqual(JSON.parse(await readFile(join(out, 'oci-layout'), 'utf8')), {
      imageLayoutVersion: '1.0.0',
    });

    const inspected = JSON.parse(await skopeo('inspect', `oci:${out}:v1`));
    assert.equal(inspected.Digest, written.digest);
    assert.deepEqual(
      inspected.Layers,
      image.layers.map((l) => l.digest),
    );
    assert.equal(inspected.Architecture, 'amd64');
    const raw = await skopeo('inspect', '--raw', `oci:${out}:v1`);
    assert.equal(raw, image.manifest.toString());

    // By default skopeo gzips uncompressed layers on the way into a layout, so the copy is a new manifest.
    const copy = join(dir, 'copy');
    await skopeo('copy', '--quiet', `oci:${out}:v1`, `oci:${copy}:v1`);
    const recompressed = JSON.parse(await skopeo('inspect', `oci:${copy}:v1`));
    assert.equal(recompressed.Layers[0], image.layers[0]!.digest);
    assert.equal(recompressed.Layers.length, 2);

    const same = join(dir, 'same');
    const keep = ['--preserve-digests', '--dest-oci-accept-uncompressed-layers'];
    await skopeo('copy', '--quiet', ...keep, `oci:${out}:v1`, `oci:${same}:v1`);
    const back = await readLayout(same, 'v1');
    assert.equal(back.descriptor.digest, written.digest, 'same manifest bytes after a preserving copy');
    for (const l of image.layers) assert.equal(sha256Bytes(await back.readBlob(l.digest)), l.digest);
  });

  it('adds a second tag beside the first, and moves a tag that is written again', async (t) => {
    const dir = await tempDir(t, 'layout-');
    const image = await build(dir);
    const out = join(dir, 'oci');
    const first = await writeLayout(out, { tag: 'v1', manifest: image.manifest, blobs: image.blobs });
    const other = imageManifest({
      config: descriptorOf(MEDIA.ociConfig, image.config),
      layers: image.layers,
      annotations: { note: 'second' },
    });
    const second = await putManifest(out, other, { tag: 'latest' });
    assert.equal((await readLayout(out, 'v1')).descriptor.digest, first.digest);
    assert.equal((await readLayout(out, 'latest')).descriptor.digest, second.digest);
    assert.equal(JSON.parse(await skopeo('inspect', `oci:${out}:v1`)).Digest, first.digest);
    assert.equal(JSON.parse(await skopeo('inspect', `oci:${out}:latest`)).Digest, second.digest);

    await putManifest(out, other, { tag: 'v1' });
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
    assert.deepEqual(
      index.manifests.map((m: Descriptor) => [m.annotations?.[REF_NAME], m.digest]),
      [
        ['latest', second.digest],
        ['v1', second.digest],
      ],
    );
  });

  it('reads a skopeo-written layout back: descriptor, blobs, and blob sources from an offset', async (t) => {
    const dir = await tempDir(t, 'layout-');
    const image = await build(dir);
    const src = join(dir, 'src');
    await writeLayout(src, { tag: 'base', manifest: image.manifest, blobs: image.blobs });
    const viaSkopeo = join(dir, 'skopeo');
    await skopeo('copy', '--quiet', `oci:${src}:base`, `oci:${viaSkopeo}:base`);
    const layout = await readLayout(viaSkopeo, 'base');
    assert.equal(layout.descriptor.mediaType, MEDIA.ociManifest);
    const manifest = JSON.parse((await layout.readBlob(layout.descriptor.digest)).toString());
    const model = manifest.layers[1] as Descriptor;
    const whole = await readFile(blobPath(viaSkopeo, model.digest));
    const tail = Buffer.concat(await layout.blob(model).open(1000).toArray());
    assert.ok(tail.equals(whole.subarray(1000)));

    const single = await readLayout(viaSkopeo);
    assert.equal(single.descriptor.digest, layout.descriptor.digest, 'one manifest needs no tag');
    await assert.rejects(
      readLayout(viaSkopeo, 'nope'),
      (e: unknown) => e instanceof InputError && /base/.test(e.render()),
    );
    await assert.rejects(readLayout(dir), InputError);
    await assert.rejects(layout.readBlob('sha256:../../etc'), InputError);
  });

  it('keeps a blob out when its source does not give the bytes it promised', async (t) => {
    const dir = await tempDir(t, 'layout-');
    const out = join(dir, 'oci');
    const liar = {
      digest: sha256Bytes('promised'),
      size: 8,
      open: () => Readable.from([Buffer.from('delivered')]),
    };
    await assert.rejects(putBlob(out, liar), /promised/);
    assert.deepEqual(await readdir(join(out, 'blobs', 'sha256')), []);
    assert.deepEqual(
      (await readdir(join(out, 'blobs'))).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
    const ok = await putBlob(out, Buffer.from('delivered'));
    assert.equal(ok.digest, sha256Bytes('delivered'));
    assert.deepEqual(await putBlob(out, Buffer.from('delivered')), ok, 'a blob already there is kept');
  });
});
