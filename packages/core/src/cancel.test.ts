import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { CancelledError, cancellationOf, onStopSignals } from './cancel.ts';

/** Enough of a process to send it signals and see whether it was made to exit. */
function fakeProcess() {
  const proc = new EventEmitter() as EventEmitter & { exited?: number; exit(code: number): never };
  proc.exit = (code: number) => {
    proc.exited = code;
    return undefined as never;
  };
  return proc;
}

describe('cancellation', () => {
  it('turns the first SIGTERM into an aborted signal whose reason says which', () => {
    const proc = fakeProcess();
    const c = onStopSignals(proc as unknown as NodeJS.Process);
    assert.equal(c.signal.aborted, false);
    proc.emit('SIGTERM');
    assert.ok(c.signal.reason instanceof CancelledError);
    assert.equal(c.signal.reason.exitCode, 143);
    assert.equal(proc.exited, undefined, 'the first signal lets the step stop cleanly');
    proc.emit('SIGINT');
    assert.equal(proc.exited, 130, 'a second signal ends the process at once');
    c.dispose();
    assert.equal(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT'), 0);
  });

  it('names the cancellation behind an error thrown while aborting', () => {
    const proc = fakeProcess();
    const c = onStopSignals(proc as unknown as NodeJS.Process);
    const other = new Error('INTERRUPT Error: Interrupted!');
    assert.equal(cancellationOf(other, c.signal), undefined);
    proc.emit('SIGINT');
    assert.equal(cancellationOf(other, c.signal)?.signal, 'SIGINT');
    c.dispose();
  });
});
