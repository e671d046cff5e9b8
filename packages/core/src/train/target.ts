import type { Logger } from '../platform/port.ts';

/** What every training target receives: the same request whether it runs on Kubernetes, a forge or the runner. */
export interface TrainRequest {
  /** The training key (see key.ts): the digest of data, code, params and image. */
  key: string;
  /** Passed to the training as env `PARAM_<NAME>` (upper-cased, `-` → `_`) and as the JSON file `$MODELSHIP_PARAMS`. */
  params: Record<string, string>;
  env: Record<string, string>;
  /** Where the trained model should end up: the registry repository the job (or the step) pushes the OCI artifact to. */
  artifactRepository: string | undefined;
  /** training key, params, data digest, commit. */
  annotations: Record<string, string>;
}

export interface TrainOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  /** One line: exit code, OOMKilled, Unschedulable, deadline, or the remote run's conclusion. */
  reason?: string;
  runUrl?: string;
  logTail: string[];
  /** The model, when the target produced a file the step must push (local, github, gitlab artifacts)… */
  modelFile?: string;
  /** …or a reference the job already pushed (kubernetes with the CLI inside the job). */
  modelRef?: string;
  /** A directory made for this training (the model file lies in it): the step removes it once the model is pushed. */
  scratch?: string;
}

export interface TrainTarget {
  run(request: TrainRequest, ctx: { log: Logger; signal: AbortSignal }): Promise<TrainOutcome>;
}
