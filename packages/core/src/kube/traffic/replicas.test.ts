import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podSplit } from './replicas.ts';

describe('podSplit (the replicas router rounding rule)', () => {
  it('rounds the weight to pods, keeping the total at replicas', () => {
    assert.deepEqual(podSplit(10, 25), { canary: 3, stable: 7 });
    assert.deepEqual(podSplit(4, 25), { canary: 1, stable: 3 });
    assert.deepEqual(podSplit(4, 50), { canary: 2, stable: 2 });
  });

  it('never leaves either side without a pod before promotion', () => {
    assert.deepEqual(podSplit(4, 1), { canary: 1, stable: 3 });
    assert.deepEqual(podSplit(4, 99), { canary: 3, stable: 1 });
    assert.deepEqual(podSplit(1, 10), { canary: 1, stable: 1 }, 'one replica: two pods, half and half');
  });
});
