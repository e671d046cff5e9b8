/**
 * The facts recorded on every image: where it came from (OCI's standard annotations) and what it
 * is (modelship's: the model's digest, the data it was evaluated on, its headline metrics and gate
 * verdict). Nothing here depends on when the build ran, so the same inputs give the same digest.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from '../../errors.ts';
import { rfc3339, sourceDateEpoch } from '../../oci/image.ts';

const HEADLINE = ['accuracy', 'f1_macro', 'roc_auc', 'log_loss', 'rmse', 'r2', 'mae', 'latency_p95_ms'];

/** SOURCE_DATE_EPOCH, else the checkout's commit time, else 1970: never the clock. */
export function buildEpoch(env: NodeJS.ProcessEnv = process.env): number {
  if (env.SOURCE_DATE_EPOCH) return sourceDateEpoch(env);
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%ct'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const n = Number(out.trim());
    return Number.isSafeInteger(n) ? n : 0;
  } catch {
    return 0;
  }
}

export interface AnnotationFacts {
  model: string;
  modelDigest: string;
  name: string;
  version: string;
  epoch: number;
  dataDigest?: string | undefined;
  evaluationReport?: string | undefined;
  runUrl?: string | undefined;
  extra: readonly string[];
  env: NodeJS.ProcessEnv;
}

export async function annotationsOf(f: AnnotationFacts): Promise<Record<string, string>> {
  const out: Record<string, string> = {
    'org.opencontainers.image.created': rfc3339(f.epoch),
    'org.opencontainers.image.title': basename(f.model),
    'org.opencontainers.image.version': f.version,
    'dev.modelship.model.digest': f.modelDigest,
    'dev.modelship.model.name': f.name,
  };
  const source = f.env.GITHUB_REPOSITORY
    ? `${f.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${f.env.GITHUB_REPOSITORY}`
    : f.env.CI_PROJECT_URL;
  const revision = f.env.GITHUB_SHA ?? f.env.CI_COMMIT_SHA;
  if (source) out['org.opencontainers.image.source'] = source;
  if (revision) out['org.opencontainers.image.revision'] = revision;
  if (f.dataDigest) out['dev.modelship.data.digest'] = f.dataDigest;
  if (f.runUrl) out['dev.modelship.run-url'] = f.runUrl;
  if (f.evaluationReport) Object.assign(out, await evaluationFacts(f.evaluationReport));
  f.extra.forEach((kv, i) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new InputError(`annotation '${kv}' is not key=value`, {
        where: { path: `annotations[${i}]` },
        fix: 'Write e.g. org.opencontainers.image.licenses=Apache-2.0',
      });
    }
    out[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  });
  return out;
}

async function evaluationFacts(path: string): Promise<Record<string, string>> {
  let report: { passed?: boolean; metrics?: Record<string, number>; step?: string };
  try {
    report = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new InputError(
      `evaluation-report '${path}' cannot be read: ${(e as Error).message.split('\n')[0]}`,
      {
        where: { path: 'evaluation-report' },
        fix: "Give the JSON report evaluate-model wrote (its 'report' output).",
      },
    );
  }
  if (report.step !== 'evaluate-model' || !report.metrics) {
    throw new InputError(`evaluation-report '${path}' is not an evaluate-model report`, {
      where: { path: 'evaluation-report' },
      fix: "Give the JSON report evaluate-model wrote (its 'report' output).",
    });
  }
  const metrics = Object.fromEntries(
    HEADLINE.filter((m) => m in report.metrics!).map((m) => [m, report.metrics![m]]),
  );
  return {
    'dev.modelship.metrics': JSON.stringify(metrics),
    'dev.modelship.gates': report.passed ? 'passed' : 'failed',
  };
}
