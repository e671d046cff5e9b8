import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStatus, Pod } from '../types.ts';
import { diagnosePods } from './diagnose.ts';

const pod = (name: string, status: Pod['status']): Pod => ({ metadata: { name }, status });
const waiting = (reason: string, message?: string): ContainerStatus => ({
  name: 'serve',
  image: 'r/iris@sha256:00',
  state: { waiting: { reason, ...(message && { message }) } },
});

describe('diagnosePods', () => {
  it("names the image and the registry's answer once, not containerd's three copies", () => {
    const msg =
      'rpc error: code = NotFound desc = failed to pull and unpack image "r/iris@sha256:00": failed to resolve reference "r/iris@sha256:00": r/iris@sha256:00: not found';
    const d = diagnosePods([pod('p1', { containerStatuses: [waiting('ErrImagePull', msg)] })]);
    assert.deepEqual(d, {
      reason: 'ErrImagePull',
      pod: 'p1',
      container: 'serve',
      message: 'cannot pull r/iris@sha256:00: not found',
      fatal: true,
    });
  });

  it('waits on a pull that failed for a reason that may pass (the kubelet retries), not on a refusal', () => {
    const d = diagnosePods([
      pod('p1', { containerStatuses: [waiting('ErrImagePull', 'rpc error: dial tcp: i/o timeout')] }),
    ]);
    assert.equal(d?.fatal, false);
  });

  it('prefers a fatal problem over a reason to wait, whatever the pod order', () => {
    const pending = pod('p1', {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.',
        },
      ],
    });
    const crashing = pod('p2', {
      containerStatuses: [waiting('CrashLoopBackOff', 'back-off 10s restarting failed container')],
    });
    assert.equal(diagnosePods([pending, crashing])?.reason, 'CrashLoopBackOff');
    const only = diagnosePods([pending]);
    assert.deepEqual(
      [only?.reason, only?.fatal, only?.message],
      ['Unschedulable', false, '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.'],
    );
  });

  it('calls a server that keeps exiting a crash before the kubelet says CrashLoopBackOff, but not after one restart', () => {
    const restarted = (restartCount: number): ContainerStatus => ({
      name: 'serve',
      ready: false,
      restartCount,
      state: { running: {} },
      lastState: { terminated: { exitCode: 2, reason: 'Error' } },
    });
    assert.equal(diagnosePods([pod('p', { containerStatuses: [restarted(1)] })]), undefined);
    assert.equal(
      diagnosePods([pod('p', { containerStatuses: [restarted(2)] })])?.message,
      'exited 2 (Error) 2 times',
    );
  });

  it('sees nothing wrong with a container still being created', () => {
    assert.equal(diagnosePods([pod('p', { containerStatuses: [waiting('ContainerCreating')] })]), undefined);
  });
});
