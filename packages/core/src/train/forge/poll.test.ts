import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poll, progressLine } from './poll.ts';

test('the progress line gives jobs done, elapsed and an ETA from the jobs done so far', () => {
  assert.equal(
    progressLine('running', { done: 2, total: 5 }, 120_000),
    'running, 2 of 5 jobs done, 2m 00s, about 3m 00s left',
  );
  assert.equal(progressLine('queued', { done: 0, total: 3 }, 4_000), 'queued, 0 of 3 jobs done, 4s');
  assert.equal(progressLine('queued', { done: 0, total: 0 }, 4_000), 'queued, 4s');
  assert.equal(progressLine('created', { done: 0, total: 2 }, 0), 'created, 0 of 2 jobs done, just started');
});

test('poll looks until it gets a value, and gives up after its bound', async () => {
  const signal = new AbortController().signal;
  const tuning = { firstMs: 1, maxMs: 5 };
  let looks = 0;
  assert.equal(await poll(async () => (++looks === 3 ? 'found' : undefined), { signal, tuning }), 'found');
  assert.equal(looks, 3);
  assert.equal(await poll(async () => undefined, { signal, tuning, boundMs: 20 }), undefined);
});

test('an abort ends the wait with its reason', async () => {
  const stop = new AbortController();
  const waiting = poll(async () => undefined, {
    signal: stop.signal,
    tuning: { firstMs: 60_000, maxMs: 60_000 },
  });
  stop.abort(new Error('SIGTERM'));
  await assert.rejects(waiting, /SIGTERM/);
});
