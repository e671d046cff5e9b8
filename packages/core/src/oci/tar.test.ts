import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { tempDir } from '../../../../test/support/run.ts';
import { sha256Bytes, sha256File } from './digest.ts';
import { dirLayer, fileLayer, layerDigest, smallLayer } from './tar.ts';

const run = promisify(execFile);

/** GNU tar's verbose listing with numeric owners and full times: what a reader sees per entry. */
async function list(archive: string): Promise<string[]> {
  const { stdout } = await run('tar', ['--numeric-owner', '--full-time', '-tvf', archive], {
    env: { TZ: 'UTC' },
  });
  return stdout.trim().split('\n');
}

async function extract(archive: string, into: string) {
  await mkdir(into, { recursive: true });
  await run('tar', ['-x', '-p', '-f', archive, '-C', into]);
}

const mode = async (path: string) => (await stat(path)).mode & 0o7777;

const LONG_DIR = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
const LONG_NAME = 'n'.repeat(130);
const entries = () => [
  { path: 'app/server.js', data: 'console.log(1)\n' },
  { path: 'app/run.sh', mode: 0o755, data: '#!/bin/sh\nexec node server.js\n' },
  { path: 'config/config.pbtxt', data: Buffer.from('name: "m"\n') },
  { path: `${LONG_DIR}/split-into-prefix.txt`, data: 'prefix and name' },
  { path: `long/${LONG_NAME}`, data: 'needs a pax path' },
  { path: 'empty', data: '' },
  { path: 'exactly-512', data: Buffer.alloc(512, 1) },
];

describe('smallLayer', () => {
  it('gives the same bytes for the same entries, in any order', async () => {
    const a = await smallLayer(entries(), { mtime: 1_700_000_000 });
    const b = await smallLayer(entries().reverse(), { mtime: 1_700_000_000 });
    assert.ok(a.tar.equals(b.tar));
    assert.ok(a.gzip.equals(b.gzip));
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, sha256Bytes(a.tar));
    assert.equal(a.digest, sha256Bytes(a.gzip));
    assert.equal(a.size, a.gzip.length);
    assert.ok(gunzipSync(a.gzip).equals(a.tar));
    assert.equal(a.tar.length % 512, 0);
    const c = await smallLayer(entries(), { mtime: 0 });
    assert.notEqual(c.diffId, a.diffId, 'the mtime is part of the content');
  });

  it('writes a gzip header with no name, no time and a fixed OS byte', async () => {
    const { gzip } = await smallLayer(entries(), { mtime: 0 });
    assert.deepEqual([...gzip.subarray(0, 4)], [0x1f, 0x8b, 8, 0], 'deflate, no FNAME/FEXTRA/FCOMMENT flags');
    assert.equal(gzip.readUInt32LE(4), 0, 'mtime 0');
    assert.equal(gzip[9], 3, 'OS: unix');
  });

  it('extracts with GNU tar to the same files, modes, owners and parents', async (t) => {
    const dir = await tempDir(t, 'tar-');
    const layer = await smallLayer(entries(), { mtime: 1_700_000_000 });
    await writeFile(join(dir, 'l.tar'), layer.tar);
    const lines = await list(join(dir, 'l.tar'));
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(' '));
    assert.deepEqual(names, [
      'app/',
      'app/run.sh',
      'app/server.js',
      'config/',
      'config/config.pbtxt',
      `${'d'.repeat(60)}/`,
      `${LONG_DIR}/`,
      `${LONG_DIR}/split-into-prefix.txt`,
      'empty',
      'exactly-512',
      'long/',
      `long/${LONG_NAME}`,
    ]);
    for (const line of lines) {
      assert.match(line, /^[-d]rw[-x]r-[-x]r-[-x] 0\/0 +\d+ 2023-11-14 22:13:20 /, line);
    }
    const out = join(dir, 'out');
    await extract(join(dir, 'l.tar'), out);
    for (const e of entries()) {
      assert.deepEqual(await readFile(join(out, e.path)), Buffer.from(e.data), e.path);
      assert.equal(await mode(join(out, e.path)), e.mode ?? 0o644, e.path);
    }
    assert.equal(await mode(join(out, 'app')), 0o755);
  });

  it('refuses paths that leave the layer or collide', async () => {
    await assert.rejects(smallLayer([{ path: '../etc/passwd', data: '' }], { mtime: 0 }), /bad path/);
    await assert.rejects(
      smallLayer(
        [
          { path: 'a', data: '' },
          { path: 'a/b', data: '' },
        ],
        { mtime: 0 },
      ),
      /both a file and a directory/,
    );
    await assert.rejects(smallLayer([{ path: 'a', data: '' }], { mtime: -1 }), /bad mtime/);
  });
});

describe('dirLayer', () => {
  async function tree(root: string, fileMode: number, when: Date) {
    await mkdir(join(root, 'lib', 'linux', 'x64'), { recursive: true });
    await mkdir(join(root, 'lib', 'win32'), { recursive: true });
    await writeFile(join(root, 'package.json'), '{"name":"ort"}');
    await writeFile(join(root, 'lib', 'linux', 'x64', 'binding.node'), randomBytesFixed(70_000));
    await writeFile(join(root, 'lib', 'win32', 'binding.dll'), 'windows only');
    await chmod(join(root, 'lib', 'linux', 'x64', 'binding.node'), 0o755);
    await chmod(join(root, 'package.json'), fileMode);
    await symlink('binding.node', join(root, 'lib', 'linux', 'x64', 'libort.so.1'));
    for (const p of ['package.json', 'lib/linux/x64/binding.node', 'lib'])
      await utimes(join(root, p), when, when);
  }

  it('is the same for the same tree whatever the mtimes and umask on disk', async (t) => {
    const dir = await tempDir(t, 'tar-');
    await tree(join(dir, 'a'), 0o644, new Date(1e12));
    await tree(join(dir, 'b'), 0o600, new Date(1.5e12));
    const include = (rel: string) => rel !== 'lib/win32';
    const a = await dirLayer(join(dir, 'a'), 'node_modules/ort', { mtime: 0, include });
    const b = await dirLayer(join(dir, 'b'), 'node_modules/ort', { mtime: 0, include });
    assert.equal(a.digest, b.digest);
    assert.ok(a.gzip.equals(b.gzip));

    await writeFile(join(dir, 'l.tar'), a.tar);
    const names = (await list(join(dir, 'l.tar'))).map((l) => l.split(/\s+/).slice(5).join(' '));
    assert.deepEqual(names, [
      'node_modules/',
      'node_modules/ort/',
      'node_modules/ort/lib/',
      'node_modules/ort/lib/linux/',
      'node_modules/ort/lib/linux/x64/',
      'node_modules/ort/lib/linux/x64/binding.node',
      'node_modules/ort/lib/linux/x64/libort.so.1 -> binding.node',
      'node_modules/ort/package.json',
    ]);
    const out = join(dir, 'out');
    await extract(join(dir, 'l.tar'), out);
    const bin = join(out, 'node_modules/ort/lib/linux/x64/binding.node');
    assert.deepEqual(await readFile(bin), randomBytesFixed(70_000));
    assert.equal(await mode(bin), 0o755);
    assert.equal(await mode(join(out, 'node_modules/ort/package.json')), 0o644);
  });
});

describe('fileLayer', () => {
  const SIZE = 3 * (1 << 20) + 123;

  async function model(t: TestContext) {
    const dir = await tempDir(t, 'tar-');
    const file = join(dir, 'model.onnx');
    await writeFile(file, randomBytes(SIZE));
    return { dir, file };
  }

  it('knows its size up front and streams a tar GNU tar extracts', async (t) => {
    const { dir, file } = await model(t);
    const layer = await fileLayer(file, '/models/m/1/model.onnx', { mtime: 1_700_000_000 });
    const full = await buffer(layer.open());
    assert.equal(full.length, layer.size);
    assert.equal(layer.fileOffset, 4 * 512, 'three parent directories and the file header');
    assert.equal(layer.size % 512, 0);
    assert.ok(full.subarray(layer.fileOffset, layer.fileOffset + SIZE).equals(await readFile(file)));

    await writeFile(join(dir, 'l.tar'), full);
    const names = (await list(join(dir, 'l.tar'))).map((l) => l.split(/\s+/).slice(5).join(' '));
    assert.deepEqual(names, ['models/', 'models/m/', 'models/m/1/', 'models/m/1/model.onnx']);
    await extract(join(dir, 'l.tar'), join(dir, 'out'));
    const extracted = join(dir, 'out', 'models/m/1/model.onnx');
    assert.deepEqual(await sha256File(extracted), await sha256File(file));
    assert.equal(await mode(extracted), 0o644);
  });

  it('reopens at any offset: inside the headers, the file, the padding and the end blocks', async (t) => {
    const { file } = await model(t);
    const layer = await fileLayer(file, 'model.onnx', { mtime: 0, mode: 0o755 });
    const full = await buffer(layer.open());
    const f = layer.fileOffset;
    const end = f + layer.fileSize;
    const offsets = [0, 1, 100, 511, f - 1, f, f + 1, f + (1 << 20) + 7, end - 1, end, end + 100, end + 389];
    offsets.push(layer.size - 1024, layer.size - 1, layer.size);
    for (const offset of offsets) {
      const part = await buffer(layer.open(offset));
      assert.ok(part.equals(full.subarray(offset)), `offset ${offset}`);
    }
    assert.throws(() => layer.open(layer.size + 1), RangeError);
  });

  it('hashes the layer and the model in one pass, the same whatever the file mtime', async (t) => {
    const { file } = await model(t);
    const first = await fileLayer(file, 'models/model.onnx', { mtime: 0 });
    const d1 = await layerDigest(first);
    assert.equal(d1.digest, sha256Bytes(await buffer(first.open())));
    assert.deepEqual(
      { digest: d1.modelDigest, size: d1.modelSize },
      await sha256File(file),
      'modelDigest is the file’s own sha256',
    );
    assert.equal(d1.size, first.size);

    await utimes(file, new Date(1.2e12), new Date(1.2e12));
    const again = await fileLayer(file, 'models/model.onnx', { mtime: 0 });
    assert.deepEqual(await layerDigest(again), d1);
    assert.equal(again.cacheKey, first.cacheKey);

    const otherMode = await fileLayer(file, 'models/model.onnx', { mtime: 0, mode: 0o600 });
    assert.notEqual((await layerDigest(otherMode)).digest, d1.digest);
    assert.notEqual(otherMode.cacheKey, first.cacheKey, 'what changes the digest changes the cache key');
  });

  it('writes sizes past ustar’s 8 GiB limit as a pax record GNU tar reads', async (t) => {
    const dir = await tempDir(t, 'tar-');
    const file = join(dir, 'huge.onnx');
    const big = 8 * 2 ** 30 + 1;
    await writeFile(file, '');
    await truncate(file, big); // sparse: nothing is written or read
    const layer = await fileLayer(file, 'huge.onnx', { mtime: 0 });
    assert.equal(layer.size, layer.fileOffset + big + 511 + 1024);
    const head = (await buffer(layer.open(0).take(1))).subarray(0, layer.fileOffset);
    assert.match(head.toString('latin1'), /\d+ size=8589934593\n/);
    await writeFile(join(dir, 'head.tar'), head);
    // The body is missing, so tar fails after listing the entry; the listing is what is checked.
    const listed = await run('tar', ['--numeric-owner', '-tvf', join(dir, 'head.tar')]).catch((e) => e);
    assert.match(listed.stdout, /^-rw-r--r-- 0\/0 +8589934593 .* huge\.onnx$/m);
  });

  it('fails the stream when the file shrinks after the layer was sized', async (t) => {
    const { file } = await model(t);
    const layer = await fileLayer(file, 'model.onnx', { mtime: 0 });
    await writeFile(file, 'short');
    await assert.rejects(layerDigest(layer), /shrank/);
  });
});

/** Incompressible but repeatable bytes, so two trees built apart are identical. */
function randomBytesFixed(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
