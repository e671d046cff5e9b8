import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatRate } from './bytes.ts';

describe('formatBytes', () => {
  it('writes sizes as people read them, never in exponent notation', () => {
    const cases: [number, string][] = [
      [0, '0 B'],
      [809, '809 B'],
      [1023, '1023 B'],
      [1024, '1.0 KiB'],
      [12_595, '12.3 KiB'],
      [4.1 * 1048576, '4.1 MiB'],
      [1048575, '1.0 MiB'],
      [1.2 * 1073741824, '1.2 GiB'],
      [3 * 1024 ** 4, '3.0 TiB'],
      [-2048, '-2.0 KiB'],
    ];
    for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, String(bytes));
    assert.doesNotMatch(formatBytes(809), /e-/);
  });

  it('writes a rate', () => {
    assert.equal(formatRate(40 * 1048576), '40.0 MiB/s');
  });
});
