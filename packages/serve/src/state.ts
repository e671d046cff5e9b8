/** What every part of the server reads: its settings, its metrics, and the model once it is ready. */
import type { ServeConfig } from './config.ts';
import type { Executor } from './executor.ts';
import type { JsonLogger } from './logger.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ServedModel } from './model.ts';

export interface ServerState {
  readonly config: ServeConfig;
  readonly log: JsonLogger;
  readonly metrics: ServerMetrics;
  /** Set once the model has loaded and run its warm-up: readiness. */
  model?: ServedModel;
  executor?: Executor;
  /** From SIGTERM on: readiness turns false and connections are not kept alive. */
  stopping: boolean;
}
