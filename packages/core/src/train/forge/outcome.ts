/**
 * What both forges share at the end of a dispatch: a cancelled step that cancels the remote run
 * too, the tail of the failed jobs' logs, and the forge's refusals as one line for the user.
 */
import { InputError } from '../../errors.ts';
import type { Logger } from '../../platform/port.ts';
import type { TrainOutcome } from '../target.ts';
import { type ForgeClient, type ForgeFailure, forgeTextTail } from './api.ts';

export interface Ctx {
  log: Logger;
  signal: AbortSignal;
}

/** A training that cannot go on, and why: the step reports it as a failed run. */
export interface Refusal {
  failed: string;
}

export const refusal = (failed: string): Refusal => ({ failed });
export const isRefusal = (x: unknown): x is Refusal => typeof (x as Refusal | undefined)?.failed === 'string';

/** The step was cancelled: the remote run goes too, so no runner keeps training for nobody. */
export async function cancelled(
  ctx: Ctx,
  runUrl: string | undefined,
  cancelRemote: (() => Promise<void>) | undefined,
): Promise<TrainOutcome> {
  if (!cancelRemote) {
    ctx.log.warn('cancelled before the dispatched run was known; if it started, cancel it by hand');
    return { status: 'cancelled', reason: 'cancelled before the run was known', logTail: [] };
  }
  try {
    await cancelRemote();
    ctx.log.info(`cancelled ${runUrl}`);
    return { status: 'cancelled', reason: 'cancelled, and the remote run with it', runUrl, logTail: [] };
  } catch (e) {
    const why = (e as Error).message;
    ctx.log.warn(`could not cancel ${runUrl}: ${why}`);
    return {
      status: 'cancelled',
      reason: `cancelled, but the remote run could not be: ${why}`,
      runUrl,
      logTail: [],
    };
  }
}

const TAIL_LINES = 20;

/** The last lines of each job's log, prefixed by the job's name, without timestamps, colours or section markers. */
export async function tailOf(c: ForgeClient, jobs: { name: string; path: string }[]): Promise<string[]> {
  const out: string[] = [];
  for (const job of jobs.slice(0, 3)) {
    const lines = (await forgeTextTail(c, job.path))
      .split(/\r?\n/)
      .map(clean)
      .filter((l) => l.trim() !== '');
    out.push(...lines.slice(-TAIL_LINES).map((l) => `[${job.name}] ${l}`));
  }
  return out;
}

const clean = (line: string) =>
  line
    // GitLab folds sections with these markers; GitHub stamps every line.
    .replace(/section_(start|end):\d+:[\w.-]+(\[[^\]]*\])?\r?/g, '')
    .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /, '')
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    .replace(/\r$/, '');

/**
 * The forge failed us (5xx or 429 past every retry, or no answer): the training's fate is unknown,
 * which is a failed step with the run's link, not a bug in modelship.
 */
export function outage(f: ForgeFailure, runUrl: string | undefined): TrainOutcome | undefined {
  const transient = f.status >= 500 || f.status === 429 || (f.status === 0 && !permanent(f.code));
  if (!transient) return undefined;
  const started = f.method === 'POST' && !runUrl ? '; a run may have started anyway' : '';
  return { status: 'failed', reason: `the forge failed: ${f.message}${started}`, runUrl, logTail: [] };
}

const permanent = (code: string | undefined) =>
  !!code &&
  /^(ENOTFOUND|ECONNREFUSED|ERR_SSL|EPROTO|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/.test(code);

export const wrongToken = (input: string, what: string, needs: string) =>
  new InputError(what, { where: { path: input }, fix: `Pass ${needs}.` });

export const notFound = (input: string, what: string, fix: string) =>
  new InputError(what, { where: { path: input }, fix });

/** A host that does not resolve or refuses connections is a wrong URL; a flaky network stays an error. */
export function unreachable(f: ForgeFailure, input: string, url: string): Error {
  if (
    f.code &&
    /^(ENOTFOUND|ECONNREFUSED|ERR_SSL|EPROTO|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/.test(
      f.code,
    )
  )
    return new InputError(`no API answers at ${url} (${f.detail})`, {
      where: { path: input },
      fix: `Check ${input}.`,
    });
  return new Error(`the API at ${url} did not answer: ${f.message}`);
}
