/** A model by reference: pulled from a real registry, verified by digest, cached; paths pass through. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startRegistry } from '../../../../test/support/registry.ts';
import { tempDir } from '../../../../test/support/run.ts';
import { InputError } from '../errors.ts';
import { assembleArtifact, bufferSource } from './assemble.ts';
import { Registry } from './client.ts';
import { sha256Bytes } from './digest.ts';
import { localModel, MODEL_SOURCE, NothingAtTag } from './model-ref.ts';
import { publish } from './publish.ts';

const quiet = { info() {}, warn() {}, notice() {}, debug() {}, progress() {} };

async function pushArtifact(
  host: string,
  files: Record<string, Buffer>,
  { tag = 't', annotations = {} }: { tag?: string; annotations?: Record<string, string> } = {},
): Promise<string> {
  const layers = Object.entries(files).map(([name, data]) => ({
    descriptor: {
      mediaType: 'application/vnd.modelship.model.file.v1',
      digest: sha256Bytes(data),
      size: data.length,
      annotations: { 'org.opencontainers.image.title': name },
    },
    diffId: sha256Bytes(data),
    source: bufferSource(data),
  }));
  const built = assembleArtifact({
    artifactType: 'application/vnd.modelship.model.v1',
    configType: 'application/vnd.modelship.model.config.v1+json',
    config: {},
    layers,
    annotations,
  });
  await publish(
    built,
    { kind: 'registry', registry: await Registry.connect(host), repo: 'acme/m' },
    [tag],
    quiet,
  );
  return `${host}/acme/m@${built.digest}`;
}

describe('a model given by reference', () => {
  it('is pulled once into a file named as it was pushed, verified, and reused', async (t) => {
    const registry = await startRegistry(t);
    const bytes = Buffer.from('not really onnx, but bytes all the same');
    const ref = await pushArtifact(registry.host, { 'model.onnx': bytes });
    const cacheDir = await tempDir(t);
    const file = await localModel(ref, { input: 'model', log: quiet, cacheDir });
    assert.equal(file.endsWith('/model.onnx'), true);
    assert.deepEqual(await readFile(file), bytes);
    await registry.stop();
    // The registry is gone: the cached, verified file answers.
    assert.equal(await localModel(ref, { input: 'model', log: quiet, cacheDir }), file);
  });

  it('passes a path through, and refuses an artifact that is no single model file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'm.onnx');
    await writeFile(path, 'x');
    assert.equal(await localModel(path, { input: 'model', log: quiet }), path);
    const registry = await startRegistry(t);
    const ref = await pushArtifact(registry.host, { a: Buffer.from('a'), b: Buffer.from('b') });
    await assert.rejects(localModel(ref, { input: 'model', log: quiet, cacheDir: dir }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /is not a model artifact \(it has 2 layers\)/);
      return true;
    });
  });

  it('follows a tag to the artifact it holds, or to the artifact an image was built from', async (t) => {
    const registry = await startRegistry(t);
    const cacheDir = await tempDir(t);
    const bytes = Buffer.from('the production model');
    const artifact = await pushArtifact(registry.host, { 'model.onnx': bytes }, { tag: 'trained' });
    const byTag = await localModel(`${registry.host}/acme/m:trained`, {
      input: 'baseline',
      log: quiet,
      cacheDir,
    });
    assert.deepEqual(await readFile(byTag), bytes);
    // An image (two layers: no model artifact itself) that records its model's artifact.
    await pushArtifact(
      registry.host,
      { runtime: Buffer.from('r'), 'model.onnx': bytes },
      { tag: 'production', annotations: { [MODEL_SOURCE]: artifact } },
    );
    const viaImage = await localModel(`${registry.host}/acme/m:production`, {
      input: 'baseline',
      log: quiet,
      cacheDir,
    });
    assert.equal(viaImage, byTag, 'the image led to the same artifact, already in the cache');
  });

  it('says a tag holds nothing yet apart from every other failure, so a caller can fall back', async (t) => {
    const registry = await startRegistry(t);
    const o = { input: 'baseline', log: quiet, cacheDir: await tempDir(t) };
    await assert.rejects(localModel(`${registry.host}/acme/m:production`, o), (e: unknown) => {
      assert.ok(e instanceof NothingAtTag);
      assert.match(e.message, /^baseline: nothing holds 127\.0\.0\.1:\d+\/acme\/m:production yet$/);
      return true;
    });
    await pushArtifact(registry.host, { a: Buffer.from('a'), b: Buffer.from('b') }, { tag: 'production' });
    await assert.rejects(localModel(`${registry.host}/acme/m:production`, o), (e: unknown) => {
      assert.ok(e instanceof InputError && !(e instanceof NothingAtTag));
      assert.match(e.message, /is not a model artifact \(it has 2 layers\)/);
      return true;
    });
  });
});
