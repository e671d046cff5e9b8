/**
 * SIGTERM, as a CI runner sends it when a job is cancelled: the step stops at its next safe
 * point (DuckDB's running query is interrupted), says so in one line, exits 143 and publishes
 * nothing — no report, no outputs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, cleanEnv, NODE, STACK, tempDir } from './support/run.ts';

describe('cancellation', () => {
  it('validate-data stops on SIGTERM while reading, exit 143, no report', async (t) => {
    const dir = await tempDir(t);
    // Wide enough that DuckDB is still detecting the CSV's types when the signal arrives.
    const columns = 3000;
    const header = Array.from({ length: columns }, (_, j) => `c${j}`).join(',');
    const row = (i: number) => Array.from({ length: columns }, (_, j) => (i + j) % 97).join(',');
    const data = join(dir, 'wide.csv');
    await writeFile(data, `${header}\n${Array.from({ length: 200 }, (_, i) => row(i)).join('\n')}\n`);
    await writeFile(join(dir, 'contract.yml'), 'columns:\n  c0: { type: integer }\n');
    const report = join(dir, 'report.json');
    const child = spawn(
      NODE,
      [CLI, 'validate-data', '--data', data, '--contract', join(dir, 'contract.yml'), '--report', report],
      { env: cleanEnv() },
    );
    let stdout = '';
    let stderr = '';
    let sent = false; // once, as a runner does (its second word is SIGKILL)
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      // The step has started its work: cancel it as a runner would.
      if (!sent && stderr.includes('Reading')) sent = child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 143, stdout + stderr);
    assert.match(stderr, /modelship validate-data stopped: cancelled by SIGTERM, before it finished/);
    assert.doesNotMatch(stderr, STACK);
    assert.equal(stdout.trim(), '', 'no outputs');
    assert.equal(existsSync(report), false, 'no report');
  });
});
