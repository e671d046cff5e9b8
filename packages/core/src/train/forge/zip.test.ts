import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { zipOf } from '../../../../../test/support/zip.ts';
import { extractEntry, listZip, ZipError } from './zip.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelship-zip-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const model = randomBytes(300_000);
const text = Buffer.from('epoch 1 loss 0.7\n'.repeat(5000));

async function zipFile(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

test('deflated and stored entries come out byte for byte, past a comment', async () => {
  const file = await zipFile(
    'a.zip',
    zipOf(
      [
        { name: 'out/model.onnx', data: model },
        { name: 'train.log', data: text, stored: true },
        { name: 'empty.txt', data: '' },
      ],
      { comment: 'uploaded by a test' },
    ),
  );
  const entries = await listZip(file);
  assert.deepEqual(
    entries.map((e) => [e.name, e.method, e.size]),
    [
      ['out/model.onnx', 8, model.length],
      ['train.log', 0, text.length],
      ['empty.txt', 8, 0],
    ],
  );
  for (const [i, want] of [model, text, Buffer.alloc(0)].entries()) {
    const dest = join(dir, `out-${i}`);
    await extractEntry(file, entries[i]!, dest);
    assert.ok((await readFile(dest)).equals(want), entries[i]!.name);
  }
});

test('ZIP64 end records and local headers are read', async () => {
  const file = await zipFile(
    'z64.zip',
    zipOf([{ name: 'model.onnx', data: model }], { zip64: true, padding: 65_536 }),
  );
  const entries = await listZip(file);
  assert.equal(entries.length, 65_537);
  const dest = join(dir, 'z64.onnx');
  await extractEntry(file, entries[0]!, dest);
  assert.ok((await readFile(dest)).equals(model));
});

test('a damaged entry fails its CRC check and leaves no file behind', async () => {
  const bytes = zipOf([{ name: 'm.bin', data: text, stored: true }]);
  const at = bytes.indexOf(text.subarray(0, 32));
  bytes[at + 100] = bytes[at + 100]! ^ 0xff;
  const file = await zipFile('bad.zip', bytes);
  const [entry] = await listZip(file);
  const dest = join(dir, 'bad.bin');
  await assert.rejects(
    extractEntry(file, entry!, dest),
    (e) => e instanceof ZipError && /damaged/.test(e.message),
  );
  await assert.rejects(stat(dest), { code: 'ENOENT' });
});

test('what is not a zip says so', async () => {
  const file = await zipFile('html.zip', Buffer.from('<html>Sign in to continue</html>'));
  await assert.rejects(listZip(file), (e) => e instanceof ZipError && /not a zip file/.test(e.message));
});

test('a zip cut short is refused', async () => {
  const whole = zipOf([{ name: 'model.onnx', data: model }]);
  const file = await zipFile(
    'cut.zip',
    Buffer.concat([whole.subarray(0, 1000), whole.subarray(whole.length - 200)]),
  );
  await assert.rejects(listZip(file), ZipError);
});
