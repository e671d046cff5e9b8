import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fifo, fullDevice, nullDevice } from '../../../../test/support/devices.ts';
import { refusal } from '../../../../test/support/refusal.ts';
import { tempDir } from '../../../../test/support/run.ts';
import { retractFile, writeFileAtomic, writeJson } from './atomic.ts';

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temporary file behind', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'deep', 'er', 'report.json');
    await writeJson(path, { a: 1 });
    await writeFileAtomic(path, 'second');
    assert.equal(await readFile(path, 'utf8'), 'second');
    assert.deepEqual(await readdir(join(dir, 'deep', 'er')), ['report.json']);
  });

  it('streams content given as lines', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'lines.csv');
    await writeFileAtomic(
      path,
      (function* () {
        yield 'a,b\n';
        yield Buffer.from('1,2\n');
      })(),
    );
    assert.equal(await readFile(path, 'utf8'), 'a,b\n1,2\n');
  });

  it('writes through a character device and leaves it a device', async (t) => {
    const dir = await tempDir(t);
    const device = nullDevice(dir);
    await writeJson(device, { passed: true }, { input: '--report' });
    assert.ok((await lstat(device)).isCharacterDevice());
  });

  it('on a full device: one line with ENOSPC, and the device is still a device', async (t) => {
    const dir = await tempDir(t);
    const device = fullDevice(dir);
    const line = await refusal(writeJson(device, { passed: true }, { input: '--report' }));
    assert.equal(
      line,
      `--report '${device}' cannot be written: no space left on the device (ENOSPC). Free space there, or set --report to a path on another disk.`,
    );
    assert.ok((await lstat(device)).isCharacterDevice());
  });

  it('writes through a FIFO to the process reading it, and leaves it a FIFO', async (t) => {
    const dir = await tempDir(t);
    const path = fifo(dir);
    // Opened read-write, the FIFO has a reader without blocking; the pipe buffer holds the bytes.
    const fd = openSync(path, constants.O_RDWR);
    try {
      await writeFileAtomic(path, 'through the pipe');
      const buf = Buffer.alloc(64);
      assert.equal(buf.subarray(0, readSync(fd, buf)).toString(), 'through the pipe');
    } finally {
      closeSync(fd);
    }
    assert.ok((await lstat(path)).isFIFO());
  });

  it('refuses a FIFO nobody reads instead of waiting forever', async (t) => {
    const dir = await tempDir(t);
    const path = fifo(dir);
    const line = await refusal(writeFileAtomic(path, 'x', { input: '--predictions' }));
    assert.match(line, /^--predictions '.+fifo' cannot be written: nothing is reading it \(ENXIO\)\. /);
    assert.ok((await lstat(path)).isFIFO());
  });

  it('refuses a socket, and leaves it be', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const line = await refusal(writeFileAtomic(path, 'x', { input: '--report' }));
    assert.match(
      line,
      /cannot be written: it is a socket, not a file\. Set --report to the path of a file\.$/,
    );
    assert.ok((await lstat(path)).isSocket());
  });

  it('follows a symbolic link: the target is written, the link stays', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'runs'));
    await writeFile(join(dir, 'runs', '42.json'), 'old');
    await symlink('runs/42.json', join(dir, 'latest.json'));
    await writeFileAtomic(join(dir, 'latest.json'), 'new');
    assert.equal(await readlink(join(dir, 'latest.json')), 'runs/42.json');
    assert.equal(await readFile(join(dir, 'runs', '42.json'), 'utf8'), 'new');
  });

  it('creates the target of a dangling link, as a shell redirection would', async (t) => {
    const dir = await tempDir(t);
    await symlink(join(dir, 'target.json'), join(dir, 'link.json'));
    await writeFileAtomic(join(dir, 'link.json'), 'made');
    assert.equal(await readFile(join(dir, 'target.json'), 'utf8'), 'made');
    assert.ok((await lstat(join(dir, 'link.json'))).isSymbolicLink());
  });

  it('a loop of links is one line, not a hang or a crash', async (t) => {
    const dir = await tempDir(t);
    await symlink(join(dir, 'b'), join(dir, 'a'));
    await symlink(join(dir, 'a'), join(dir, 'b'));
    const line = await refusal(writeFileAtomic(join(dir, 'a'), 'x'));
    assert.match(line, /'.+\/a' cannot be written: it is a loop of symbolic links \(ELOOP\)/);
  });

  it('a directory in the way is EISDIR in words, and the directory is untouched', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'report.json'));
    const line = await refusal(writeFileAtomic(join(dir, 'report.json'), 'x', { input: '--report' }));
    assert.match(
      line,
      /^--report '.+report\.json' cannot be written: it is a directory \(EISDIR\)\. Set --report to the path of a file/,
    );
    assert.ok((await stat(join(dir, 'report.json'))).isDirectory());
  });

  it('a parent that is a file is ENOTDIR in words; without an input, the path alone', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'file'), '');
    const line = await refusal(writeFileAtomic(join(dir, 'file', 'report.json'), 'x'));
    assert.match(
      line,
      /^'.+\/file\/report\.json' cannot be written: a part of the path is a file, not a directory \(ENOTDIR\)\. Move that file away, or choose another path\.$/,
    );
  });

  it("an error that is not the path's fault stays a bug", async (t) => {
    const dir = await tempDir(t);
    const failing = (async function* () {
      yield 'a';
      throw new TypeError('a bug in the producer');
    })();
    await assert.rejects(writeFileAtomic(join(dir, 'x'), failing), TypeError);
    assert.deepEqual(await readdir(dir), [], 'no half-written file and no temporary file');
  });
});

describe('retractFile', () => {
  it('removes a report written before the run failed, but never a device', async (t) => {
    const dir = await tempDir(t);
    const report = join(dir, 'report.json');
    await writeFile(report, '{"passed": true}');
    await retractFile(report);
    await assert.rejects(stat(report), { code: 'ENOENT' });
    const device = nullDevice(dir);
    await retractFile(device);
    assert.ok((await lstat(device)).isCharacterDevice());
    await retractFile(join(dir, 'never-written.json'));
  });
});
