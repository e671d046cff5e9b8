import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../errors.ts';
import { codeTrees, keyTag, trainingKey } from './key.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const parts = {
  dataDigest: 'sha256:aa',
  code: { src: 't1' },
  params: { a: '1', b: '2' },
  image: 'img@sha256:bb',
};

describe('the training key', () => {
  it('is the same whatever order params come in, and changes with each part', () => {
    const key = trainingKey(parts);
    assert.match(key, /^sha256:[0-9a-f]{64}$/);
    assert.equal(trainingKey({ ...parts, params: { b: '2', a: '1' } }), key);
    for (const changed of [
      { ...parts, dataDigest: 'sha256:ab' },
      { ...parts, code: { src: 't2' } },
      { ...parts, params: { a: '1', b: '3' } },
      { ...parts, image: 'img@sha256:bc' },
    ])
      assert.notEqual(trainingKey(changed), key);
    assert.equal(keyTag(key), `train-${key.slice(7)}`);
  });

  it("reads each code path's committed git object, and refuses a path git does not have", async () => {
    const trees = await codeTrees(['examples/data/'], ROOT, 'code-paths');
    assert.match(trees['examples/data']!, /^[0-9a-f]{40}$/);
    await assert.rejects(codeTrees(['no/such/path'], ROOT, 'code-paths'), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /^code-paths: 'no\/such\/path' is not a committed path/);
      return true;
    });
  });
});
