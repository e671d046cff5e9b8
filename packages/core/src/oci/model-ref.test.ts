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
import { localModel } from './model-ref.ts';
import { publish } from './publish.ts';

const quiet = { info() {}, warn() {}, notice() {}, debug() {}, progress() {} };

async function pushArtifact(host: string, files: Record<string, Buffer>): Promise<string> {
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
    annotations: {},
  });
  await publish(
    built,
    { kind: 'registry', registry: await Registry.connect(host), repo: 'acme/m' },
    ['t'],
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
});
