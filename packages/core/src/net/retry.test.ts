import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetryableStatus, retryAfterMs, retryDelayMs, sleep, waitHintMs } from './retry.ts';

describe('retry policy', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('120', now), 120_000);
    assert.equal(retryAfterMs(' 2 ', now), 2000);
    assert.equal(retryAfterMs('Sat, 01 Mar 2025 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Sat, 01 Mar 2025 11:00:00 GMT', now), 0, 'a date passed is no wait');
    for (const junk of [undefined, null, '', 'soon', '-5']) assert.equal(retryAfterMs(junk, now), undefined);
  });

  it('takes the end of an exhausted rate-limit window when there is no Retry-After', () => {
    const reset = String(now / 1000 + 45);
    const limited = new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    assert.equal(waitHintMs(limited, now), 45_000);
    assert.equal(
      waitHintMs(new Headers({ 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': reset }), now),
      undefined,
    );
    limited.set('retry-after', '3');
    assert.equal(waitHintMs(limited, now), 3000, 'Retry-After wins');
  });

  it('doubles the wait, caps it, and honours the server up to the cap', () => {
    const policy = { tries: 5, baseMs: 100, maxMs: 500 };
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(policy, n)),
      [100, 200, 400, 500],
    );
    assert.equal(retryDelayMs(policy, 1, 250), 250);
    assert.equal(retryDelayMs(policy, 1, 3_600_000), 500);
    for (let i = 0; i < 50; i++) {
      const ms = retryDelayMs({ ...policy, jitter: true }, 2);
      assert.ok(ms >= 100 && ms <= 200, `${ms} is within half to all of 200`);
    }
  });

  it('retries 429 and 5xx only', () => {
    assert.deepEqual([200, 308, 400, 401, 403, 404, 429, 500, 503].map(isRetryableStatus), [
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('stops a wait when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(3_600_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
  });
});
