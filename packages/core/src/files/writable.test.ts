import assert from 'node:assert/strict';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fifo, fullDevice } from '../../../../test/support/devices.ts';
import { refusal } from '../../../../test/support/refusal.ts';
import { tempDir } from '../../../../test/support/run.ts';
import { checkWritable } from './writable.ts';

describe('checkWritable', () => {
  it('accepts a new file under missing directories, and creates nothing', async (t) => {
    const dir = await tempDir(t);
    await checkWritable(join(dir, 'a', 'b', 'report.json'), 'file', '--report');
    await checkWritable(join(dir, 'image'), 'directory', '--output');
    assert.deepEqual(await readdir(dir), []);
  });

  it('accepts an existing file, a device, a FIFO and a link to a file', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'old.json'), '{}');
    await symlink(join(dir, 'old.json'), join(dir, 'link.json'));
    for (const path of [join(dir, 'old.json'), join(dir, 'link.json'), fullDevice(dir), fifo(dir)])
      await checkWritable(path, 'file', '--report');
  });

  it('a directory where a file goes: EISDIR, naming the input and the path as typed', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'out'));
    const line = await refusal(checkWritable(join(dir, 'out'), 'file', '--report'));
    assert.equal(
      line,
      `--report '${join(dir, 'out')}' cannot be written: it is a directory (EISDIR). Set --report to the path of a file, e.g. one inside that directory.`,
    );
  });

  it('a file where a directory goes: named as such', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'image'), '');
    const line = await refusal(checkWritable(join(dir, 'image'), 'directory', '--output'));
    assert.match(
      line,
      /^--output '.+image' cannot be written: it is a file, not a directory\. Set --output to the path of a directory/,
    );
  });

  it('a parent that is a file, near or far: ENOTDIR', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'file'), '');
    for (const path of [join(dir, 'file', 'r.json'), join(dir, 'file', 'x', 'y', 'r.json')]) {
      const line = await refusal(checkWritable(path, 'file', '--report'));
      assert.match(line, /a part of the path is a file, not a directory \(ENOTDIR\)/);
    }
    assert.match(
      await refusal(checkWritable(join(dir, 'file', 'image'), 'directory', '--output')),
      /\(ENOTDIR\)/,
    );
  });

  it('a name longer than 255 bytes: ENAMETOOLONG', async (t) => {
    const dir = await tempDir(t);
    const line = await refusal(checkWritable(join(dir, `${'é'.repeat(130)}.json`), 'file', '--report'));
    assert.match(line, /the name is too long .+ \(ENAMETOOLONG\)\. Set --report to a shorter path\.$/);
  });

  it('a quote or a newline in the path is shown escaped, on one line', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, "it's\nhere"));
    const line = await refusal(checkWritable(join(dir, "it's\nhere"), 'file', '--report'));
    assert.ok(!line.includes('\n'));
    assert.match(line, /^--report ".+it's\\nhere" cannot be written/);
  });
});
