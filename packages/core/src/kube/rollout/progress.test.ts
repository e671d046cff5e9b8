import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment } from '../types.ts';
import { rolloutProgress } from './progress.ts';

const deployment = (
  generation: number,
  status: NonNullable<Deployment['status']>,
  replicas = 3,
): Deployment => ({
  metadata: { generation },
  spec: { replicas },
  status,
});

describe('rolloutProgress', () => {
  it('is not done until the controller saw the new spec, even when the counts look finished', () => {
    const d = deployment(2, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    assert.equal(rolloutProgress(d).done, false);
    assert.equal(rolloutProgress({ ...d, status: { ...d.status, observedGeneration: 2 } }).done, true);
  });

  it('is not done while old pods remain or new ones are not available', () => {
    const old = rolloutProgress(
      deployment(1, { observedGeneration: 1, replicas: 4, updatedReplicas: 3, availableReplicas: 4 }),
    );
    assert.deepEqual([old.done, old.old, old.available], [false, 1, 3]);
    const unavailable = rolloutProgress(
      deployment(1, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
    );
    assert.equal(unavailable.done, false);
  });

  it("takes the controller's ProgressDeadlineExceeded as a failure with its message", () => {
    const p = rolloutProgress(
      deployment(1, {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "x" has timed out progressing.',
          },
        ],
      }),
    );
    assert.equal(p.failed, 'ReplicaSet "x" has timed out progressing.');
  });
});
