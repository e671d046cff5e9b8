import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads units, compounds and bare seconds', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2m30s'), 150_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('45'), 45_000);
  });
  it('refuses what is not a duration', () => {
    for (const bad of ['', '10 minutes', 'm', '-5s', '1d', '5m x'])
      assert.equal(parseDuration(bad), undefined, bad);
  });
});

describe('formatDuration', () => {
  it('gives the two largest units', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration(3_720_000), '1h 02m');
  });
});
