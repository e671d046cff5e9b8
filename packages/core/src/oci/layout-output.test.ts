import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { tempDir } from '../../../../test/support/run.ts';
import { ConfigurationError } from '../errors.ts';
import { assembleArtifact, bufferSource } from './assemble.ts';
import { blobPath, readLayout } from './layout.ts';
import { checkLayoutOutput } from './layout-output.ts';
import { publish } from './publish.ts';
import type { BlobSource } from './types.ts';

const log = { info() {}, notice() {}, warning() {}, debug() {}, progress() {} } as never;

/** An artifact whose one layer comes from `source`. */
function artifact(source: BlobSource, name = 'model') {
  return assembleArtifact({
    artifactType: 'application/vnd.test.v1',
    configType: 'application/vnd.test.config.v1+json',
    config: { name },
    layers: [
      {
        descriptor: { mediaType: 'application/octet-stream', ...digestOf(source) },
        diffId: source.digest,
        source,
      },
    ],
    annotations: {},
  });
}
const digestOf = (s: BlobSource) => ({ digest: s.digest, size: s.size });

/** A source that gives `good` bytes of the blob, then fails with `error`. */
function failingAfter(blob: Buffer, good: number, error: Error): BlobSource {
  return {
    ...digestOf(bufferSource(blob)),
    open: () =>
      Readable.from(
        (async function* () {
          yield blob.subarray(0, good);
          throw error;
        })(),
      ),
  };
}

const write = (dir: string, image: ReturnType<typeof artifact>, tags = ['v1']) =>
  publish(image, { kind: 'layout', dir, input: '--output' }, tags, log);

describe('an OCI layout as output', () => {
  it('is absent after a write that failed halfway, with nothing left beside it', async (t) => {
    const root = await tempDir(t, 'layout-out-');
    const out = join(root, 'image');
    const blob = Buffer.alloc(3 << 20, 7);
    const broken = artifact(failingAfter(blob, 1 << 20, new Error('the base registry went away')));
    await assert.rejects(write(out, broken), /went away/);
    assert.deepEqual(await readdir(root), [], 'no layout, no staging directory');

    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    await assert.rejects(write(out, artifact(failingAfter(blob, 1 << 20, full))), (e: unknown) => {
      assert.ok(e instanceof ConfigurationError);
      assert.match(
        e.render(),
        /^--output '.*image' cannot be written: no space left on the device \(ENOSPC\)\. Free space/,
      );
      return true;
    });
    assert.deepEqual(await readdir(root), []);
  });

  it('leaves an earlier layout whole when the new write fails, and replaces it whole when it succeeds', async (t) => {
    const root = await tempDir(t, 'layout-out-');
    const out = join(root, 'image');
    const first = artifact(bufferSource(Buffer.from('first model')), 'first');
    await write(out, first, ['v1', 'old-only']);
    const before = await readFile(join(out, 'index.json'));

    const blob = Buffer.alloc(2 << 20, 1);
    await assert.rejects(write(out, artifact(failingAfter(blob, 1 << 19, new Error('cut')))), /cut/);
    assert.deepEqual(await readFile(join(out, 'index.json')), before, 'index.json untouched');
    assert.equal((await readLayout(out, 'v1')).descriptor.digest, first.digest);
    assert.deepEqual((await readdir(root)).sort(), ['image']);

    // The same model again, under a new config: its blob is linked from the old layout, not read.
    const model = Buffer.from('first model');
    const inode = (await stat(blobPath(out, bufferSource(model).digest))).ino;
    const unreadable: BlobSource = {
      ...digestOf(bufferSource(model)),
      open: () => assert.fail('read again'),
    };
    const second = artifact(unreadable, 'second');
    await write(out, second, ['v2']);
    assert.equal((await readLayout(out, 'v2')).descriptor.digest, second.digest);
    await assert.rejects(readLayout(out, 'v1'), /no tag 'v1'/, "the earlier build's tags went with it");
    assert.equal((await stat(blobPath(out, unreadable.digest))).ino, inode);
    assert.deepEqual((await readdir(root)).sort(), ['image']);
  });

  it('refuses a directory with other files before anything is written, and leaves it alone', async (t) => {
    const root = await tempDir(t, 'layout-out-');
    const src = join(root, 'src');
    await mkdir(src);
    await writeFile(join(src, 'train.py'), 'print(1)\n');
    const message = new RegExp(
      `^--output '${src}' cannot be written: it is a directory with other files in it, not an OCI image layout\\. Set --output to a new or empty directory`,
    );
    await assert.rejects(checkLayoutOutput(src, '--output'), (e: unknown) => {
      assert.ok(e instanceof ConfigurationError);
      assert.match(e.render(), message);
      return true;
    });
    await assert.rejects(write(src, artifact(bufferSource(Buffer.from('m')))), ConfigurationError);
    assert.deepEqual(await readdir(src), ['train.py']);
    assert.deepEqual((await readdir(root)).sort(), ['src']);

    const empty = join(root, 'empty');
    await mkdir(empty);
    await checkLayoutOutput(empty, '--output');
    await write(empty, artifact(bufferSource(Buffer.from('m'))));
    assert.ok((await readLayout(empty)).descriptor.digest);
  });

  it('follows a link to a directory, keeps the link, and clears what a killed build left', async (t) => {
    const root = await tempDir(t, 'layout-out-');
    const real = join(root, 'real');
    await mkdir(real);
    await symlink(real, join(root, 'link'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await mkdir(join(root, `.real.${dead}.0123abcd.new`, 'blobs'), { recursive: true });
    const image = artifact(bufferSource(Buffer.from('m')));
    await write(join(root, 'link'), image);
    assert.equal((await readLayout(real)).descriptor.digest, image.digest);
    assert.ok((await lstat(join(root, 'link'))).isSymbolicLink(), 'the link is still a link');
    assert.deepEqual((await readdir(root)).sort(), ['link', 'real']);
  });
});
