import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureReason, jobState } from './failure.ts';
import { LABELS } from './job.ts';

const pod = (rank: number, status: object) => ({
  metadata: { name: `p${rank}`, labels: { [LABELS.rank]: String(rank) } },
  status,
});
const ended = (terminated: object) => ({ containerStatuses: [{ name: 'train', state: { terminated } }] });
const failedJob = (reason: string, message: string) => ({
  status: { conditions: [{ type: 'Failed', status: 'True', reason, message }] },
});

describe('why a training failed, read from the cluster', () => {
  it('names the rank and the exit code, or OOMKilled', () => {
    const job = failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    assert.equal(jobState(job), 'failed');
    assert.equal(
      failureReason([job], [pod(0, ended({ exitCode: 0 })), pod(1, ended({ exitCode: 3, reason: 'Error' }))]),
      'rank 1: exit code 3',
    );
    assert.match(
      failureReason([job], [pod(0, ended({ exitCode: 137, reason: 'OOMKilled' }))]),
      /^rank 0: OOMKilled/,
    );
  });

  it('says Unschedulable with the scheduler words, and the deadline from the Job', () => {
    const unschedulable = pod(0, {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes have nvidia.com/gpu',
        },
      ],
    });
    assert.equal(
      failureReason(
        [failedJob('DeadlineExceeded', 'Job was active longer than specified deadline')],
        [unschedulable],
      ),
      'deadline: Job was active longer than specified deadline (rank 0: Unschedulable: 0/1 nodes have nvidia.com/gpu)',
    );
    assert.equal(
      failureReason([failedJob('DeadlineExceeded', 'Job was active longer than specified deadline')], []),
      'deadline: Job was active longer than specified deadline',
    );
    assert.equal(jobState({ status: { conditions: [{ type: 'Complete', status: 'True' }] } }), 'succeeded');
    assert.equal(jobState({ status: {} }), 'running');
  });
});
