/**
 * Cancellation. A CI runner stops a job with SIGTERM (GitLab, then SIGKILL after a grace period;
 * GitHub on "Cancel workflow") and a person with Ctrl-C: both become one AbortSignal that steps
 * and domain code receive, so a step stops where it can stop cleanly — between batches, between
 * blobs, before it changes a cluster — instead of dying mid-write. A second signal means "now".
 */

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof SIGNALS;

/** Why a step stopped early: the signal it was sent. Not a bug and not the user's mistake. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  readonly signal: StopSignal;
  constructor(signal: StopSignal) {
    super(`cancelled by ${signal}`);
    this.signal = signal;
  }
  /** The shell's convention for a process ended by a signal: 128 + its number. */
  get exitCode(): number {
    return 128 + SIGNALS[this.signal];
  }
}

/** A step's cancellation, from SIGINT/SIGTERM until disposed. */
export interface Cancellation {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function onStopSignals(proc: NodeJS.Process = process): Cancellation {
  const controller = new AbortController();
  const handlers = Object.keys(SIGNALS).map((name) => {
    const signal = name as StopSignal;
    const handler = () => {
      if (controller.signal.aborted) proc.exit(128 + SIGNALS[signal]);
      controller.abort(new CancelledError(signal));
    };
    proc.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [signal, handler] of handlers) proc.off(signal, handler);
    },
  };
}

/** The CancelledError behind an error thrown while a signal was aborting, if that is what it was. */
export function cancellationOf(e: unknown, signal: AbortSignal | undefined): CancelledError | undefined {
  if (e instanceof CancelledError) return e;
  if (signal?.aborted && signal.reason instanceof CancelledError) return signal.reason;
  return undefined;
}
