import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../../test/support/run.ts';
import { DigestCache, defaultDigestCachePath, sha256Bytes, sha256File } from './digest.ts';

describe('digests', () => {
  it('hashes bytes and files as sha256:<hex>', async (t) => {
    assert.equal(
      sha256Bytes('abc'),
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const dir = await tempDir(t, 'digest-');
    const data = Buffer.alloc(3 * (1 << 20) + 17, 7);
    await writeFile(join(dir, 'f'), data);
    const got = await sha256File(join(dir, 'f'));
    assert.deepEqual(got, {
      digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
      size: data.length,
    });
  });

  it('keeps the cache in the tool cache, else the user cache', () => {
    assert.equal(defaultDigestCachePath({ RUNNER_TOOL_CACHE: '/t' }), '/t/modelship/digests.json');
    assert.equal(defaultDigestCachePath({ XDG_CACHE_HOME: '/x' }), '/x/modelship/digests.json');
  });
});

describe('DigestCache', () => {
  it('computes once for an unchanged file, also from a fresh instance, and again when it changes', async (t) => {
    const dir = await tempDir(t, 'digest-');
    const file = join(dir, 'model.onnx');
    const store = join(dir, 'cache', 'digests.json');
    await writeFile(file, 'weights-1');
    let runs = 0;
    const compute = async () => {
      runs++;
      return { ...(await sha256File(file)), extra: `run ${runs}` };
    };

    const first = await new DigestCache(store).cachedDigest('layer:a', file, compute);
    assert.equal(runs, 1);
    const cache = new DigestCache(store);
    assert.deepEqual(await cache.cachedDigest('layer:a', file, compute), first, 'read back from disk');
    assert.deepEqual(await cache.cachedDigest('layer:a', file, compute), first);
    assert.equal(runs, 1);

    await cache.cachedDigest('layer:b', file, compute);
    assert.equal(runs, 2, 'another key is another computation');

    await writeFile(file, 'weights-2'); // same size, new content and mtime
    await utimes(file, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    const changed = await cache.cachedDigest('layer:a', file, compute);
    assert.equal(runs, 3);
    assert.equal(changed.digest, sha256Bytes('weights-2'));

    await utimes(file, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    await new DigestCache(store).cachedDigest('layer:a', file, compute);
    assert.equal(runs, 4, 'a touched file is hashed again');
    const saved = JSON.parse(await readFile(store, 'utf8'));
    assert.deepEqual(Object.keys(saved.entries).sort(), ['layer:a', 'layer:b']);
  });

  it('treats a corrupt or foreign cache file as empty and replaces it', async (t) => {
    const dir = await tempDir(t, 'digest-');
    const file = join(dir, 'f');
    const store = join(dir, 'digests.json');
    await writeFile(file, 'x');
    let runs = 0;
    const compute = async () => {
      runs++;
      return sha256File(file);
    };
    for (const junk of ['{not json', '[]', '{"version":1,"entries":{"k":{"id":1}}}', '']) {
      await writeFile(store, junk);
      assert.equal((await new DigestCache(store).cachedDigest('k', file, compute)).digest, sha256Bytes('x'));
    }
    assert.equal(runs, 4);
    await new DigestCache(store).cachedDigest('k', file, compute);
    assert.equal(runs, 4, 'the rewritten file is valid');
  });
});
