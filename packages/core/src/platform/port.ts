/**
 * The CI port: the only thing a step sees of where it runs. Adapters exist for GitHub
 * Actions, GitLab CI and a local terminal; nothing outside platform/ knows which one is live.
 */
import type { Location } from '../errors.ts';
import type { CheckResult, Summary } from '../report/summary.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string, where?: Location): void;
  notice(message: string): void;
  debug(message: string): void;
  /** Progress of a long wait; adapters may throttle it. */
  progress(message: string): void;
}

export interface StepResult {
  passed: boolean;
  outputs: Record<string, string | number | boolean>;
  summary: Summary;
  checks: CheckResult[];
  /**
   * Headline numbers for the CI's metrics report (GitLab's `artifacts:reports:metrics`). Named
   * apart from the ML metrics (metrics/) and the server's Prometheus signals (monitor/signals.ts).
   */
  headline?: Record<string, number>;
  /** An exit code other than 0 (passed) or 1 (failed) the user chose, e.g. monitor-gate's inconclusive-exit. */
  exitCode?: number;
  seconds: number;
}

/**
 * What the port knows of a step: its id and the names of its inputs. Never the schema itself —
 * parsing, defaults and validation belong to steps/, and a port only moves strings in and out.
 */
export interface StepIdentity {
  readonly id: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** What became of a step's comment on the pull request or merge request. */
export type CommentOutcome =
  | { status: 'created' | 'updated'; url?: string }
  | { status: 'skipped'; reason: string };

export interface Platform extends Logger {
  readonly name: 'github' | 'gitlab' | 'local';
  /** The raw strings the user set for this step's inputs, keyed by input name. */
  readInputs(step: StepIdentity): Record<string, string | undefined>;
  /** How the user sets an input here, for error messages: `--data`, `the 'data' input`. */
  describeInput(name: string): string;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  mask(secret: string): void;
  /** A configuration error, as an annotation where the CI has them. */
  error(message: string, where?: Location): void;
  publish(step: StepIdentity, result: StepResult): Promise<void>;
  /** The URL of this CI run, recorded in reports; absent locally. */
  runUrl(): string | undefined;
  /**
   * Create or edit this step's one comment (per `key`) on the pull request or merge request the
   * run belongs to. Skipped, not failed, where there is none or no token to write with.
   * `tokenInput` names the input the token came from, for error messages.
   */
  /**
   * A build-provenance attestation for an image digest, where the CI can sign one (GitHub, with
   * `id-token: write`); elsewhere absent, and the step says so.
   */
  attestProvenance?(
    subject: { name: string; digest: string },
    token: string | undefined,
  ): Promise<{ url?: string }>;
  upsertComment(
    key: string,
    body: string,
    token: string | undefined,
    tokenInput?: string,
  ): Promise<CommentOutcome>;
}

export const kebabToEnv = (name: string) => name.toUpperCase().replace(/-/g, '_');
